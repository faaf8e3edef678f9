using Sp.Api;
using Sp.Crypto.Accounts;

namespace Sp.Node;

/// <summary>
/// Checks <see cref="AccountRequestSignature"/> headers: the signature recovers to the named account over this
/// network, method and path; the time is within the window around the node's clock; the (address, nonce) pair was
/// not seen before. Nonces are remembered in memory until their time leaves the window; requests signed before
/// the node started are refused, so a restart (which forgets the nonces) opens no window for a replay.
/// </summary>
public sealed class SignedRequests(string network, TimeSpan window, TimeProvider time)
{
    private readonly long _startedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Address, string Nonce), long> _seen = new();
    private readonly PriorityQueue<(string Address, string Nonce), long> _expiry = new();

    /// <summary>The signing account, or null with the reason the request is refused.</summary>
    public Address? Verify(HttpRequest request, out string? error)
    {
        var parts = AccountRequestSignature.Parse(request.Headers[AccountRequestSignature.HeaderName].ToString(), out error);
        if (parts is null) return null;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)window.TotalMilliseconds;
        if (Math.Abs(now - parts.TimeMillis) > windowMs)
        {
            error = $"{AccountRequestSignature.HeaderName}: signed at {Time(parts.TimeMillis)}, outside the node's window of {window.TotalSeconds:0} s around {Time(now)} (check the clock)";
            return null;
        }
        if (parts.TimeMillis < _startedAt)
        {
            error = $"{AccountRequestSignature.HeaderName}: signed at {Time(parts.TimeMillis)}, before the node started ({Time(_startedAt)}); sign the request again";
            return null;
        }
        var path = request.PathBase + request.Path + request.QueryString;
        var digest = AccountRequestSignature.Digest(network, parts.Address, request.Method, path, parts.TimeMillis, parts.Nonce);
        if (AccountKey.Recover(digest, parts.Signature) is not { } signer || signer != parts.Address)
        {
            error = $"{AccountRequestSignature.HeaderName}: the signature is not {parts.Address.Lower}'s over {request.Method} {path} on network {network}";
            return null;
        }
        lock (_lock)
        {
            // Forget nonces whose time has left the window: a replay of them is refused by its time.
            while (_expiry.TryPeek(out var old, out var until) && until < now)
            {
                _expiry.Dequeue();
                _seen.Remove(old);
            }
            var key = (parts.Address.Lower, parts.Nonce);
            if (!_seen.TryAdd(key, parts.TimeMillis + windowMs))
            {
                error = $"{AccountRequestSignature.HeaderName}: this signature was already used (replay); sign each request anew";
                return null;
            }
            _expiry.Enqueue(key, parts.TimeMillis + windowMs);
        }
        return parts.Address;
    }

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
}
