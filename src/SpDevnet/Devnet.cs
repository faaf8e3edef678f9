using Sp.Core;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sp.Cli;
using Sp.Client;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace SpDevnet;

/// <summary>
/// Starts sp-node and one sp-tee in the background on free loopback ports, writes alice/ and bob/ client folders
/// (config.json and the ./spctl and ./provider-tools launchers the guide types), and records ports and pids in
/// DIR/devnet.json so `down` (and a second devnet beside it) can find them. State lives in DIR and survives down + up.
/// </summary>
public static partial class Devnet
{
    private const string Network = "devnet";

    /// <summary>What `up` tops alice and bob up to: a thousand orders of 10 tokens each (the guide's cost nothing).</summary>
    private const long FundedTokens = 10_000;

    private sealed record DevnetState(int Port, int? NodePid, int? TeePid);

    /// <param name="logLevel">Passed to sp-node and sp-tee as <c>--log-level</c> (their default when null).</param>
    public static async Task<int> UpAsync(string dir, string? logLevel = null)
    {
        string[] logOption = logLevel is null ? [] : ["--log-level", logLevel];
        Directory.CreateDirectory(dir);
        var statePath = Path.Combine(dir, "devnet.json");
        var previous = File.Exists(statePath) ? SpJson.Deserialize<DevnetState>(File.ReadAllText(statePath)) : null;
        if (previous is { NodePid: { } np } && IsAlive(np)) throw new InvalidOperationException($"the devnet in {dir} is already up (sp-node pid {np}); run `sp-devnet down {dir}` first");
        var logs = Directory.CreateDirectory(Path.Combine(dir, "logs")).FullName;

        var nodeDir = Path.Combine(dir, "node");
        if (!File.Exists(Path.Combine(nodeDir, "node.json")))
            await RunToEnd(Bin("sp-node"), ["init", nodeDir, "--network", Network], Path.Combine(logs, "init.log"));
        var keys = Directory.CreateDirectory(Path.Combine(dir, "accounts")).FullName;
        var alice = LoadOrCreateKey(Path.Combine(keys, "alice.key"));
        var bob = LoadOrCreateKey(Path.Combine(keys, "bob.key"));
        var teeKey = LoadOrCreateKey(Path.Combine(keys, "tee-provider.key"));

        var port = previous is { Port: var p } && IsFree(p) ? p : FreePort();
        var url = $"http://127.0.0.1:{port}";
        File.WriteAllText(statePath, SpJson.Serialize(new DevnetState(port, null, null), indented: true));
        var nodePid = StartBackground(Bin("sp-node"), ["run", nodeDir, "--urls", url, .. logOption], Path.Combine(logs, "node.log"));
        File.WriteAllText(statePath, SpJson.Serialize(new DevnetState(port, nodePid, null), indented: true));
        using var client = new NodeClient(url, TimeSpan.FromSeconds(10));
        var info = await WaitFor("sp-node to answer", TimeSpan.FromSeconds(60), nodePid, Path.Combine(logs, "node.log"), async () =>
        {
            try { return await client.GetInfoAsync(); } catch (Exception e) when (e is TransientError or NodeRefusedError) { return null; }
        });

        // The log's verifier key is read from the node's own folder (not over the network) and pinned for all three.
        var logKey = File.ReadAllText(Path.Combine(nodeDir, "log-key.pub")).Trim();
        var teeDir = Directory.CreateDirectory(Path.Combine(dir, "tee")).FullName;
        // tee.json (sp-tee's TeeConfig): the compute provider's account, the devnet's sim platform key, the log key, and
        // the storage hosts inputs may come from: the devnet's only store is the node's (allowed anyway; listed so the
        // file shows the whole list). Nothing else on loopback is reachable from a resource file.
        var teeConfig = new Dictionary<string, object>
        {
            ["nodeUrl"] = url, ["network"] = info!.Network, ["accountPrivateKey"] = teeKey.ExportHex(),
            ["simPlatformKey"] = Path.Combine(nodeDir, "sim-platform.key.pem"), ["logKey"] = logKey,
            ["allowedStorageHosts"] = new[] { $"127.0.0.1:{port}" },
        };
        SecretFile.Write(Path.Combine(teeDir, "tee.json"), SpJson.Serialize(teeConfig, indented: true));
        // On a restart the offer exists already: wait for the certificate of the new loader's keys.
        var oldCerts = (await client.ListOffersAsync("tee")).Select(o => o.Offer.TeeCertificate).ToHashSet();
        var teePid = StartBackground(Bin("sp-tee"), ["run", "--config", Path.Combine(teeDir, "tee.json"), .. logOption], Path.Combine(logs, "tee.log"));
        File.WriteAllText(statePath, SpJson.Serialize(new DevnetState(port, nodePid, teePid), indented: true));
        var teeOffer = await WaitFor("sp-tee to register its TEE offer", TimeSpan.FromSeconds(90), teePid, Path.Combine(logs, "tee.log"), async () =>
        {
            var offers = await client.ListOffersAsync("tee");
            return offers.FirstOrDefault(o => o.Offer.Owner == teeKey.Address.Lower && o.Offer.TeeCertificate is not null
                                              && !oldCerts.Contains(o.Offer.TeeCertificate));
        });

        WriteClient(Path.Combine(dir, "alice"), url, info, alice, logKey);
        WriteClient(Path.Combine(dir, "bob"), url, info, bob, logKey);
        foreach (var party in new[] { "alice", "bob" })
        foreach (var program in Launched)
            WriteLauncher(Path.Combine(dir, party, program), Bin(program));
        var aliceTokens = await FundAsync(client, info.Network, alice);
        var bobTokens = await FundAsync(client, info.Network, bob);
        Console.WriteLine($"Devnet is up in {dir}");
        Console.WriteLine($"node: {url} (pid {nodePid}, log {Path.Combine(logs, "node.log")})");
        Console.WriteLine($"tee: offer {teeOffer!.Offer.Id} (pid {teePid}, log {Path.Combine(logs, "tee.log")})");
        Console.WriteLine($"alice: {Path.Combine(dir, "alice")} account {alice.Address}");
        Console.WriteLine($"bob: {Path.Combine(dir, "bob")} account {bob.Address}");
        Console.WriteLine($"tokens: alice {aliceTokens}, bob {bobTokens}");
        return 0;
    }

    /// <summary>Tops an account up to <see cref="FundedTokens"/> through the devnet faucet; returns its balance.</summary>
    private static async Task<TokenAmount> FundAsync(NodeClient client, string network, AccountKey account)
    {
        var target = TokenAmount.FromTokens(FundedTokens);
        var balance = (await client.GetBalanceAsync(account.Address)).Balance;
        if (!MarketState.IsDevnet(network) || balance >= target) return balance;
        await client.SendAsync(account, network, new TokensRequest(target - balance));
        return (await client.GetBalanceAsync(account.Address)).Balance;
    }

    public static async Task<int> DownAsync(string dir)
    {
        var statePath = Path.Combine(dir, "devnet.json");
        if (!File.Exists(statePath)) throw new InvalidOperationException($"{dir} holds no devnet (no devnet.json)");
        var state = SpJson.Deserialize<DevnetState>(File.ReadAllText(statePath));
        foreach (var pid in new[] { state.TeePid, state.NodePid })
            if (pid is { } p) await StopAsync(p);
        File.WriteAllText(statePath, SpJson.Serialize(state with { NodePid = null, TeePid = null }, indented: true));
        Console.WriteLine($"Devnet in {dir} is down");
        return 0;
    }

    public static Task<int> StatusAsync(string dir)
    {
        var statePath = Path.Combine(dir, "devnet.json");
        if (!File.Exists(statePath)) throw new InvalidOperationException($"{dir} holds no devnet (no devnet.json)");
        var s = SpJson.Deserialize<DevnetState>(File.ReadAllText(statePath));
        Console.WriteLine($"node: http://127.0.0.1:{s.Port} {(s.NodePid is { } n && IsAlive(n) ? $"running (pid {n})" : "stopped")}");
        Console.WriteLine($"tee: {(s.TeePid is { } t && IsAlive(t) ? $"running (pid {t})" : "stopped")}");
        return Task.FromResult(0);
    }

    private static void WriteClient(string dir, string url, Sp.Api.NodeInfo info, AccountKey account, string logKey)
    {
        var configPath = Path.Combine(dir, "config.json");
        if (File.Exists(configPath))
        {
            // Keep the folder's keys; only the node's address may have changed (and a config from before the log gets its key).
            var existing = ClientConfig.Load(configPath);
            (existing with
            {
                Backend = new BackendSection { Url = url, Network = info.Network },
                Trust = existing.Trust with { LogKey = existing.Trust.LogKey ?? logKey },
            }).Save(configPath);
            return;
        }
        ClientSetup.Write(dir, url, info.Network, account, info.RootCa, info.AttestationPolicy, logKey);
    }

    /// <summary>The programs the guide types as ./NAME in alice/ and bob/.</summary>
    private static readonly string[] Launched = ["spctl", "provider-tools"];

    /// <summary>
    /// A launcher script at <paramref name="path"/>, mode 0755, that runs <paramref name="program"/> (the build's
    /// ./bin wrapper, by absolute path) with its arguments, in the caller's folder: the guide's `./spctl …` typed in
    /// alice/ or bob/ uses that folder's config.json. Rewritten on every `up`, so it follows the checkout that started
    /// the devnet.
    /// </summary>
    private static void WriteLauncher(string path, string program)
    {
        var quoted = "'" + Path.GetFullPath(program).Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var text = $"#!/bin/sh\n# Written by sp-devnet up (again at each up): {Path.GetFileName(program)} of the build that started this devnet.\nexec {quoted} \"$@\"\n";
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.SetUnixFileMode(temporary, (UnixFileMode)0x1ED); // 0755, whatever the umask
        File.Move(temporary, path, overwrite: true);
    }

    private static AccountKey LoadOrCreateKey(string path)
    {
        if (File.Exists(path)) return AccountKey.FromHex(File.ReadAllText(path).Trim());
        var key = AccountKey.Generate();
        SecretFile.Write(path, key.ExportHex() + "\n");
        return key;
    }


    /// <summary>The programs sit beside this one in bin/ (the wrappers export SP_BIN).</summary>
    private static string Bin(string name)
    {
        var dir = Environment.GetEnvironmentVariable("SP_BIN") ?? throw new InvalidOperationException("SP_BIN is not set: run sp-devnet through ./bin/sp-devnet");
        var path = Path.Combine(dir, name);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} not found: build the project first (see README)");
    }

    private static async Task RunToEnd(string exe, string[] args, string log)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        File.AppendAllText(log, output);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', args)} failed: {output.Trim()}");
    }

    /// <summary>Starts a detached process (own session, output to its log, no terminal), returning its pid.</summary>
    private static int StartBackground(string exe, string[] args, string log)
    {
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = false };
        psi.ArgumentList.Add("bash");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$SP_LOG\" 2>&1 </dev/null");
        psi.ArgumentList.Add(exe);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SP_LOG"] = log;
        using var p = Process.Start(psi)!;
        return p.Id;
    }

    private static async Task<T> WaitFor<T>(string what, TimeSpan timeout, int pid, string log, Func<Task<T?>> probe) where T : class
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (await probe() is { } v) return v;
            if (!IsAlive(pid)) throw new InvalidOperationException($"waiting for {what}: the process exited; last log line: {LastLine(log)}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}; last log line: {LastLine(log)}");
    }

    private static string LastLine(string log) =>
        File.Exists(log) ? File.ReadLines(log).LastOrDefault(l => l.Trim().Length > 0) ?? "(empty)" : "(no log)";

    private static async Task StopAsync(int pid)
    {
        if (!IsAlive(pid)) return;
        _ = Kill(pid, 15); // SIGTERM: both programs shut down cleanly on it
        var sw = Stopwatch.StartNew();
        while (IsAlive(pid) && sw.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(100);
        if (IsAlive(pid))
        {
            _ = Kill(pid, 9);
            while (IsAlive(pid) && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        }
    }

    private static bool IsAlive(int pid)
    {
        // Zombie children of ours count as gone; a pid of another program after reuse is unlikely in a devnet's life.
        if (!File.Exists($"/proc/{pid}/stat")) return false;
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z'); }
        catch (IOException) { return false; }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
