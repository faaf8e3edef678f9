using System.Diagnostics;
using System.Globalization;
using Sp.Client;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Tlog;
using Sp.Ledger.Transactions;

// Ledger figures for docs/benchmarks.md (bench/ledger.sh runs every mode):
//   inproc sqlite|postgres N SUBMITTERS [CONNECTION]   signed transactions appended per second, in-process
//   http URL NETWORK N SUBMITTERS                      the same through sp-node's HTTP API
//   proofs LEAVES                                      proof computation and verification at LEAVES leaves
//   load URL NETWORK N                                 submit N transactions (to prepare a ledger for `spctl ledger verify`)
//   stages N                                           CPU per transaction of each stage, one thread (where the time goes)
//   gen NETWORK N STORE...                             write N signed, chained entries straight into each store (a node's
//                                                      ledger.db path, or a PostgreSQL connection string): start-up figures
//   failover NETWORK KILLS VERIFIERKEY URL=PIDFILE...  fail-over time and transactions lost (bench/failover.sh, FailoverBench.cs)
var inv = CultureInfo.InvariantCulture;
switch (args)
{
    case ["inproc", var kind, var n, var subs, .. var rest]:
        await InProc(kind, int.Parse(n, inv), int.Parse(subs, inv), rest.FirstOrDefault());
        break;
    case ["http", var url, var network, var n, var subs]:
        await Http(url, network, int.Parse(n, inv), int.Parse(subs, inv));
        break;
    case ["proofs", var leaves]:
        ProofsBench(long.Parse(leaves, inv));
        break;
    case ["stages", var n]:
        Stages(int.Parse(n, inv));
        break;
    case ["gen", var network, var n, .. var stores]:
        Generate(network, int.Parse(n, inv), stores);
        break;
    case ["failover", var network, var kills, var verifierKey, .. var nodes]:
        return await FailoverBench.RunAsync(network, int.Parse(kills, inv), verifierKey, nodes);
    case ["load", var url, var network, var n]:
        await Http(url, network, int.Parse(n, inv), 16);
        break;
    default:
        Console.Error.WriteLine("usage: see the comment at the top of bench/LedgerBench/Program.cs");
        return 2;
}
return 0;

// Pre-signed transactions: one account per submitter (nonces are per account, so each submitter is sequential).
static List<List<SignedTransaction>> Sign(string network, int n, int submitters)
{
    var sw = Stopwatch.StartNew();
    var lists = new List<SignedTransaction>[submitters];
    Parallel.For(0, submitters, s =>
    {
        using var key = AccountKey.Generate();
        var count = n / submitters + (s < n % submitters ? 1 : 0);
        lists[s] = Enumerable.Range(0, count).Select(i => SignedTransaction.Sign(i == 0
            ? Transaction.Create(network, key.Address, 0, new ProviderCreate($"provider {s}", "benchmark"))
            : Transaction.Create(network, key.Address, i, new ProviderUpdate($"provider {s} v{i}", "benchmark")), key)).ToList();
    });
    Console.Error.WriteLine($"signed {n} transactions in {sw.Elapsed.TotalSeconds:0.0} s");
    return [.. lists];
}

static async Task InProc(string kind, int n, int submitters, string? connection)
{
    const string network = "bench";
    var txs = Sign(network, n, submitters);
    var dir = Directory.CreateTempSubdirectory("sp-bench-").FullName;
    ILedgerStore store = kind == "postgres" ? new NpgsqlLedgerStore(connection!) : new SqliteLedgerStore(Path.Combine(dir, "ledger.db"));
    var log = new TransparencyLog(NoteSigner.Generate("bench.local/log"), Path.Combine(dir, "checkpoint"), store);
    using var service = new LedgerService(store, network, TimeProvider.System, log.Append);
    log.Follow(service);
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(txs.Select(list => Task.Run(async () =>
    {
        foreach (var tx in list)
        {
            var o = await service.SubmitAsync(tx);
            if (!o.Accepted) throw new InvalidOperationException(o.Error);
        }
    })));
    var secs = sw.Elapsed.TotalSeconds;
    log.CurrentCheckpoint();
    Console.WriteLine($"inproc {kind}: {n} signed transactions, {submitters} submitters: {secs:0.00} s, {n / secs:0} tx/s (signature checks, log leaves, durable group commit)");
    Directory.Delete(dir, recursive: true);
}

static async Task Http(string url, string network, int n, int submitters)
{
    var txs = Sign(network, n, submitters);
    using var client = new NodeClient(url);
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(txs.Select(list => Task.Run(async () =>
    {
        foreach (var tx in list) await client.SubmitAsync(tx);
    })));
    var secs = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"http: {n} signed transactions, {submitters} concurrent submitters: {secs:0.00} s, {n / secs:0} tx/s");
}

static void ProofsBench(long leaves)
{
    var tree = new MerkleLog();
    var sw = Stopwatch.StartNew();
    Span<byte> entry = stackalloc byte[8];
    for (long i = 0; i < leaves; i++)
    {
        BitConverter.TryWriteBytes(entry, i);
        tree.AppendEntry(entry);
    }
    Console.WriteLine($"proofs: built a tree of {leaves} leaves in {sw.Elapsed.TotalSeconds:0.00} s ({GC.GetTotalMemory(true) / (1 << 20)} MiB managed)");
    var root = tree.Root;
    var rng = new Random(1);
    const int rounds = 2000;
    var inclusion = new (long Index, NodeHash[] Proof)[rounds];
    sw.Restart();
    for (var r = 0; r < rounds; r++)
    {
        var index = rng.NextInt64(leaves);
        inclusion[r] = (index, tree.InclusionProof(index, leaves));
    }
    var incCompute = sw.Elapsed.TotalMicroseconds / rounds;
    sw.Restart();
    for (var r = 0; r < rounds; r++)
    {
        BitConverter.TryWriteBytes(entry, inclusion[r].Index);
        ProofVerifier.VerifyInclusion(MerkleHash.Leaf(entry), inclusion[r].Index, leaves, inclusion[r].Proof, root);
    }
    var incVerify = sw.Elapsed.TotalMicroseconds / rounds;
    var consistency = new (long Old, NodeHash[] Proof, NodeHash OldRoot)[rounds];
    var oldRoots = new Dictionary<long, NodeHash>();
    for (var r = 0; r < rounds; r++)
    {
        var old = rng.NextInt64(1, leaves);
        consistency[r] = (old, [], tree.RootAt(old));
    }
    sw.Restart();
    for (var r = 0; r < rounds; r++) consistency[r].Proof = tree.ConsistencyProof(consistency[r].Old, leaves);
    var conCompute = sw.Elapsed.TotalMicroseconds / rounds;
    sw.Restart();
    for (var r = 0; r < rounds; r++) ProofVerifier.VerifyConsistency(consistency[r].Old, leaves, consistency[r].Proof, consistency[r].OldRoot, root);
    var conVerify = sw.Elapsed.TotalMicroseconds / rounds;
    Console.WriteLine($"proofs at {leaves} leaves (mean of {rounds}): inclusion compute {incCompute:0.0} us, verify {incVerify:0.0} us; consistency compute {conCompute:0.0} us, verify {conVerify:0.0} us");
}

// The cheapest honest history for start-up figures: transactions signed as clients sign them (64 accounts,
// provider.create then provider.update, round robin so each account's nonces stay in order), chained into entries
// as the sequencer chains them, appended with the stores' own batch write. The node re-verifies all of it on a full
// replay: nothing here is trusted.
static void Generate(string network, int n, string[] stores)
{
    const int accounts = 64;
    var txs = Sign(network, n, accounts);
    var sw = Stopwatch.StartNew();
    var entries = new List<LedgerEntry>(n);
    var prev = LedgerEntry.GenesisPrevHash;
    var time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - n;
    for (var i = 0; entries.Count < n; i++)
    {
        foreach (var list in txs)
        {
            if (i >= list.Count) continue;
            var entry = new LedgerEntry { Seq = entries.Count + 1, Time = time + entries.Count, PrevHash = prev, Signed = list[i] };
            entry = entry with { Hash = LogEntryCodec.HashOf(LogEntryCodec.Encode(entry)) };
            entries.Add(entry);
            prev = entry.Hash;
        }
    }
    Console.Error.WriteLine($"chained {n} entries in {sw.Elapsed.TotalSeconds:0.0} s");
    foreach (var target in stores)
    {
        sw.Restart();
        using ILedgerStore store = target.Contains('=', StringComparison.Ordinal) ? new NpgsqlLedgerStore(target) : new SqliteLedgerStore(target);
        if (store.Count != 0) throw new InvalidOperationException($"{target}: the store is not empty");
        foreach (var chunk in entries.Chunk(10_000)) store.AppendBatch(chunk);
        Console.Error.WriteLine($"wrote {n} entries to {(store is NpgsqlLedgerStore pg ? pg.Description : target)} in {sw.Elapsed.TotalSeconds:0.0} s");
    }
}

// One thread, no store: the cost of each stage a transaction goes through on its way into the ledger.
static void Stages(int n)
{
    const string network = "bench";
    var txs = Sign(network, n, 1)[0];
    var sw = Stopwatch.StartNew();
    void Stage(string name, Action<SignedTransaction, int> work)
    {
        for (var i = 0; i < Math.Min(500, txs.Count); i++) work(txs[i], i); // warm-up: tiered JIT
        sw.Restart();
        for (var i = 0; i < txs.Count; i++) work(txs[i], i);
        Console.WriteLine($"{name,-40} {sw.Elapsed.TotalMicroseconds / txs.Count,8:0.0} us/tx");
    }
    Stage("signing digest (JCS + keccak)", (tx, _) => tx.Tx.SigningDigest());
    Stage("signature check (digest + recover)", (tx, _) => LedgerService.CheckSignature(tx));
    var entries = txs.Select((tx, i) => new LedgerEntry { Seq = i + 1, Time = 1, PrevHash = LedgerEntry.GenesisPrevHash, Signed = tx }).ToArray();
    Stage("leaf encoding (JCS of the entry)", (_, i) => LogEntryCodec.Encode(entries[i]));
    Stage("leaf decode (parse + canonical check)", (_, i) => LogEntryCodec.Decode(LogEntryCodec.Encode(entries[i]), i));
    Stage("store body (JSON of the signed tx)", (tx, _) => System.Text.Json.JsonSerializer.Serialize(tx, Sp.Core.Json.SpJson.Options));
    var leaves = entries.Select(LogEntryCodec.Encode).ToArray();
    var tree = new MerkleLog();
    Stage("Merkle append", (_, i) =>
    {
        if (i == 0) tree = new MerkleLog();
        tree.AppendEntry(leaves[i]);
    });
    var state = new Sp.Ledger.State.MarketState { Network = network };
    Stage("state machine (prepare + commit)", (_, i) =>
    {
        if (i == 0) state = new Sp.Ledger.State.MarketState { Network = network };
        var e = entries[i] with { Seq = state.Height + 1, PrevHash = state.LastHash, Hash = LogEntryCodec.HashOf(leaves[i]) };
        var o = Sp.Ledger.Machine.MarketMachine.Apply(state, e);
        if (!o.Accepted) throw new InvalidOperationException(o.Error);
    });
}
