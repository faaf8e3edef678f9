using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sp.Cli;
using Sp.Client;
using Sp.Client.Config;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Tests;
using Sp.Tlog;
using Sp.Ledger.Transactions;

namespace Sp.EndToEnd.Tests;

/// <summary>A real sp-node process on its own folder and port (no TEE, no Docker).</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private Process? _process;
    private System.Text.StringBuilder _output = new();

    private NodeProcess(string dir, int port, string host = "127.0.0.1")
    {
        Dir = dir;
        Port = port;
        Host = host;
    }

    public string Dir { get; }
    public int Port { get; }
    /// <summary>The one address it listens on.</summary>
    public string Host { get; }
    public string Url => $"http://{Host}:{Port}";

    /// <summary>What the node process printed so far (the current or last run).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Sets a member of node.json (e.g. <c>snapshotEvery</c>) before the next start.</summary>
    public void SetSetting(string name, long value)
    {
        var path = Path.Combine(Dir, "node.json");
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        settings[name] = value;
        File.WriteAllText(path, settings.ToJsonString());
    }

    /// <summary>Sets node.json's <c>witnessing</c> before the next start: the node asks these witnesses to cosign its checkpoints.</summary>
    public void UseWitnesses(params Sp.Witness.Tests.WitnessProcess[] witnesses)
    {
        var path = Path.Combine(Dir, "node.json");
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        settings["witnessing"] = new System.Text.Json.Nodes.JsonObject
        {
            ["timeoutSeconds"] = 10,
            ["witnesses"] = new System.Text.Json.Nodes.JsonArray([.. witnesses.Select(w =>
                (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject { ["url"] = w.Url, ["key"] = w.VerifierKey })]),
        };
        File.WriteAllText(path, settings.ToJsonString());
    }

    /// <summary>Runs the node until it exits by itself (whether or not it answered meanwhile): its exit code.</summary>
    public async Task<int> RunUntilExitAsync(TimeSpan timeout)
    {
        try
        {
            await StartAsync();
        }
        catch (NodeExitedException)
        {
            return 1; // StartAsync only throws so when the process ended: its code is read below
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cts.Token);
        var code = _process.ExitCode;
        _process.Dispose();
        _process = null;
        return code;
    }

    public static async Task<NodeProcess> InitAsync(string dir, params string[] initOptions)
    {
        var init = await Cli.RunAsync(Path.GetTempPath(), Cli.Bin("sp-node"), ["init", dir, "--network", "logtest", .. initOptions], null, 120);
        if (init.ExitCode != 0) throw new InvalidOperationException("sp-node init failed: " + init.All);
        return new NodeProcess(dir, FreePort());
    }

    /// <summary>A new node folder for <paramref name="network"/>, to be served on <paramref name="host"/> only (a free port of it).</summary>
    public static async Task<NodeProcess> InitOnAsync(string dir, string network, IPAddress host)
    {
        var init = await Cli.RunAsync(Path.GetTempPath(), Cli.Bin("sp-node"), ["init", dir, "--network", network], null, 120);
        if (init.ExitCode != 0) throw new InvalidOperationException("sp-node init failed: " + init.All);
        using var l = new TcpListener(host, 0);
        l.Start();
        return new NodeProcess(dir, ((IPEndPoint)l.LocalEndpoint).Port, host.ToString());
    }

    /// <summary>An initialised node folder, to be served on <paramref name="port"/>.</summary>
    public static NodeProcess At(string dir, int port) => new(dir, port);

    public string VerifierKey => File.ReadAllText(Path.Combine(Dir, "log-key.pub")).Trim();

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(Cli.Bin("sp-node")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "run", Dir, "--urls", Url }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        _output = output;
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        using var client = new NodeClient(Url, TimeSpan.FromSeconds(5));
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (p.HasExited)
            {
                await p.WaitForExitAsync();
                throw new NodeExitedException(Output);
            }
            try
            {
                await client.GetInfoAsync();
                return;
            }
            catch (TransientError) { await Task.Delay(100); }
        }
        throw new TimeoutException("sp-node did not answer in 60 s");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM and wait (a clean shutdown).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        await Cli.RunAsync("/", "kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], null, 30);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false }) await KillAsync();
        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

public sealed class NodeExitedException(string output) : Exception("sp-node exited: " + output);

/// <summary>
/// The ledger as a transparency log, through the real binaries: sp-node serves C2SP tiles and signed checkpoints,
/// spctl pins and tracks them, verifies the whole log and catches rollbacks, forks and rewritten rows, and a node
/// killed in the middle of a burst loses no acknowledged transaction, on SQLite and on PostgreSQL.
/// </summary>
[Collection("postgres")]
public sealed partial class LedgerLogTests(PostgresCluster postgres) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-ledger-e2e-").FullName;
    private readonly List<AccountKey> _keys = [];

    public void Dispose()
    {
        foreach (var k in _keys) k.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private AccountKey NewKey()
    {
        var k = AccountKey.Generate();
        _keys.Add(k);
        return k;
    }

    /// <summary>A client folder pinned to the node (as sp-devnet writes Alice's and Bob's).</summary>
    private async Task<string> ClientAsync(NodeProcess node, string name)
    {
        var dir = Path.Combine(_work, name);
        using var client = new NodeClient(node.Url);
        var info = await client.GetInfoAsync();
        ClientSetup.Write(dir, node.Url, info.Network, NewKey(), info.RootCa, info.AttestationPolicy, node.VerifierKey);
        return dir;
    }

    /// <summary>n transactions of one new account: provider.create, then provider.update.</summary>
    private static List<SignedTransaction> Burst(AccountKey key, int n, string network = "logtest") =>
        Enumerable.Range(0, n).Select(i => SignedTransaction.Sign(i == 0
            ? Transaction.Create(network, key.Address, 0, new ProviderCreate("p", "d"))
            : Transaction.Create(network, key.Address, i, new ProviderUpdate($"n{i}", "d")), key)).ToList();

    private async Task SendAsync(NodeProcess node, int n)
    {
        using var client = new NodeClient(node.Url);
        foreach (var tx in Burst(NewKey(), n)) await client.SubmitAsync(tx);
    }

    private static Task<CliResult> Spctl(string dir, params string[] args) => Cli.RunAsync(dir, Cli.Bin("spctl"), args, null, 180);

    private static string Field(string stdout, string key) =>
        stdout.Split('\n').Single(l => l.StartsWith(key + ": ", StringComparison.Ordinal))[(key.Length + 2)..];

    [Fact]
    public async Task The_node_serves_its_ledger_as_tlog_tiles_and_spctl_verifies_it_live_and_from_an_export()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        Assert.StartsWith("sp-devnet.local/logtest+", node.VerifierKey);
        await node.StartAsync();
        await SendAsync(node, 300);
        var alice = await ClientAsync(node, "alice");

        var info = await Spctl(alice, "ledger", "info");
        Assert.Equal(0, info.ExitCode);
        Assert.Equal("sp-devnet.local/logtest", Field(info.Stdout, "origin"));
        Assert.Equal(node.Url + "/log", Field(info.Stdout, "log_url"));
        Assert.Equal(node.VerifierKey, Field(info.Stdout, "verifier_key"));
        Assert.Equal("300", Field(info.Stdout, "tree_size"));
        Assert.Equal(32, Convert.FromBase64String(Field(info.Stdout, "root_hash")).Length);
        Assert.True(File.Exists(Path.Combine(alice, "ledger", "logtest", "checkpoint")));

        // Content types and caching of the tlog-tiles spec.
        using (var http = new HttpClient())
        {
            var cp = await http.GetAsync(node.Url + "/log/checkpoint");
            Assert.Equal("text/plain; charset=utf-8", cp.Content.Headers.ContentType!.ToString());
            var full = await http.GetAsync(node.Url + "/log/tile/0/000");
            Assert.Equal(HttpStatusCode.OK, full.StatusCode);
            Assert.Equal("application/octet-stream", full.Content.Headers.ContentType!.MediaType);
            Assert.Contains("immutable", full.Headers.CacheControl!.ToString());
            Assert.Equal(256 * 32, (await full.Content.ReadAsByteArrayAsync()).Length);
            Assert.Equal("no-cache", cp.Headers.CacheControl!.ToString());
            // A partial tile or bundle is immutable too: N.p/W is the first W hashes of tile N for good.
            var partial = await http.GetAsync(node.Url + "/log/tile/entries/001.p/44");
            Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
            Assert.Contains("immutable", partial.Headers.CacheControl!.ToString());
            Assert.Null(partial.Content.Headers.ContentEncoding.FirstOrDefault()); // no Accept-Encoding: identity
            var plainBundle = await partial.Content.ReadAsByteArrayAsync();
            var missing = await http.GetAsync(node.Url + "/log/tile/0/001");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.True(missing.Headers.CacheControl!.NoStore);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(node.Url + "/log/tile/0/001.p/45")).StatusCode);

            // Entry bundles are gzip-compressed for clients that accept it (tlog-tiles SHOULD).
            using var gzipRequest = new HttpRequestMessage(HttpMethod.Get, node.Url + "/log/tile/entries/001.p/44");
            gzipRequest.Headers.AcceptEncoding.ParseAdd("gzip, identity");
            var compressed = await http.SendAsync(gzipRequest);
            Assert.Equal("gzip", Assert.Single(compressed.Content.Headers.ContentEncoding));
            using var unzip = new System.IO.Compression.GZipStream(await compressed.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
            using var unzipped = new MemoryStream();
            await unzip.CopyToAsync(unzipped);
            Assert.Equal(plainBundle, unzipped.ToArray());
            Assert.True((await compressed.Content.ReadAsByteArrayAsync()).Length < plainBundle.Length);
            using var refuseGzip = new HttpRequestMessage(HttpMethod.Get, node.Url + "/log/tile/entries/001.p/44");
            refuseGzip.Headers.AcceptEncoding.ParseAdd("gzip;q=0, identity");
            Assert.Empty((await http.SendAsync(refuseGzip)).Content.Headers.ContentEncoding);
        }

        var verify = await Spctl(alice, "ledger", "verify");
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Equal("300", Field(verify.Stdout, "signatures_verified"));
        Assert.Equal("300", Field(verify.Stdout, "transactions_replayed"));
        Assert.Equal("2", Field(verify.Stdout, "entry_bundles"));
        Assert.Contains("provider.create=1 provider.update=299", verify.Stdout);
        Assert.Contains("matches the replay", verify.Stdout);
        Assert.Contains(LedgerCommandsSuccess, verify.Stdout);

        // A static export verifies the same way, and is consistent with what Alice saw.
        await SendAsync(node, 5);
        var export = Path.Combine(_work, "export");
        // In the node's folder, the export needs only its destination.
        var exported = await Cli.RunAsync(node.Dir, Cli.Bin("sp-node"), ["log", "export", export], null, 120);
        Assert.True(exported.ExitCode == 0, exported.All);
        Assert.True(File.Exists(Path.Combine(export, "checkpoint")));
        Assert.True(File.Exists(Path.Combine(export, "tile", "entries", "000")));
        var fromDir = await Spctl(alice, "ledger", "verify", "--log-url", export);
        Assert.True(fromDir.ExitCode == 0, exported.All + fromDir.All);
        Assert.Equal("305", Field(fromDir.Stdout, "tree_size"));
        Assert.Equal(export, Field(fromDir.Stdout, "log_url"));
        Assert.Contains("matches the replay", fromDir.Stdout);

        // The export stands on its own: with the node grown past it, and with no node at all.
        await SendAsync(node, 2);
        var stale = await Spctl(alice, "ledger", "verify", "--log-url", export);
        Assert.True(stale.ExitCode == 0, stale.All);
        Assert.Contains("node_state_digest: not compared (the node's state is at height 307, beyond the log's tree size 305", stale.Stdout);
        await node.StopAsync();
        var offline = await Spctl(alice, "ledger", "verify", "--log-url", export);
        Assert.True(offline.ExitCode == 0, offline.All);
        Assert.Contains("node_state_digest: not compared (cannot compare with the node's state: cannot reach the node", offline.Stdout);
        Assert.Equal("305", Field(offline.Stdout, "signatures_verified"));
        Assert.Equal(0, (await Spctl(alice, "ledger", "info", "--log-url", export)).ExitCode);
        // Against the node itself, no node is an error.
        Assert.Equal(1, (await Spctl(alice, "ledger", "verify")).ExitCode);
    }

    private const string LedgerCommandsSuccess = "Ledger verification successful!";

    /// <summary>tests/go-tlog-check run with Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian packages).</summary>
    private static Task<CliResult> GoCheck(params string[] args) =>
        Cli.RunAsync(Path.Combine(Cli.RepoRoot, "tests", "go-tlog-check"), "env",
            ["GO111MODULE=off", "GOPATH=/usr/share/gocode", "GOFLAGS=-mod=mod", "go", "run", "main.go", .. args], null, 300);

    [Fact]
    public async Task A_log_served_by_sp_node_and_its_export_verify_with_gos_sumdb_note_and_tlog()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        await node.StartAsync();
        await SendAsync(node, 300);
        var old = Path.Combine(_work, "checkpoint.300");
        using (var http = new HttpClient()) await File.WriteAllBytesAsync(old, await http.GetByteArrayAsync(node.Url + "/log/checkpoint"));
        await SendAsync(node, 7);

        var live = await GoCheck(node.Url + "/log", node.VerifierKey, old);
        Assert.True(live.ExitCode == 0, live.All);
        Assert.Contains("verified: checkpoint of tree size 307, 307 entries proved included, consistent with tree size 300", live.Stdout);

        var export = Path.Combine(_work, "export");
        Assert.Equal(0, (await Cli.RunAsync(node.Dir, Cli.Bin("sp-node"), ["log", "export", export], null, 120)).ExitCode);
        var exported = await GoCheck(export, node.VerifierKey, old);
        Assert.True(exported.ExitCode == 0, exported.All);
        Assert.Contains("tree size 307, 307 entries proved included, consistent with tree size 300", exported.Stdout);

        // Go's packages catch what ours catch: an altered entry, an altered hash tile, another key.
        var bundle = Path.Combine(export, "tile", "entries", "000");
        var bytes = await File.ReadAllBytesAsync(bundle);
        bytes[100] ^= 1;
        await File.WriteAllBytesAsync(bundle, bytes);
        var alteredEntry = await GoCheck(export, node.VerifierKey);
        Assert.Equal(1, alteredEntry.ExitCode);
        Assert.Contains("is not included", alteredEntry.Stdout);
        bytes[100] ^= 1;
        await File.WriteAllBytesAsync(bundle, bytes);
        var tile = Path.Combine(export, "tile", "0", "000");
        var hashes = await File.ReadAllBytesAsync(tile);
        hashes[5] ^= 1;
        await File.WriteAllBytesAsync(tile, hashes);
        Assert.Equal(1, (await GoCheck(export, node.VerifierKey)).ExitCode);
        var other = await NodeProcess.InitAsync(Path.Combine(_work, "other"));
        var wrongKey = await GoCheck(node.Url + "/log", other.VerifierKey);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("checkpoint signature", wrongKey.Stdout);
    }

    [Fact]
    public async Task A_rollback_or_a_fork_stops_spctl_naming_both_tree_sizes_and_keeps_the_evidence()
    {
        // Node A: the honest log, seen by Alice at size 6.
        await using var a = await NodeProcess.InitAsync(Path.Combine(_work, "a"));
        await a.StartAsync();
        await SendAsync(a, 6);
        var alice = await ClientAsync(a, "alice");
        Assert.Equal(0, (await Spctl(alice, "ledger", "info")).ExitCode);
        await a.StopAsync();

        // Node B: the same log key, another history, on the same address.
        var bDir = Path.Combine(_work, "b");
        var init = await Cli.RunAsync(_work, Cli.Bin("sp-node"), ["init", bDir, "--network", "logtest"], null, 120);
        Assert.Equal(0, init.ExitCode);
        foreach (var f in new[] { "log-key", "log-key.pub" }) File.Copy(Path.Combine(a.Dir, f), Path.Combine(bDir, f), overwrite: true);
        await using var bNode = NodeProcess.At(bDir, a.Port);
        await bNode.StartAsync();
        await SendAsync(bNode, 3);

        var rollback = await Spctl(alice, "ledger", "info");
        Assert.Equal(1, rollback.ExitCode);
        Assert.Contains("tree size 3, smaller than tree size 6", rollback.Stderr);
        var evidence = Path.Combine(alice, "ledger", "logtest", "evidence");
        Assert.Single(Directory.GetFiles(evidence));
        Assert.Contains("\n3\n", File.ReadAllText(Directory.GetFiles(evidence)[0]));

        await SendAsync(bNode, 5);
        var fork = await Spctl(alice, "ledger", "info");
        Assert.Equal(1, fork.ExitCode);
        Assert.Contains("tree size 8 is not consistent with the checkpoint of tree size 6", fork.Stderr);
        Assert.Equal(2, Directory.GetFiles(evidence).Length);
        // The kept checkpoint is still Alice's size 6.
        Assert.Contains("\n6\n", File.ReadAllText(Path.Combine(alice, "ledger", "logtest", "checkpoint")));
        // get-report and verify stop the same way.
        Assert.Equal(1, (await Spctl(alice, "ledger", "verify")).ExitCode);

        // A command that submits a transaction: node B accepts it, but Alice's spctl cannot prove it in a log
        // consistent with what she saw, and says so instead of reporting success.
        var submit = await Spctl(alice, "providers", "create", "--name", "Alice Labs");
        Assert.Equal(1, submit.ExitCode);
        Assert.DoesNotContain("has been created", submit.Stdout);
        Assert.Contains("is not consistent with the checkpoint of tree size 6", submit.Stderr);
        Assert.Equal(4, Directory.GetFiles(evidence).Length); // info twice, verify, and this one
    }

    [Fact]
    public async Task Every_transaction_spctl_submits_is_proved_in_the_log_and_advances_the_kept_checkpoint()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        await node.StartAsync();
        await SendAsync(node, 4);
        var alice = await ClientAsync(node, "alice");
        var kept = Path.Combine(alice, "ledger", "logtest", "checkpoint");
        Assert.False(File.Exists(kept));

        var created = await Spctl(alice, "providers", "create", "--name", "Alice Labs");
        Assert.True(created.ExitCode == 0, created.All);
        // The provider.create is entry 5: the checkpoint kept after the command covers it.
        Assert.Contains("\n5\n", File.ReadAllText(kept));
        await SendAsync(node, 2);
        var updated = await Spctl(alice, "providers", "update", "--description", "cells");
        Assert.True(updated.ExitCode == 0, updated.All);
        Assert.Contains("\n8\n", File.ReadAllText(kept));

        // Without a pinned key nothing is proved, and nothing is kept.
        var bare = Path.Combine(_work, "bare");
        using (var client = new NodeClient(node.Url))
        {
            var info = await client.GetInfoAsync();
            ClientSetup.Write(bare, node.Url, info.Network, NewKey(), info.RootCa, info.AttestationPolicy, null);
        }
        Assert.Equal(0, (await Spctl(bare, "providers", "create", "--name", "Bare")).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(bare, "ledger")));
    }

    [Fact]
    public Task A_row_altered_in_the_nodes_sqlite_database_is_caught_by_ledger_verify_and_by_the_node_at_restart() =>
        RowAlteredAsync([], node =>
        {
            using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(node.Dir, "ledger.db")};Pooling=False");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "DROP TRIGGER ledger_no_update; UPDATE ledger SET body = replace(body, '\"n7\"', '\"n8\"') WHERE seq = 8;";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        });

    [Fact]
    public Task A_row_altered_in_the_nodes_postgresql_database_is_caught_by_ledger_verify_and_by_the_node_at_restart()
    {
        var database = postgres.CreateDatabase();
        return RowAlteredAsync(["--store", "postgres", "--postgres", database], _ =>
            PostgresCluster.Execute(database, "ALTER TABLE ledger DISABLE TRIGGER USER; UPDATE ledger SET body = replace(body, '\"n7\"', '\"n8\"') WHERE seq = 8; ALTER TABLE ledger ENABLE TRIGGER USER;"));
    }

    private async Task RowAlteredAsync(string[] initOptions, Action<NodeProcess> alter)
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"), initOptions);
        await node.StartAsync();
        await SendAsync(node, 20);
        var alice = await ClientAsync(node, "alice");
        Assert.Equal(0, (await Spctl(alice, "ledger", "verify")).ExitCode);

        alter(node);
        var verify = await Spctl(alice, "ledger", "verify");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("ledger entry 8", verify.Stderr);

        // The clean stop wrote a snapshot at the ledger's height, so the restart replays nothing; the entries under the
        // snapshot are audited while it serves, and the altered one stops it (exit 1) as a full replay would have.
        await node.StopAsync();
        Assert.Equal(1, await node.RunUntilExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("ledger entry 8 is corrupt", node.Output);
        Assert.Contains("ledger started from its snapshot at height", node.Output);
    }

    [Fact]
    public Task After_a_sigkill_the_node_starts_from_its_snapshot_to_the_same_state_on_sqlite() => SnapshotRestartAsync([]);

    [Fact]
    public Task After_a_sigkill_the_node_starts_from_its_snapshot_to_the_same_state_on_postgresql() =>
        SnapshotRestartAsync(["--store", "postgres", "--postgres", postgres.CreateDatabase()]);

    /// <summary>
    /// Many entries with a snapshot every 250, SIGKILL (no shutdown snapshot), restart: the node starts from the last
    /// snapshot, replays fewer than 250 entries, and serves the same height and state digest as before the kill and as
    /// a full replay (snapshots off) of the same store.
    /// </summary>
    private async Task SnapshotRestartAsync(string[] initOptions)
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"), initOptions);
        node.SetSetting("snapshotEvery", 250);
        await node.StartAsync();
        const int submitters = 4, perSubmitter = 330;
        var bursts = Enumerable.Range(0, submitters).Select(_ => Burst(NewKey(), perSubmitter)).ToList();
        using var client = new NodeClient(node.Url, TimeSpan.FromSeconds(30));
        await Task.WhenAll(bursts.Select(txs => Task.Run(async () =>
        {
            foreach (var tx in txs) await client.SubmitAsync(tx);
        })));
        var before = await ClientLog.NodeDigestAsync(client);
        Assert.Equal(submitters * perSubmitter, before.Height);
        Assert.Contains("ledger snapshot written at height", node.Output);
        await node.KillAsync();

        await node.StartAsync();
        var restarted = await ClientLog.NodeDigestAsync(client);
        Assert.Equal(before, restarted);
        var started = System.Text.RegularExpressions.Regex.Match(node.Output, @"ledger started from its snapshot at height (\d+): (\d+) entries replayed");
        Assert.True(started.Success, node.Output);
        var snapshotHeight = long.Parse(started.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(before.Height - snapshotHeight, 0, 249);
        Assert.Equal(before.Height - snapshotHeight, long.Parse(started.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

        await node.StopAsync();
        node.SetSetting("snapshotEvery", 0);
        await node.StartAsync();
        Assert.Contains("ledger snapshots are off (snapshotEvery 0): full replay of 1320 entries", node.Output);
        Assert.Equal(before, await ClientLog.NodeDigestAsync(client));
    }

    [Fact]
    public Task Sigkill_in_a_burst_loses_no_acknowledged_transaction_on_sqlite() => KillInBurstAsync([]);

    [Fact]
    public Task Sigkill_in_a_burst_loses_no_acknowledged_transaction_on_postgresql() =>
        KillInBurstAsync(["--store", "postgres", "--postgres", postgres.CreateDatabase()]);

    private async Task KillInBurstAsync(string[] initOptions)
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"), initOptions);
        await node.StartAsync();
        var alice = await ClientAsync(node, "alice");
        Assert.Equal(0, (await Spctl(alice, "ledger", "info")).ExitCode); // the empty log: size 0 kept

        const int submitters = 8, perSubmitter = 400;
        var bursts = Enumerable.Range(0, submitters).Select(_ => Burst(NewKey(), perSubmitter)).ToList();
        var acked = new System.Collections.Concurrent.ConcurrentBag<(long Seq, string Hash)>();
        using var client = new NodeClient(node.Url, TimeSpan.FromSeconds(30));
        var killAfter = submitters * perSubmitter / 3;
        var kill = new TaskCompletionSource();
        var workers = bursts.Select(txs => Task.Run(async () =>
        {
            foreach (var tx in txs)
            {
                try
                {
                    var r = await client.SubmitAsync(tx);
                    acked.Add((r.Seq, r.Hash));
                    if (acked.Count >= killAfter) kill.TrySetResult();
                }
                catch (Exception e) when (e is TransientError or NodeRefusedError or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or IOException)
                {
                    return; // the node is gone: this transaction was never acknowledged
                }
            }
        })).ToList();
        await Task.WhenAny(kill.Task, Task.WhenAll(workers));
        // Alice checks a checkpoint mid-burst, then the node dies.
        Assert.Equal(0, (await Spctl(alice, "ledger", "info")).ExitCode);
        await node.KillAsync();
        await Task.WhenAll(workers);
        Assert.True(acked.Count >= killAfter);
        Assert.True(acked.Count < submitters * perSubmitter, "the node was killed after the burst ended: nothing was tested");

        await node.StartAsync();
        var info = await Spctl(alice, "ledger", "info"); // consistent with what Alice saw before the crash
        Assert.True(info.ExitCode == 0, info.All);
        var size = long.Parse(Field(info.Stdout, "tree_size"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(size >= acked.Max(a => a.Seq));

        // Every acknowledged transaction is in the log, at its seq, with its hash, proved under the new checkpoint.
        var reader = new TileReader(new HttpTileSource(node.Url + "/log"));
        var checkpoint = (await reader.ReadCheckpointAsync(NoteVerifier.Parse(node.VerifierKey))).Checkpoint;
        var leaves = new Dictionary<long, string>();
        await TileLogAuditor.AuditAsync(reader, checkpoint, (i, leaf) => leaves[i + 1] = LogEntryCodec.HashOf(leaf));
        foreach (var (seq, hash) in acked) Assert.Equal(hash, leaves[seq]);

        var verify = await Spctl(alice, "ledger", "verify");
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains("matches the replay", verify.Stdout);
    }
}
