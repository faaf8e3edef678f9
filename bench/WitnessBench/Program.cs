using System.Diagnostics;
using System.Globalization;
using Sp.Client;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;
using Sp.Tlog;

// WitnessBench NODE_URL NETWORK N [THRESHOLD WITNESS_KEY...]
// N times: submit one transaction, then time GET /log/checkpoint, which signs the new checkpoint and (with
// witnesses) waits for the node's add-checkpoint round to every witness. Checks each checkpoint against the
// policy given (THRESHOLD of the keys) and prints the median, p90 and max latency in ms.
var url = args[0];
var network = args[1];
var n = int.Parse(args[2], CultureInfo.InvariantCulture);
WitnessPolicy? policy = args.Length > 3 ? WitnessPolicy.Parse(int.Parse(args[3], CultureInfo.InvariantCulture), args[4..]) : null;
using var client = new NodeClient(url);
using var http = new HttpClient();
using var key = AccountKey.Generate();
var logKey = NoteVerifier.Parse((await (await http.GetAsync(url + "/api/log")).Content.ReadAsStringAsync()).Split('"').SkipWhile(s => s != "verifierKey").Skip(2).First());
var times = new List<double>();
for (var i = 0; i < n + 5; i++)
{
    var tx = SignedTransaction.Sign(i == 0
        ? Transaction.Create(network, key.Address, 0, new ProviderCreate("bench", "d"))
        : Transaction.Create(network, key.Address, i, new ProviderUpdate($"n{i}", "d")), key);
    var receipt = await client.SubmitAsync(tx);
    var sw = Stopwatch.StartNew();
    var note = await http.GetByteArrayAsync(url + "/log/checkpoint");
    sw.Stop();
    var checkpoint = policy is null ? Checkpoint.Open(note, logKey) : policy.Open(note, logKey);
    if (checkpoint.Checkpoint.TreeSize < receipt.Seq) throw new InvalidOperationException($"checkpoint {checkpoint.Checkpoint.TreeSize} < entry {receipt.Seq}");
    if (i >= 5) times.Add(sw.Elapsed.TotalMilliseconds); // the first five warm up connections and JIT
}
times.Sort();
double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{n} checkpoints, {(policy is null ? "no witnesses" : $"each cosigned by {policy.Witnesses.Count} witnesses")}: median {P(0.5):0.00} ms, p90 {P(0.9):0.00} ms, max {times[^1]:0.00} ms"));
