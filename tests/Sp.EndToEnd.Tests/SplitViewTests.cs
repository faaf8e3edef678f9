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
/// refuses the second history, so a client that requires its cosignature (spctl, provider-tools, sp-tee) refuses
/// the checkpoint Bob is shown, and Go's reference code checks the cosignatures the node serves. A policy that
/// could not be applied (no pinned log key) is refused when the configuration is loaded.
/// </summary>
public sealed class SplitViewTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-split-view-").FullName;
    private readonly List<AccountKey> _keys = [];
    private readonly List<IAsyncDisposable> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--) await _processes[i].DisposeAsync();
        foreach (var k in _keys) k.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private T Track<T>(T process) where T : IAsyncDisposable
    {
        _processes.Add(process);
        return process;
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

    /// <summary>Node A (Alice's history) and node B (the same log key, for Bob), both asking witnesses W1 and W2.</summary>
    private sealed record SplitView(NodeProcess A, NodeProcess B, WitnessProcess W1, WitnessProcess W2, string Alice)
    {
        public WitnessPolicy Policy { get; } = WitnessPolicy.Parse(2, [W1.VerifierKey, W2.VerifierKey]);
    }

    /// <summary>
    /// A started with 6 entries and Alice (2 of W1, W2) shown its checkpoint cosigned by both: the witnesses have
    /// seen A's history. Then B started with another, bigger history of 12 entries, which they refuse to cosign.
    /// </summary>
    private async Task<SplitView> SplitViewAsync(Func<SplitView, Task>? beforeB = null)
    {
        var a = Track(await NodeProcess.InitAsync(Path.Combine(_work, "a")));
        var b = Track(await NodeProcess.InitAsync(Path.Combine(_work, "b")));
        foreach (var f in new[] { "log-key", "log-key.pub" }) File.Copy(Path.Combine(a.Dir, f), Path.Combine(b.Dir, f), overwrite: true);
        var w1 = Track(await WitnessProcess.StartAsync(Path.Combine(_work, "w1"), "witness.example/w1", Path.Combine(a.Dir, "log-key.pub")));
        var w2 = Track(await WitnessProcess.StartAsync(Path.Combine(_work, "w2"), "witness.example/w2", Path.Combine(a.Dir, "log-key.pub")));
        a.UseWitnesses(w1, w2);
        b.UseWitnesses(w1, w2);

        await a.StartAsync();
        await SendAsync(a, 6);
        var view = new SplitView(a, b, w1, w2, await ClientAsync(a, "alice", 2, w1, w2));
        var info = await Spctl(view.Alice, "ledger", "info");
        Assert.True(info.ExitCode == 0, info.All);
        if (beforeB is not null) await beforeB(view);

        await b.StartAsync();
        await SendAsync(b, 12);
        return view;
    }

    /// <summary>The checkpoint <paramref name="node"/> serves at /log/checkpoint, saved to a file for Go.</summary>
    private async Task<string> ServedCheckpointAsync(NodeProcess node, string name)
    {
        using var http = new HttpClient();
        var file = Path.Combine(_work, name);
        await File.WriteAllBytesAsync(file, await http.GetByteArrayAsync(node.Url + "/log/checkpoint"));
        return file;
    }

    [Fact]
    public async Task Two_histories_under_one_log_key_are_caught_by_the_witness_and_by_a_client_that_requires_its_cosignature()
    {
        byte[] kept = [];
        var v = await SplitViewAsync(async v =>
        {
            // Alice's spctl proves what it submits under a checkpoint both witnesses cosigned.
            var created = await Spctl(v.Alice, "providers", "create", "--name", "Alice Labs");
            Assert.True(created.ExitCode == 0, created.All);
            kept = await File.ReadAllBytesAsync(Path.Combine(v.Alice, "ledger", "logtest", "checkpoint"));
            // Go's reference code verifies the checkpoint node A serves: its own signature and each witness's.
            var go = await GoCosignatureCheck.RunAsync(await ServedCheckpointAsync(v.A, "a.checkpoint"), v.A.VerifierKey, v.W1.VerifierKey, v.W2.VerifierKey);
            Assert.True(go.ExitCode == 0, go.Output);
            Assert.Matches(@"verified: checkpoint of sp-devnet\.local/logtest at tree size 7, cosigned by witness\.example/w1 at \d+, witness\.example/w2 at \d+", go.Output);
        });
        var aliceCheckpoint = v.Policy.Open(kept, NoteVerifier.Parse(v.A.VerifierKey));
        Assert.Equal(2, v.Policy.CosignersOf(aliceCheckpoint).Count);

        // Node B has its own history, bigger than Alice's; it asks the same witnesses.
        var bobTrusting = await ClientAsync(v.B, "bob-without-policy", 0);
        var fooled = await Spctl(bobTrusting, "ledger", "info");
        Assert.True(fooled.ExitCode == 0, fooled.All); // without a policy Bob cannot tell: his view is consistent with itself

        var bob = await ClientAsync(v.B, "bob", 1, v.W1);
        var refused = await Spctl(bob, "ledger", "info");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not cosigned as the witness policy requires", refused.Stderr);
        Assert.Contains($"missing: {v.W1.VerifierKey}", refused.Stderr);
        var bobSubmit = await Spctl(bob, "providers", "create", "--name", "Bob Labs");
        Assert.Equal(1, bobSubmit.ExitCode);
        Assert.DoesNotContain("has been created", bobSubmit.Stdout);

        // The witnesses refused B's checkpoints: not consistent with what they cosigned for A (422).
        foreach (var w in new[] { v.W1, v.W2 })
            Assert.Matches(@"refused checkpoint of sp-devnet\.local/logtest at size \d+ \(old size \d+; cosigned size \d+\): 422 the consistency proof", w.Output);
        var servedByB = await ServedCheckpointAsync(v.B, "b.checkpoint");
        Assert.Empty(v.Policy.CosignersOf(Checkpoint.Open(await File.ReadAllBytesAsync(servedByB), NoteVerifier.Parse(v.B.VerifierKey), v.Policy.Witnesses)));
        // Go agrees: B's checkpoint carries the log's signature but no witness's.
        var go = await GoCosignatureCheck.RunAsync(servedByB, v.B.VerifierKey, v.W1.VerifierKey);
        Assert.Equal(1, go.ExitCode);
        Assert.Contains("no valid cosignature by witness.example/w1", go.Output);
        // Alice goes on: her node's checkpoints are still cosigned.
        await SendAsync(v.A, 2);
        Assert.Equal(0, (await Spctl(v.Alice, "ledger", "info")).ExitCode);
    }

    /// <summary><c>provider-tools register tee --yes</c> in <paramref name="dir"/>: a new provider, a TEE offer with one slot, tee.json in loader/.</summary>
    private static Task<CliResult> RegisterTeeAsync(string dir, NodeProcess node)
    {
        File.WriteAllText(Path.Combine(dir, "tee-offer.json"), """
            {"name":"Split TEE","group":"0","offerType":"0","cancelable":true,"description":"e2e","restrictions":{"offers":[],"types":[]},
             "input":"","output":"","allowedArgs":"","allowedAccounts":[],"argsPublicKey":"","resultResource":"","subType":"0"}
            """);
        File.WriteAllText(Path.Combine(dir, "slot.json"), """
            {"info":{"cpuCores":1,"gpuCores":0,"diskUsage":104857600,"ram":268435456,"vram":0},
             "usage":{"maxTimeMinutes":10,"minTimeMinutes":1,"price":"0","priceType":"0"},"option":{"bandwidth":0,"externalPort":0,"traffic":0}}
            """);
        return Cli.RunAsync(dir, Cli.Bin("provider-tools"), ["register", "tee", "--yes", "--provider-name", "Split Compute", "--offer-info", "tee-offer.json",
            "--slot-info", "slot.json", "--tee-config", "loader/tee.json", "--attestation", "sim", "--sim-platform-key", Path.Combine(node.Dir, "sim-platform.key.pem")], null, 180);
    }

    [Fact]
    public async Task Provider_tools_and_sp_tee_that_require_cosignatures_refuse_the_split_view_and_accept_the_witnessed_history()
    {
        var v = await SplitViewAsync();

        // provider-tools on B: its first transaction (provider.create) is not proved under a cosigned checkpoint.
        var bob = await ClientAsync(v.B, "bob", 1, v.W1);
        var refused = await RegisterTeeAsync(bob, v.B);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not cosigned as the witness policy requires", refused.Stderr);
        Assert.Contains($"missing: {v.W1.VerifierKey}", refused.Stderr);
        Assert.DoesNotContain("Offer", refused.Stdout);
        Assert.False(File.Exists(Path.Combine(bob, "loader", "tee.json")));

        // provider-tools on A, the witnessed history: the offer is registered and its tee.json carries the policy.
        var carol = await ClientAsync(v.A, "carol", 2, v.W1, v.W2);
        var registered = await RegisterTeeAsync(carol, v.A);
        Assert.True(registered.ExitCode == 0, registered.All);
        Assert.Matches(@"Slot \d+ for offer \d+ has been created successfully", registered.Stdout);
        var teeJson = Path.Combine(carol, "loader", "tee.json");
        var tee = JsonNode.Parse(File.ReadAllText(teeJson))!;
        Assert.Equal(2, tee["witnesses"]!["threshold"]!.GetValue<int>());
        Assert.Equal([v.W1.VerifierKey, v.W2.VerifierKey], tee["witnesses"]!["keys"]!.AsArray().Select(k => k!.GetValue<string>()));

        // sp-tee on A with that tee.json verifies the cosigned checkpoint and serves the offer.
        await using (var loader = TeeLoaderProcess.Start(teeJson))
        {
            await loader.WaitServingAsync(120);
            Assert.Matches(@"ledger log sp-devnet\.local/logtest verified at tree size \d+", loader.Output);
        }

        // The same policy pointed at B (B's sim platform key, a folder of its own with no checkpoint kept): sp-tee stops
        // before it registers anything, naming the witnesses whose cosignatures B's checkpoint lacks.
        var bobLoader = Path.Combine(_work, "bob-loader");
        Directory.CreateDirectory(bobLoader);
        tee["nodeUrl"] = v.B.Url;
        tee["simPlatformKey"] = Path.Combine(v.B.Dir, "sim-platform.key.pem");
        tee.AsObject().Remove("stateFile");
        File.WriteAllText(Path.Combine(bobLoader, "tee.json"), tee.ToJsonString());
        await using (var loader = TeeLoaderProcess.Start(Path.Combine(bobLoader, "tee.json")))
        {
            Assert.Equal(1, await loader.WaitForExitAsync(120));
            Assert.Contains("sp-tee stops: the log's checkpoint is not cosigned as the witness policy requires", loader.Output);
            Assert.Contains($"missing: {v.W1.VerifierKey}", loader.Output);
            Assert.DoesNotContain("serving TEE offer", loader.Output);
        }
    }

    [Fact]
    public async Task A_checkpoint_that_missed_a_witness_is_cosigned_once_the_witness_is_back_without_a_new_transaction()
    {
        var node = await NodeProcess.InitAsync(Path.Combine(_work, "n"));
        await using var witness = await WitnessProcess.StartAsync(Path.Combine(_work, "w"), "witness.example/w", Path.Combine(node.Dir, "log-key.pub"));
        node.UseWitnesses(witness);
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

    [Fact]
    public async Task A_witness_policy_without_a_pinned_log_key_is_refused_at_load_by_spctl_provider_tools_and_sp_tee()
    {
        var node = Track(await NodeProcess.InitAsync(Path.Combine(_work, "n")));
        var witness = Track(await WitnessProcess.StartAsync(Path.Combine(_work, "w"), "witness.example/w", Path.Combine(node.Dir, "log-key.pub")));
        await node.StartAsync();

        // config.json (spctl and provider-tools): trust.witnesses with trust.logKey removed.
        var erin = await ClientAsync(node, "erin", 1, witness);
        var path = Path.Combine(erin, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        config["trust"]!.AsObject().Remove("logKey");
        File.WriteAllText(path, config.ToJsonString());
        var expected = $"{path}: trust.witnesses is set but trust.logKey is missing";
        var spctl = await Spctl(erin, "providers", "create", "--name", "Erin Labs");
        Assert.Equal(1, spctl.ExitCode);
        Assert.True(spctl.Stderr.Contains(expected, StringComparison.Ordinal), spctl.Stderr);
        var tools = await RegisterTeeAsync(erin, node);
        Assert.Equal(1, tools.ExitCode);
        Assert.True(tools.Stderr.Contains(expected, StringComparison.Ordinal), tools.Stderr);
        using (var account = AccountKey.FromHex(config["blockchain"]!["accountPrivateKey"]!.GetValue<string>()))
        using (var client = new NodeClient(node.Url))
        {
            Assert.Null(await client.GetProviderAsync(account.Address)); // nothing was sent unchecked
            // Without the policy as well, the same config is an unpinned one: spctl goes on (and says nothing is proved).
            config["trust"]!.AsObject().Remove("witnesses");
            File.WriteAllText(path, config.ToJsonString());
            var unpinned = await Spctl(erin, "providers", "create", "--name", "Erin Labs");
            Assert.True(unpinned.ExitCode == 0, unpinned.All);
            Assert.NotNull(await client.GetProviderAsync(account.Address));
        }

        // tee.json (sp-tee): witnesses without logKey stops the loader before it contacts the node.
        var teeDir = Path.Combine(_work, "erin-loader");
        Directory.CreateDirectory(teeDir);
        var teeJson = Path.Combine(teeDir, "tee.json");
        using (var key = AccountKey.Generate())
            File.WriteAllText(teeJson, new JsonObject
            {
                ["nodeUrl"] = node.Url, ["network"] = "logtest", ["accountPrivateKey"] = key.ExportHex(),
                ["simPlatformKey"] = Path.Combine(node.Dir, "sim-platform.key.pem"),
                ["witnesses"] = new JsonObject { ["threshold"] = 1, ["keys"] = new JsonArray(JsonValue.Create(witness.VerifierKey)) },
            }.ToJsonString());
        var tee = await Cli.RunAsync(teeDir, Cli.Bin("sp-tee"), ["run", "--config", teeJson], null, 120);
        Assert.Equal(1, tee.ExitCode);
        Assert.True(tee.All.Contains($"{teeJson}: witnesses is set but logKey is missing", StringComparison.Ordinal), tee.All);
    }
}
