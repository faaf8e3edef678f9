using System.Net;
using System.Security.Cryptography;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// Hosts on this machine, made with iproute2: a bridge with the "server" address <see cref="ServerAddress"/>
/// (x.y.z.1/24, where a node listens) and one network namespace per host, joined to the bridge by a veth pair,
/// with an address of its own (x.y.z.11, .12, …) and its own loopback. A process in a host namespace reaches the
/// server only through its veth, and nothing on the machine's loopback. Traffic never leaves the machine: there
/// is no route beyond the bridge. The subnet and names are random so that test runs side by side do not meet.
/// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN); everything is removed on dispose.
/// </summary>
internal sealed class NetworkLab : IAsyncDisposable
{
    private readonly string _tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly byte[] _subnet = [10, (byte)RandomNumberGenerator.GetInt32(100, 200), (byte)RandomNumberGenerator.GetInt32(0, 256)];
    private readonly List<string> _namespaces = [];
    private bool _bridge;

    private string Bridge => "spbr" + _tag;

    public IPAddress ServerAddress => new([.. _subnet, 1]);

    /// <summary>Host <paramref name="i"/>'s address (i from 1).</summary>
    public IPAddress HostAddress(int i) => new([.. _subnet, (byte)(10 + i)]);

    /// <summary>Host <paramref name="i"/>'s network namespace (/run/netns/NAME, for nsenter or <c>ip netns exec</c>).</summary>
    public string Namespace(int i) => $"sp-{_tag}-{i}";

    public static async Task<NetworkLab> CreateAsync(int hosts)
    {
        var lab = new NetworkLab();
        try
        {
            await Ip("link", "add", lab.Bridge, "type", "bridge");
            lab._bridge = true;
            await Ip("addr", "add", $"{lab.ServerAddress}/24", "dev", lab.Bridge);
            await Ip("link", "set", lab.Bridge, "up");
            for (var i = 1; i <= hosts; i++)
            {
                var ns = lab.Namespace(i);
                var veth = $"spv{lab._tag}{i}";
                await Ip("netns", "add", ns);
                lab._namespaces.Add(ns);
                await Ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
                await Ip("link", "set", veth, "master", lab.Bridge, "up");
                await Ip("-n", ns, "addr", "add", $"{lab.HostAddress(i)}/24", "dev", "eth0");
                await Ip("-n", ns, "link", "set", "eth0", "up");
                await Ip("-n", ns, "link", "set", "lo", "up");
            }
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>The network namespace a process is in (the inode its /proc/PID/ns/net link names).</summary>
    public static string NamespaceOf(int pid) => new FileInfo($"/proc/{pid}/ns/net").LinkTarget
                                                ?? throw new InvalidOperationException($"no network namespace for pid {pid}");

    private static async Task Ip(params string[] args)
    {
        var r = await Cli.RunAsync("/", "ip", args, null, 30);
        if (r.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({r.ExitCode}): {r.All}");
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting a namespace deletes its veth end, and with it the peer on the bridge.
        foreach (var ns in _namespaces) await Cli.RunAsync("/", "ip", ["netns", "del", ns], null, 30);
        if (_bridge) await Cli.RunAsync("/", "ip", ["link", "del", Bridge], null, 30);
    }
}
