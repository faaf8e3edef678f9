using System.Text.RegularExpressions;
using Sp.Cli;
using Sp.Client;
using Sp.Crypto.Accounts;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// Loaders on many hosts: one node listening only on a bridge address, three sp-tee processes each in a network
/// namespace of its own with its own address (as on three machines; see NetworkLab), orders spread across them, and
/// one loader killed with SIGKILL in the middle of an order. The others finish theirs; the killed one, restarted on
/// its host, ends the order it lost (its inputs were sealed to keys that died with it) and takes new ones.
/// </summary>
public sealed partial class MultiHostTests
{
    private const int Hosts = 3;

    [Fact]
    public async Task Three_loaders_on_hosts_of_their_own_serve_one_node_and_a_killed_one_loses_only_its_own_order()
    {
        var docker = await Cli.RunAsync(Cli.RepoRoot, Path.Combine(Cli.RepoRoot, "scripts", "ensure-docker.sh"), [], null, 600);
        Assert.True(docker.ExitCode == 0, "Docker Engine is required and could not be started: " + docker.All);
        var work = Directory.CreateTempSubdirectory("sp-hosts-").FullName;
        await using var lab = await NetworkLab.CreateAsync(Hosts);
        await using var node = await NodeProcess.InitOnAsync(Path.Combine(work, "node"), "devnet", lab.ServerAddress);
        await node.StartAsync();

        // Alice and Bob on the node's own machine (their config.json as spctl setup writes it), funded by the faucet.
        var alice = Path.Combine(work, "alice");
        var bob = Path.Combine(work, "bob");
        using (var client = new NodeClient(node.Url))
        {
            var info = await client.GetInfoAsync();
            foreach (var party in new[] { alice, bob })
            {
                using var key = AccountKey.Generate();
                ClientSetup.Write(party, node.Url, info.Network, key, info.RootCa, info.AttestationPolicy, node.VerifierKey);
                await Cli.MustAsync(party, Cli.Bin("spctl"), "tokens", "request");
            }
        }

        // Three loaders, each on its host, with its own provider account and TEE offer.
        var loaders = new TeeLoaderProcess[Hosts];
        var teeJsons = new string[Hosts];
        var teeOffers = new long[Hosts];
        try
        {
            for (var i = 0; i < Hosts; i++)
            {
                teeJsons[i] = WriteTeeConfig(Path.Combine(work, $"host-{i + 1}"), node, $"host-{i + 1} TEE");
                loaders[i] = TeeLoaderProcess.StartIn(lab.Namespace(i + 1), teeJsons[i]);
            }
            for (var i = 0; i < Hosts; i++) teeOffers[i] = await loaders[i].WaitServingAsync(120);

            // Each loader is in a network namespace of its own, none is in ours, and the node saw each one's writes
            // (its TEE offer, its certificate) come from that host's address.
            var namespaces = loaders.Select(l => NetworkLab.NamespaceOf(l.Pid)).ToList();
            Assert.Equal(Hosts, namespaces.Distinct().Count());
            Assert.DoesNotContain(NetworkLab.NamespaceOf(Environment.ProcessId), namespaces);
            for (var i = 1; i <= Hosts; i++)
                Assert.Matches($@"POST /api/transactions 200 [\d.]+ ms from {Regex.Escape(lab.HostAddress(i).ToString())}", node.Output);

            // Bob's dataset and data offer, through provider-tools' dialog as the guide does.
            Directory.CreateDirectory(Path.Combine(bob, "dataset"));
            File.WriteAllText(Path.Combine(bob, "dataset", "data.csv"), "name,value\na,1\nb,2\nc,39\n");
            await Cli.MustAsync(bob, Cli.Bin("spctl"), "files", "upload", "dataset", "--output", "dataset.resource.json");
            File.WriteAllText(Path.Combine(bob, "offer-info.json"), DevnetFixture.OfferInfo);
            File.WriteAllText(Path.Combine(bob, "slot-info.json"), DevnetFixture.SlotInfo);
            var answers = Cli.Lines("Bob Data Inc", "Sales data of Bob", "y", "./provider-info.json", "n", "./offer-info.json", "./slot-info.json", "n");
            var reg = await Cli.RunAsync(bob, Cli.Bin("provider-tools"), ["register", "data", "--result", "./dataset.resource.json"], answers);
            var slotLine = Regex.Match(reg.Stdout, @"Slot (\d+) for offer (\d+) has been created successfully");
            Assert.True(reg.ExitCode == 0 && slotLine.Success, reg.All);
            var data = $"{slotLine.Groups[2].Value},{slotLine.Groups[1].Value}";

            // Alice's solution, and a slow copy of it for the order whose host will die.
            await Cli.MustAsync(alice, Path.Combine(Cli.RepoRoot, "examples", "collaboration", "build-solution.sh"), "sp-hosts-stats", Path.Combine(alice, "stats.tar.gz"));
            await DevnetFixture.BuildSlowSolutionAsync(Path.Combine(alice, "slow.tar.gz"), "sp-hosts-slow", 300);
            await Cli.MustAsync(alice, Cli.Bin("spctl"), "files", "upload", "stats.tar.gz", "--output", "stats.resource.json");
            await Cli.MustAsync(alice, Cli.Bin("spctl"), "files", "upload", "slow.tar.gz", "--output", "slow.resource.json");

            async Task<long> OrderAsync(string solution, long teeOffer)
            {
                var hash = DevnetFixture.HashOf(Path.Combine(alice, solution));
                var created = await Cli.MustAsync(alice, Cli.Bin("spctl"), "workflows", "create", "--solution", solution, "--data", data, "--tee", teeOffer.ToString());
                var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
                var get = await Cli.MustAsync(alice, Cli.Bin("spctl"), "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type");
                var sub = get.Stdout.Split('\n').Single(l => Regex.IsMatch(l, @"^\d+\s+Data\s*$")).Split(' ')[0];
                await Cli.MustAsync(bob, Cli.Bin("spctl"), "orders", "complete", sub, "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", hash);
                return order;
            }

            // One order per host; host 2's is the slow one. Host 2 dies while it runs.
            var first = await OrderAsync("./stats.resource.json", teeOffers[0]);
            var lost = await OrderAsync("./slow.resource.json", teeOffers[1]);
            var third = await OrderAsync("./stats.resource.json", teeOffers[2]);
            AssertStatus("Processing", await WaitForStatusAsync(alice, lost, "Processing"));
            await loaders[1].KillAsync();

            // The other hosts finish their orders; the lost one stays Processing while its host is down.
            AssertStatus("Done", await WaitForStatusAsync(alice, first, "Done"));
            AssertStatus("Done", await WaitForStatusAsync(alice, third, "Done"));
            Assert.Equal("Processing", Field(await Cli.MustAsync(alice, Cli.Bin("spctl"), "orders", "get", lost.ToString()), "status"));

            // Host 2 comes back (same tee.json, same offer, new keys): it ends the order it lost, then takes a new one.
            loaders[1] = TeeLoaderProcess.StartIn(lab.Namespace(2), teeJsons[1]);
            Assert.Equal(teeOffers[1], await loaders[1].WaitServingAsync(120));
            AssertStatus("Error", await WaitForStatusAsync(alice, lost, "Error"));
            var ended = await Cli.MustAsync(alice, Cli.Bin("spctl"), "orders", "get", lost.ToString(), "--fields", "status_message");
            Assert.Contains("the loader restarted while executing this order", ended.Stdout);
            var second = await OrderAsync("./stats.resource.json", teeOffers[1]);
            AssertStatus("Done", await WaitForStatusAsync(alice, second, "Done"));

            // Each result is the TEE's (download-result checks the result statement's signer is the order's TEE) and
            // holds Bob's dataset's figures.
            foreach (var order in new[] { first, second, third })
            {
                var saveTo = Path.Combine(work, $"result-{order}.tar.gz");
                await Cli.MustAsync(alice, Cli.Bin("spctl"), "orders", "download-result", order.ToString(), "--save-to", saveTo);
                Assert.StartsWith("input-0001/data.csv rows=3 sum=42", DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"], StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (var loader in loaders.Where(l => l is not null)) await loader.DisposeAsync();
            // A run that failed before host 2 came back leaves its container (the loader that would remove it is gone);
            // its label is TeeNode.LoaderId: the provider account's first 12 hex digits and the offer.
            foreach (var (teeJson, offer) in teeJsons.Zip(teeOffers).Where(t => t.First is not null && t.Second > 0))
            {
                var account = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(teeJson))!["accountPrivateKey"]!.GetValue<string>();
                using var key = AccountKey.FromHex(account);
                await Cli.RunAsync("/", "/bin/sh", "-c", $"docker ps -aq --filter label=sp.tee.loader={key.Address.Lower[2..14]}-offer-{offer} | xargs -r docker rm -f");
            }
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>tee.json of a loader on its own host: a new provider account, the node's sim platform key and log key.</summary>
    private static string WriteTeeConfig(string dir, NodeProcess node, string offerName)
    {
        Directory.CreateDirectory(dir);
        using var key = AccountKey.Generate();
        var config = new System.Text.Json.Nodes.JsonObject
        {
            ["nodeUrl"] = node.Url, ["network"] = "devnet", ["accountPrivateKey"] = key.ExportHex(),
            ["simPlatformKey"] = Path.Combine(node.Dir, "sim-platform.key.pem"), ["logKey"] = node.VerifierKey,
            ["offerName"] = offerName,
        };
        var path = Path.Combine(dir, "tee.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    private static void AssertStatus(string expected, string actual) => Assert.True(expected == actual, $"expected {expected}, got: {actual}");

    private static string Field(CliResult get, string key) =>
        get.Stdout.Split('\n').First(l => l.StartsWith(key + ": ", StringComparison.Ordinal))[(key.Length + 2)..];

    /// <summary>Polls `orders get` until the status is <paramref name="wanted"/> or the order has ended (3 minutes at most);
    /// returns the last status, with the status message when the order ended otherwise.</summary>
    private static async Task<string> WaitForStatusAsync(string alice, long order, string wanted)
    {
        var status = "";
        CliResult? get = null;
        for (var i = 0; i < 360 && status != wanted && status is not ("Done" or "Error"); i++)
        {
            if (i > 0) await Task.Delay(500);
            get = await Cli.MustAsync(alice, Cli.Bin("spctl"), "orders", "get", order.ToString(), "--fields", "status,status_message");
            status = Field(get, "status");
        }
        if (status == wanted) return status;
        // What the solution said, when it left a result.
        var saveTo = Path.Combine(Path.GetTempPath(), $"sp-hosts-unexpected-{order}-{Guid.NewGuid():N}.tar.gz");
        var result = await Cli.RunAsync(alice, Cli.Bin("spctl"), "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var entries = result.ExitCode == 0 ? string.Join('\n', DevnetFixture.ReadTarGz(saveTo).Select(e => $"{e.Key}: {e.Value}")) : result.All;
        File.Delete(saveTo);
        return get!.Stdout + entries;
    }

    [GeneratedRegex(@"^Workflow was created, TEE order id: \[""(\d+)""\]$", RegexOptions.Multiline)]
    private static partial Regex OrderLine();
}
