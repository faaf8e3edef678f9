using System.Text.Json.Nodes;
using Sp.Cli;
using Sp.Client;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;
using Sp.Tlog;
using Sp.Witness.Tests;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// A split view: the operator runs two nodes with the same log key and shows Alice one history and Bob another.
/// Each client alone sees a log consistent with itself; the witness both nodes must go through sees both and
/// refuses the second history, so a client that requires its cosignature refuses the checkpoint Bob is shown.
/// </summary>
public sealed class SplitViewTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-split-view-").FullName;
    private readonly List<AccountKey> _keys = [];

    public void Dispose()
    {
        foreach (var k in _keys) k.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private async Task SendAsync(NodeProcess node, int n)
    {
        var key = AccountKey.Generate();
        _keys.Add(key);
        using var client = new NodeClient(node.Url);
        for (var i = 0; i < n; i++)
            await client.SubmitAsync(SignedTransaction.Sign(i == 0
                ? Transaction.Create("logtest", key.Address, 0, new ProviderCreate("p", "d"))
                : Transaction.Create("logtest", key.Address, i, new ProviderUpdate($"n{i}", "d")), key));
    }

    private static void UseWitnesses(string nodeDir, params WitnessProcess[] witnesses)
    {
        var path = Path.Combine(nodeDir, "node.json");
        var settings = JsonNode.Parse(File.ReadAllText(path))!;
        settings["witnessing"] = new JsonObject
        {
            ["timeoutSeconds"] = 10,
            ["witnesses"] = new JsonArray([.. witnesses.Select(w => (JsonNode)new JsonObject { ["url"] = w.Url, ["key"] = w.VerifierKey })]),
        };
        File.WriteAllText(path, settings.ToJsonString());
    }

    /// <summary>A client folder pinned to <paramref name="node"/>'s log key, requiring <paramref name="threshold"/> of <paramref name="witnesses"/> (none: no policy).</summary>
    private async Task<string> ClientAsync(NodeProcess node, string name, int threshold, params WitnessProcess[] witnesses)
    {
        var dir = Path.Combine(_work, name);
        var key = AccountKey.Generate();
        _keys.Add(key);
        using (var client = new NodeClient(node.Url))
        {
            var info = await client.GetInfoAsync();
            ClientSetup.Write(dir, node.Url, info.Network, key, info.RootCa, info.AttestationPolicy, node.VerifierKey);
        }
        if (witnesses.Length > 0)
        {
            var path = Path.Combine(dir, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!;
            config["trust"]!["witnesses"] = new JsonObject
            {
                ["threshold"] = threshold,
                ["keys"] = new JsonArray([.. witnesses.Select(w => (JsonNode)JsonValue.Create(w.VerifierKey))]),
            };
            File.WriteAllText(path, config.ToJsonString());
        }
        return dir;
    }

    private static Task<CliResult> Spctl(string dir, params string[] args) => Cli.RunAsync(dir, Cli.Bin("spctl"), args, null, 180);

    [Fact]
    public async Task Two_histories_under_one_log_key_are_caught_by_the_witness_and_by_a_client_that_requires_its_cosignature()
    {
        // Node A: the history Alice is shown. Node B: the same log key, another history, for Bob.
        var a = await NodeProcess.InitAsync(Path.Combine(_work, "a"));
        var b = await NodeProcess.InitAsync(Path.Combine(_work, "b"));
        foreach (var f in new[] { "log-key", "log-key.pub" }) File.Copy(Path.Combine(a.Dir, f), Path.Combine(b.Dir, f), overwrite: true);
        await using var witness = await WitnessProcess.StartAsync(Path.Combine(_work, "w1"), "witness.example/w1", Path.Combine(a.Dir, "log-key.pub"));
        await using var w2 = await WitnessProcess.StartAsync(Path.Combine(_work, "w2"), "witness.example/w2", Path.Combine(a.Dir, "log-key.pub"));
        UseWitnesses(a.Dir, witness, w2);
        UseWitnesses(b.Dir, witness, w2);
        await using var nodeA = a;
        await using var nodeB = b;

        await nodeA.StartAsync();
        await SendAsync(nodeA, 6);
        var alice = await ClientAsync(nodeA, "alice", 2, witness, w2);
        var info = await Spctl(alice, "ledger", "info");
        Assert.True(info.ExitCode == 0, info.All);
        // Alice's spctl proves what it submits under a checkpoint both witnesses cosigned.
        var created = await Spctl(alice, "providers", "create", "--name", "Alice Labs");
        Assert.True(created.ExitCode == 0, created.All);
        var kept = await File.ReadAllBytesAsync(Path.Combine(alice, "ledger", "logtest", "checkpoint"));
        var policy = WitnessPolicy.Parse(2, [witness.VerifierKey, w2.VerifierKey]);
        var aliceCheckpoint = policy.Open(kept, NoteVerifier.Parse(nodeA.VerifierKey));
        Assert.Equal(2, policy.CosignersOf(aliceCheckpoint).Count);

        // Node B starts with its own history, bigger than Alice's; it asks the same witnesses.
        await nodeB.StartAsync();
        await SendAsync(nodeB, 12);
        var bobTrusting = await ClientAsync(nodeB, "bob-without-policy", 0);
        var fooled = await Spctl(bobTrusting, "ledger", "info");
        Assert.True(fooled.ExitCode == 0, fooled.All); // without a policy Bob cannot tell: his view is consistent with itself

        var bob = await ClientAsync(nodeB, "bob", 1, witness);
        var refused = await Spctl(bob, "ledger", "info");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not cosigned as the witness policy requires", refused.Stderr);
        Assert.Contains($"missing: {witness.VerifierKey}", refused.Stderr);
        var bobSubmit = await Spctl(bob, "providers", "create", "--name", "Bob Labs");
        Assert.Equal(1, bobSubmit.ExitCode);
        Assert.DoesNotContain("has been created", bobSubmit.Stdout);

        // The witnesses refused B's checkpoints: not consistent with what they cosigned for A (422).
        foreach (var w in new[] { witness, w2 })
            Assert.Matches(@"refused checkpoint of sp-devnet\.local/logtest at size \d+ \(old size \d+; cosigned size \d+\): 422 the consistency proof", w.Output);
        using (var http = new HttpClient())
        {
            var served = await http.GetByteArrayAsync(nodeB.Url + "/log/checkpoint");
            Assert.Empty(policy.CosignersOf(Checkpoint.Open(served, NoteVerifier.Parse(nodeB.VerifierKey), policy.Witnesses)));
        }
        // Alice goes on: her node's checkpoints are still cosigned.
        await SendAsync(nodeA, 2);
        Assert.Equal(0, (await Spctl(alice, "ledger", "info")).ExitCode);
    }

    [Fact]
    public async Task A_checkpoint_that_missed_a_witness_is_cosigned_once_the_witness_is_back_without_a_new_transaction()
    {
        var node = await NodeProcess.InitAsync(Path.Combine(_work, "n"));
        await using var witness = await WitnessProcess.StartAsync(Path.Combine(_work, "w"), "witness.example/w", Path.Combine(node.Dir, "log-key.pub"));
        UseWitnesses(node.Dir, witness);
        await using var n = node;
        await n.StartAsync();
        await SendAsync(n, 2);
        var alice = await ClientAsync(n, "alice", 1, witness);
        Assert.Equal(0, (await Spctl(alice, "ledger", "info")).ExitCode);

        await witness.KillAsync();
        await SendAsync(n, 3);
        var missing = await Spctl(alice, "ledger", "info");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"missing: {witness.VerifierKey}", missing.Stderr);

        // Back on the same port: the node tries the quiet log's checkpoint again and Alice accepts it.
        await witness.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        CliResult info;
        do
        {
            await Task.Delay(500);
            info = await Spctl(alice, "ledger", "info");
        } while (info.ExitCode != 0 && DateTime.UtcNow < deadline);
        Assert.True(info.ExitCode == 0, info.All);
    }

    [Fact]
    public async Task A_policy_with_a_log_key_for_a_witness_is_refused_naming_the_file_and_member()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "n"));
        await node.StartAsync();
        var dir = await ClientAsync(node, "carol", 0);
        var path = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        config["trust"]!["witnesses"] = new JsonObject { ["threshold"] = 1, ["keys"] = new JsonArray(JsonValue.Create(node.VerifierKey)) };
        File.WriteAllText(path, config.ToJsonString());
        var result = await Spctl(dir, "ledger", "info");
        Assert.Equal(1, result.ExitCode);
        Assert.True(result.Stderr.Contains("config.json: trust.witnesses: malformed note key: witness key 1 (sp-devnet.local/logtest) is type 0x01", StringComparison.Ordinal), result.Stderr);
    }
}
