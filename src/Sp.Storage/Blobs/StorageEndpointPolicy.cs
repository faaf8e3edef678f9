using System.Net;
using System.Net.Sockets;

namespace Sp.Storage.Blobs;

/// <summary>
/// The storage endpoints a reader may contact: the hosts its operator listed (entries <c>host</c> or
/// <c>host:port</c>: a DNS name, an IPv4 address, or an IPv6 address in brackets). Everything else is refused
/// before a connection is made, naming the host.
/// <list type="bullet">
/// <item><see cref="CheckEndpoint"/>: the endpoint's host (and port) must match an entry; an entry without a port
/// matches every port of its host. Loopback, private and link-local hosts are no exception: they are allowed only
/// when listed, as an address (the devnet lists <c>127.0.0.1:PORT</c> of what it runs).</item>
/// <item><see cref="ConnectAsync"/> (the HTTP handler's connect callback, so it holds for every connection,
/// redirects and retries included): a listed DNS name is resolved here and only to addresses that are public, or
/// that are themselves listed. A name that resolves to loopback, private, link-local, CGNAT, multicast or reserved
/// addresses is refused unless those addresses are listed (a DNS answer cannot turn an allowed name into a way in
/// to the machine's own services or its network).</item>
/// </list>
/// </summary>
public sealed class StorageEndpointPolicy
{
    private readonly List<(string Host, int? Port)> _entries = [];

    /// <param name="entries">Allowed hosts, <c>host</c> or <c>host:port</c>.</param>
    /// <param name="source">Names the setting in errors (e.g. <c>tee.json allowedStorageHosts</c>).</param>
    public StorageEndpointPolicy(IEnumerable<string> entries, string source)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Source = source;
        foreach (var entry in entries)
        {
            if (!TryParseEntry(entry, out var host, out var port))
                throw new InvalidDataException($"{source}: '{entry}' is not a host or host:port (IPv6 addresses in brackets: [::1]:9000)");
            _entries.Add((host, port));
        }
    }

    public string Source { get; }

    /// <summary>The entries as <c>host</c> or <c>host:port</c>.</summary>
    public IReadOnlyList<string> Entries => _entries.Select(e => Format(e.Host, e.Port)).ToList();

    /// <summary>This policy with <paramref name="endpoint"/>'s host and port allowed too (the node's own URL, the operator's own store).</summary>
    public StorageEndpointPolicy Allowing(string endpoint)
    {
        var uri = ParseEndpoint(endpoint);
        var copy = new StorageEndpointPolicy([], Source);
        copy._entries.AddRange(_entries);
        copy._entries.Add((Normalize(uri.IdnHost), uri.Port));
        return copy;
    }

    /// <summary>Refuses (<see cref="StorageEndpointRefusedException"/>) an endpoint whose host and port no entry allows.</summary>
    public void CheckEndpoint(string endpoint)
    {
        Uri uri;
        try { uri = ParseEndpoint(endpoint); }
        catch (InvalidDataException e) { throw new StorageEndpointRefusedException(e.Message); }
        var host = Normalize(uri.IdnHost);
        if (!Allows(host, uri.Port))
            throw new StorageEndpointRefusedException(
                $"storage endpoint host {Format(host, uri.Port)} is not allowed: {Source} does not list it (inputs are read only from the node and the hosts listed there)");
    }

    /// <summary>
    /// Connects to the request's host if allowed: an address literal when listed; a name when listed, to the first of
    /// its addresses that is public or itself listed. For <see cref="SocketsHttpHandler.ConnectCallback"/>.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = Normalize(context.DnsEndPoint.Host);
        var port = context.DnsEndPoint.Port;
        if (!Allows(host, port))
            throw new StorageEndpointRefusedException($"storage endpoint host {Format(host, port)} is not allowed: {Source} does not list it");
        IPAddress[] candidates;
        if (IPAddress.TryParse(host, out var literal)) candidates = [literal];
        else
        {
            var resolved = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            candidates = resolved.Where(a => !IsForbidden(a) || Allows(Normalize(a.ToString()), port)).ToArray();
            if (candidates.Length == 0)
                throw new StorageEndpointRefusedException(
                    $"storage endpoint host {Format(host, port)} resolves to {string.Join(", ", resolved.Select(a => a.ToString()))}: " +
                    $"loopback, private, link-local or reserved addresses are refused unless {Source} lists them");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(candidates, port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An HTTP handler that connects only where this policy allows, with no proxy and no redirects.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        UseProxy = false, // a proxy would make the connection on our behalf, out of this policy's sight
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    /// <summary>
    /// Addresses that reach this machine or a private network rather than a public service: unspecified, loopback,
    /// private (RFC 1918, IPv6 unique local), link-local (cloud metadata services live there), CGNAT, benchmarking,
    /// documentation, multicast and reserved ranges, and IPv4 addresses mapped or embedded in IPv6.
    /// </summary>
    public static bool IsForbidden(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) return IsForbidden(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,
                100 => b[1] is >= 64 and <= 127,             // 100.64.0.0/10 (CGNAT)
                169 => b[1] == 254,                          // link-local
                172 => b[1] is >= 16 and <= 31,
                192 => (b[1] == 168) || (b[1] == 0 && b[2] is 0 or 2), // 192.168/16, 192.0.0/24, 192.0.2/24
                198 => b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100), // benchmarking, documentation
                203 => b[1] == 0 && b[2] == 113,
                >= 224 => true,                              // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
            || address.IsIPv6Multicast || address.IsIPv6UniqueLocal) return true;
        var v6 = address.GetAddressBytes();
        if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) return true; // 2001:db8::/32 documentation
        // IPv4 inside IPv6: 6to4 (2002::/16), NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) carry an IPv4 address.
        if (v6[0] == 0x20 && v6[1] == 0x02) return IsForbidden(new IPAddress(v6.AsSpan(2, 4)));
        if (v6.AsSpan(0, 12).SequenceEqual(new byte[] { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 })) return IsForbidden(new IPAddress(v6.AsSpan(12, 4)));
        if (v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return true;
        return false;
    }

    private bool Allows(string host, int port) =>
        _entries.Any(e => string.Equals(e.Host, host, StringComparison.OrdinalIgnoreCase) && (e.Port is null || e.Port == port));

    private static Uri ParseEndpoint(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new InvalidDataException($"storage endpoint '{endpoint}' is not an absolute http(s) URL");
        return uri;
    }

    private static bool TryParseEntry(string entry, out string host, out int? port)
    {
        host = "";
        port = null;
        if (string.IsNullOrWhiteSpace(entry) || entry.Contains('/') || entry.Contains('@')) return false;
        if (!Uri.TryCreate("http://" + entry.Trim(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.IdnHost)) return false;
        host = Normalize(uri.IdnHost);
        var text = entry.Trim();
        var hasPort = text.StartsWith('[') ? text.Contains("]:", StringComparison.Ordinal) : text.Contains(':');
        if (hasPort) port = uri.Port;
        return !text.StartsWith('[') || text.Contains(']');
    }

    /// <summary>Lowercase; addresses in their canonical form (so <c>127.000.0.1</c> and <c>[0:0::1]</c> match their usual spelling).</summary>
    private static string Normalize(string host)
    {
        var h = host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.').ToLowerInvariant();
        return IPAddress.TryParse(h, out var a) ? a.ToString() : h;
    }

    private static string Format(string host, int? port)
    {
        var h = host.Contains(':') ? $"[{host}]" : host;
        return port is { } p ? $"{h}:{p}" : h;
    }
}

/// <summary>A storage endpoint the reader's policy does not allow; no connection was made to it.</summary>
public sealed class StorageEndpointRefusedException(string message) : IOException(message)
{
    /// <summary>The refusal inside <paramref name="e"/>'s chain (an HTTP client wraps its connect callback's failure), or null.</summary>
    public static StorageEndpointRefusedException? FindIn(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is StorageEndpointRefusedException refused) return refused;
        return null;
    }
}
