using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sp.Client;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Core.Json;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Transactions;
using Sp.Tlog;

/// <summary>
/// <c>failover NETWORK KILLS VERIFIERKEY URL=PIDFILE...</c> (bench/failover.sh): four submitters write through the
/// nodes continuously; KILLS times the leader is killed with SIGKILL (its pid read from its file; a supervisor starts
/// it again), and the time from the kill to the first write accepted by the new leader is measured by a probe that
/// sends one transaction every 10 ms to the other nodes. At the end every acknowledged transaction is looked up in
/// the log (lost: acknowledged but absent or changed; duplicated: one account's nonce twice).
/// </summary>
internal static class FailoverBench
{
    public static async Task<int> RunAsync(string network, int kills, string verifierKey, string[] nodeArgs)
    {
        var nodes = nodeArgs.Select(a => a.Split('=', 2)).Select(p => (Url: p[0], PidFile: p[1])).ToArray();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var keys = Enumerable.Range(0, 4).Select(_ => AccountKey.Generate()).ToList();
        var acked = new System.Collections.Concurrent.ConcurrentQueue<(int Sub, long Nonce, long Seq, string Hash)>();
        using var stop = new CancellationTokenSource();
        var clients = nodes.Select(n => new NodeClient(n.Url, TimeSpan.FromSeconds(10))).ToList();
        var workers = keys.Select((key, i) => Task.Run(async () =>
        {
            var target = i % clients.Count;
            for (long nonce = 0; !stop.IsCancellationRequested; nonce++)
            {
                var tx = Tx(network, key, nonce);
                var attempted = false;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var r = await clients[target].SubmitAsync(tx, stop.Token);
                        acked.Enqueue((i, nonce, r.Seq, r.Hash));
                        break;
                    }
                    catch (OperationCanceledException) { return; }
                    catch (NonceConflictError) when (attempted) { break; } // sequenced, answer lost: in the log, never acknowledged
                    catch (Exception e) when (e is TransientError or NodeRefusedError { Status: >= System.Net.HttpStatusCode.InternalServerError })
                    {
                        attempted = true;
                        target = (target + 1) % clients.Count;
                        await Task.Delay(50, CancellationToken.None);
                    }
                }
            }
        })).ToList();

        using var probeKey = AccountKey.Generate();
        long probeNonce = 0;
        var times = new List<double>();
        for (var k = 0; k < kills; k++)
        {
            await Task.Delay(2000);
            var leader = await LeaderAsync(http, nodes.Select(n => n.Url).ToArray());
            var pid = int.Parse(File.ReadAllText(nodes.Single(n => n.Url == leader).PidFile).Trim(), CultureInfo.InvariantCulture);
            var others = nodes.Where(n => n.Url != leader).Select(n => n.Url).ToArray();
            var sw = Stopwatch.StartNew();
            using (var p = Process.GetProcessById(pid)) p.Kill();
            var last = "";
            for (var attempt = 0; ; attempt++)
            {
                // The probe's transaction, signed once per nonce: any node may take it, a follower forwards it.
                var body = JsonContent.Create(Tx(network, probeKey, probeNonce), options: SpJson.Options);
                try
                {
                    using var resp = await http.PostAsync(others[attempt % others.Length] + "/api/transactions", body);
                    if (resp.IsSuccessStatusCode)
                    {
                        times.Add(sw.Elapsed.TotalMilliseconds);
                        probeNonce++;
                        break;
                    }
                    var text = await resp.Content.ReadAsStringAsync();
                    last = $"{(int)resp.StatusCode} {text}";
                    var expected = System.Text.RegularExpressions.Regex.Match(text, @"expected (\d+), got");
                    if (expected.Success && long.Parse(expected.Groups[1].Value, CultureInfo.InvariantCulture) > probeNonce)
                    {
                        // An earlier attempt went through (its answer lost): that was the first accepted write.
                        times.Add(sw.Elapsed.TotalMilliseconds);
                        probeNonce = long.Parse(expected.Groups[1].Value, CultureInfo.InvariantCulture);
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e.Message; }
                if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"no write accepted within 60 s of the kill; last answer: {last}");
                await Task.Delay(10);
            }
            var newLeader = await LeaderAsync(http, others);
            Console.Error.WriteLine($"kill {k + 1}: {leader} (pid {pid}) killed; {newLeader} took the first write {times[^1]:0} ms later");
            await WaitUpAsync(http, leader); // its supervisor starts it again, as a follower
        }
        await Task.Delay(2000);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        foreach (var c in clients) c.Dispose();

        // Converged state, then the log read back and every acknowledged transaction looked up.
        await Task.Delay(1000);
        var reader = new TileReader(new HttpTileSource(nodes[0].Url + "/log"));
        var checkpoint = (await reader.ReadCheckpointAsync(NoteVerifier.Parse(verifierKey))).Checkpoint;
        var entries = new Dictionary<long, (string Hash, string From, long Nonce)>();
        await TileLogAuditor.AuditAsync(reader, checkpoint, (i, leaf) =>
        {
            var e = LogEntryCodec.Decode(leaf, i);
            entries[i + 1] = (LogEntryCodec.HashOf(leaf), e.Signed.Tx.From.ToLowerInvariant(), e.Signed.Tx.Nonce);
        });
        var lost = acked.Count(a => !entries.TryGetValue(a.Seq, out var e) || e.Hash != a.Hash || e.From != keys[a.Sub].Address.Lower || e.Nonce != a.Nonce);
        var duplicated = entries.Values.GroupBy(e => (e.From, e.Nonce)).Count(g => g.Count() > 1);
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"failover: {kills} SIGKILLs of the leader, kill to first accepted write: min {times[0]:0} ms, median {times[times.Count / 2]:0} ms, max {times[^1]:0} ms; " +
            $"{acked.Count} transactions acknowledged, {lost} lost, {duplicated} duplicated; log size {checkpoint.TreeSize}"));
        foreach (var k in keys) k.Dispose();
        return lost == 0 && duplicated == 0 ? 0 : 1;
    }

    private static SignedTransaction Tx(string network, AccountKey key, long nonce) => SignedTransaction.Sign(nonce == 0
        ? Transaction.Create(network, key.Address, 0, new ProviderCreate("failover", "benchmark"))
        : Transaction.Create(network, key.Address, nonce, new ProviderUpdate($"v{nonce}", "benchmark")), key);

    private static async Task<string> LeaderAsync(HttpClient http, string[] urls)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (var url in urls)
            {
                try
                {
                    if (JsonNode.Parse(await http.GetStringAsync(url + "/api/failover"))?["role"]?.GetValue<string>() == "leader") return url;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("no leader within 60 s");
    }

    private static async Task WaitUpAsync(HttpClient http, string url)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                await http.GetStringAsync(url + "/api/failover");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { await Task.Delay(50); }
        }
        throw new TimeoutException($"{url} did not come back within 60 s");
    }
}
