using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Sp.Client;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Transactions;
using Sp.Tlog;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// Fail-over (docs/ledger.md, "Fail-over"): three sp-node processes on one PostgreSQL ledger, one leading, two
/// following; the leader is killed with SIGKILL again and again while clients write, and every acknowledged
/// transaction stays in one log, once, in order.
/// </summary>
public sealed partial class LedgerLogTests
{
    [Fact]
    public async Task Nodes_on_one_postgresql_ledger_fail_over_through_sigkills_of_the_leader_and_lose_no_acknowledged_transaction()
    {
        var database = postgres.CreateDatabase();
        await using var n0 = await NodeProcess.InitAsync(Path.Combine(_work, "n0"), "--store", "postgres", "--postgres", database);
        await using var n1 = CopyNode(n0, Path.Combine(_work, "n1"));
        await using var n2 = CopyNode(n0, Path.Combine(_work, "n2"));
        NodeProcess[] nodes = [n0, n1, n2];
        foreach (var n in nodes)
        {
            SetFailover(n);
            await n.StartAsync();
        }
        Assert.Same(n0, await LeaderAsync(nodes)); // the first one started took the free lease

        // Submitters, each its own account with increasing nonces, each starting on another node (followers forward).
        const int submitters = 4;
        var keys = Enumerable.Range(0, submitters).Select(_ => NewKey()).ToList();
        var clients = nodes.Select(n => new NodeClient(n.Url, TimeSpan.FromSeconds(10))).ToList();
        var acked = new ConcurrentQueue<(int Submitter, long Nonce, long Seq, string Hash)>();
        using var stop = new CancellationTokenSource();
        var workers = keys.Select((key, i) => Task.Run(() => SubmitLoopAsync(i, key, clients, acked, stop.Token))).ToList();
        // Every checkpoint any node serves meanwhile: one history never shows two different checkpoints of one size.
        var seen = new ConcurrentBag<string>();
        var sampler = Task.Run(() => SampleCheckpointsAsync(nodes, seen, stop.Token));

        var old = Path.Combine(_work, "checkpoint.old");
        NodeProcess? previous = null;
        for (var kill = 0; kill < 3; kill++)
        {
            await GrowAsync(acked, 80, workers);
            var leader = await LeaderAsync(nodes);
            if (kill > 0) Assert.NotSame(previous, leader);
            if (kill == 0)
            {
                using var http = new HttpClient();
                await File.WriteAllBytesAsync(old, await http.GetByteArrayAsync(leader.Url + "/log/checkpoint"));
            }
            await leader.KillAsync();
            var next = await LeaderAsync(nodes.Where(n => n != leader).ToArray());
            Assert.NotSame(leader, next);
            await leader.StartAsync(); // back, as a follower
            previous = leader;
        }
        await GrowAsync(acked, 80, workers);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        await sampler;
        foreach (var c in clients) c.Dispose();

        // All nodes converge on one state.
        var digests = await ConvergedDigestsAsync(nodes);
        Assert.True(digests.Height >= acked.Max(a => a.Seq));

        // The log, read from a follower: every entry decoded; each account's nonces 0, 1, 2, ... once each, in seq order.
        var follower = (await Task.WhenAll(nodes.Select(async n => (n, (await StatusAsync(n))?["role"]?.GetValue<string>())))).First(x => x.Item2 == "follower").n;
        var reader = new TileReader(new HttpTileSource(follower.Url + "/log"));
        var checkpoint = (await reader.ReadCheckpointAsync(NoteVerifier.Parse(n0.VerifierKey))).Checkpoint;
        Assert.Equal(digests.Height, checkpoint.TreeSize);
        var entries = new Dictionary<long, (string Hash, string From, long Nonce)>();
        await TileLogAuditor.AuditAsync(reader, checkpoint, (i, leaf) =>
        {
            var e = LogEntryCodec.Decode(leaf, i);
            entries[i + 1] = (LogEntryCodec.HashOf(leaf), e.Signed.Tx.From.ToLowerInvariant(), e.Signed.Tx.Nonce);
        });
        for (var i = 0; i < submitters; i++)
        {
            var nonces = entries.OrderBy(e => e.Key).Where(e => e.Value.From == keys[i].Address.Lower).Select(e => e.Value.Nonce).ToList();
            Assert.Equal(Enumerable.Range(0, nonces.Count).Select(n => (long)n), nonces);
            Assert.Contains(acked, a => a.Submitter == i);
        }
        foreach (var a in acked)
        {
            Assert.Equal(a.Hash, entries[a.Seq].Hash);
            Assert.Equal((keys[a.Submitter].Address.Lower, a.Nonce), (entries[a.Seq].From, entries[a.Seq].Nonce));
        }

        // One history: one checkpoint per size whichever node served it, and Go's tlog proves the first leader's
        // checkpoint consistent with the final one served by a follower.
        var bySize = seen.GroupBy(c => c.Split('\n')[1]).ToList();
        Assert.True(bySize.Count > 3, $"{bySize.Count} checkpoint sizes seen");
        foreach (var size in bySize) Assert.Single(size.Distinct());
        var oldSize = (await File.ReadAllTextAsync(old)).Split('\n')[1];
        var go = await GoCheck(follower.Url + "/log", n0.VerifierKey, old);
        Assert.True(go.ExitCode == 0, go.All);
        Assert.Contains($"verified: checkpoint of tree size {checkpoint.TreeSize}, {checkpoint.TreeSize} entries proved included, consistent with tree size {oldSize}", go.Stdout);
    }

    /// <summary>A second node folder of the same network: the first one's keys, CA, policy and node.json, no ledger of its own.</summary>
    internal static NodeProcess CopyNode(NodeProcess source, string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "blobs"));
        foreach (var name in new[] { "node.json", "root-ca.pem", "root-ca.key.pem", "sim-platform.key.pem", "attestation-policy.json", "log-key", "log-key.pub" })
            File.Copy(Path.Combine(source.Dir, name), Path.Combine(dir, name));
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return NodeProcess.At(dir, ((IPEndPoint)l.LocalEndpoint).Port);
    }

    /// <summary>node.json <c>failover</c>: this node's own address, polled every 100 ms.</summary>
    internal static void SetFailover(NodeProcess node)
    {
        var path = Path.Combine(node.Dir, "node.json");
        var settings = JsonNode.Parse(File.ReadAllText(path))!;
        settings["failover"] = new JsonObject { ["advertiseUrl"] = node.Url, ["pollMilliseconds"] = 100 };
        File.WriteAllText(path, settings.ToJsonString());
    }

    private static async Task<JsonNode?> StatusAsync(NodeProcess node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try { return JsonNode.Parse(await http.GetStringAsync(node.Url + "/api/failover")); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
    }

    /// <summary>The one node of <paramref name="candidates"/> that says it leads (waits up to 20 s for one).</summary>
    private static async Task<NodeProcess> LeaderAsync(NodeProcess[] candidates)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var leaders = new List<NodeProcess>();
            foreach (var n in candidates)
                if ((await StatusAsync(n))?["role"]?.GetValue<string>() == "leader") leaders.Add(n);
            Assert.True(leaders.Count <= 1, "two nodes lead at once");
            if (leaders.Count == 1) return leaders[0];
            await Task.Delay(50);
        }
        throw new TimeoutException("no node took the lead within 20 s");
    }

    private static async Task GrowAsync(ConcurrentQueue<(int, long, long, string)> acked, int more, List<Task> workers)
    {
        var target = acked.Count + more;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (acked.Count < target)
        {
            if (workers.FirstOrDefault(w => w.IsFaulted) is { } failed) await failed; // a submitter found a lost or duplicated transaction
            Assert.True(DateTime.UtcNow < until, $"writes stalled at {acked.Count} acknowledged");
            await Task.Delay(20);
        }
    }

    private static SignedTransaction FailoverTx(AccountKey key, long nonce) => SignedTransaction.Sign(nonce == 0
        ? Transaction.Create("logtest", key.Address, 0, new ProviderCreate("p", "d"))
        : Transaction.Create("logtest", key.Address, nonce, new ProviderUpdate($"n{nonce}", "d")), key);

    /// <summary>
    /// Sends nonce 0, 1, 2, ... until stopped. A node that cannot be reached or answers a server error is left for the
    /// next one, with the same signed transaction. A nonce conflict on a retry means an earlier attempt was sequenced
    /// and its answer lost (in the log, never acknowledged); on a first attempt it would mean a lost or reordered entry.
    /// </summary>
    private static async Task SubmitLoopAsync(int submitter, AccountKey key, List<NodeClient> clients,
        ConcurrentQueue<(int, long, long, string)> acked, CancellationToken ct)
    {
        var target = submitter % clients.Count;
        for (long nonce = 0; !ct.IsCancellationRequested; nonce++)
        {
            var tx = FailoverTx(key, nonce);
            var attempted = false;
            while (true)
            {
                try
                {
                    var r = await clients[target].SubmitAsync(tx, ct);
                    acked.Enqueue((submitter, nonce, r.Seq, r.Hash));
                    break;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (NonceConflictError) when (attempted) { break; }
                catch (NonceConflictError e) { throw new InvalidOperationException($"submitter {submitter}, nonce {nonce}, first attempt: {e.Message}", e); }
                catch (Exception e) when (e is TransientError or NodeRefusedError { Status: >= HttpStatusCode.InternalServerError })
                {
                    attempted = true;
                    target = (target + 1) % clients.Count;
                    if (ct.IsCancellationRequested) return;
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }
    }

    private static async Task SampleCheckpointsAsync(NodeProcess[] nodes, ConcurrentBag<string> seen, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (!ct.IsCancellationRequested)
        {
            foreach (var n in nodes)
            {
                try { seen.Add(await http.GetStringAsync(n.Url + "/log/checkpoint", CancellationToken.None)); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            }
            try { await Task.Delay(100, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Waits (up to 20 s) until every node reports the same height and state digest.</summary>
    private static async Task<Sp.Api.StateDigest> ConvergedDigestsAsync(NodeProcess[] nodes)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var digests = new List<Sp.Api.StateDigest>();
            foreach (var n in nodes)
            {
                using var client = new NodeClient(n.Url);
                digests.Add(await ClientLog.NodeDigestAsync(client));
            }
            if (digests.Distinct().Count() == 1) return digests[0];
            Assert.True(DateTime.UtcNow < until, "nodes did not converge: " + string.Join(", ", digests));
            await Task.Delay(100);
        }
    }
}
