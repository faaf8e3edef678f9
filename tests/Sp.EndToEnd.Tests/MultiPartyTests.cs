using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// A multi-party order through the real binaries: two data owners (Bob, and Carol with her own account and data
/// offer registered through provider-tools' dialog) each release their dataset to one TEE order; each may complete
/// only their own Data sub-order; the inputs are mounted in the order of --data; the report names both datasets.
/// </summary>
[Collection("devnet")]
public sealed partial class MultiPartyTests(DevnetFixture net)
{
    [Fact]
    public async Task Two_data_owners_each_release_their_own_sub_order_and_the_TEE_mounts_both_in_the_order_given()
    {
        // Carol: her own config folder (as spctl setup writes it), her dataset, her data offer through the dialog.
        var carol = Path.Combine(net.Net, "carol-data");
        var alice = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        using (var key = Sp.Crypto.Accounts.AccountKey.Generate())
        using (var node = new Sp.Client.NodeClient(alice["backend"]!["url"]!.GetValue<string>()))
        {
            var info = await node.GetInfoAsync();
            Sp.Cli.ClientSetup.Write(carol, node.BaseUrl, info.Network, key, info.RootCa, info.AttestationPolicy, alice["trust"]!["logKey"]!.GetValue<string>());
        }
        Directory.CreateDirectory(Path.Combine(carol, "clinic"));
        File.WriteAllText(Path.Combine(carol, "clinic", "visits.csv"), "name,value\np,100\nq,200\n");
        await Cli.MustAsync(carol, net.Spctl, "files", "upload", "clinic", "--output", "clinic.resource.json");
        File.WriteAllText(Path.Combine(carol, "offer-info.json"), File.ReadAllText(Path.Combine(net.Bob, "offer-info.json")).Replace("Bob sales data", "Carol clinic data"));
        File.Copy(Path.Combine(net.Bob, "slot-info.json"), Path.Combine(carol, "slot-info.json"));
        var answers = Cli.Lines("Carol Clinic", "Visits of Carol's clinic", "n", "n", "./offer-info.json", "./slot-info.json", "n");
        var reg = await Cli.RunAsync(carol, Cli.Bin("provider-tools"), ["register", "data", "--result", "./clinic.resource.json"], answers);
        var slotLine = Regex.Match(reg.Stdout, @"Slot (\d+) for offer (\d+) has been created successfully");
        Assert.True(reg.ExitCode == 0 && slotLine.Success, reg.All);
        var (carolOffer, carolSlot) = (long.Parse(slotLine.Groups[2].Value), long.Parse(slotLine.Groups[1].Value));

        // Alice: one order, Carol's data first, Bob's second (not the order the offers were created in).
        var solution = await net.UploadSolutionAsync("two-owners-sol");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));
        var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution,
            "--data", $"{carolOffer},{carolSlot}", "--data", $"{net.DataOfferId},{net.DataSlotId}", "--tee", net.TeeOfferId.ToString());
        var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type,status,offer_id");
        var rows = get.Stdout.Split('\n').Where(l => Regex.IsMatch(l, @"^\d+\s+Data\s+Blocked\s+\d+$"))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal([carolOffer, net.DataOfferId], rows.Select(r => long.Parse(r[3])));
        var (carolSub, bobSub) = (rows[0][0], rows[1][0]);

        // Each owner may complete only their own sub-order: the ledger names the owner.
        var wrong = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "complete", carolSub, "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"only the owner of offer {carolOffer}", wrong.Stderr);
        wrong = await Cli.RunAsync(carol, net.Spctl, "orders", "complete", bobSub, "--result", "./clinic.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"only the owner of offer {net.DataOfferId}", wrong.Stderr);

        // Carol releases hers: the order stays Blocked until Bob releases his.
        var done = await Cli.MustAsync(carol, net.Spctl, "orders", "complete", carolSub, "--result", "./clinic.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Contains($"Order {carolSub} has been completed successfully: status=Done", done.Stdout);
        get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type,status");
        Assert.Contains("status: Blocked", get.Stdout);
        Assert.Matches($@"(?m)^{carolSub}\s+Data\s+Done$", get.Stdout);
        Assert.Matches($@"(?m)^{bobSub}\s+Data\s+Blocked$", get.Stdout);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", bobSub, "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        // The solution saw Carol's dataset as input-0001 and Bob's as input-0002.
        var saveTo = Path.Combine(net.Work, "two-owners-result.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var summary = DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"];
        Assert.Equal(["input-0001/visits.csv rows=2 sum=300", "input-0002/data.csv rows=3 sum=42"],
            summary.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ').Take(3))));

        // The report validates and lists the image, then both datasets in the same order, by their hashes.
        var carolHash = DevnetFixture.HashOf(Path.Combine(carol, "clinic.resource.json"));
        var bobHash = DevnetFixture.HashOf(Path.Combine(net.Bob, "dataset.resource.json"));
        Assert.NotEqual(carolHash, bobHash);
        foreach (var who in new[] { net.Alice, carol, net.Bob })
        {
            var rep = await Cli.MustAsync(who, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", "two-owners-report.json");
            Assert.Contains("Order report validation successful!", rep.Stdout);
            var ri = JsonNode.Parse(File.ReadAllText(Path.Combine(who, "two-owners-report.json")))!["workloadInfo"]!["runtimeInfo"]!.AsArray();
            Assert.Equal([("Image", h), ("Data", carolHash), ("Data", bobHash)],
                ri.Select(e => (e!["type"]!.GetValue<string>(), e["hash"]!["hash"]!.GetValue<string>())));
        }
    }

    [Fact]
    public async Task The_consumers_own_file_and_a_data_offer_are_mounted_in_the_order_given_and_both_reported()
    {
        // Alice's own dataset: a resource file of her upload, no data offer; nobody has to release it.
        Directory.CreateDirectory(Path.Combine(net.Alice, "own-data"));
        File.WriteAllText(Path.Combine(net.Alice, "own-data", "mine.csv"), "name,value\nx,5\ny,6\nz,7\n");
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "own-data", "--output", "own-data.resource.json");
        var solution = await net.UploadSolutionAsync("own-file-sol");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));

        // Her file first, Bob's offer second: one Data sub-order (Bob's), the file travels sealed in the order.
        var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution,
            "--data", "./own-data.resource.json", "--data", $"{net.DataOfferId},{net.DataSlotId}", "--tee", net.TeeOfferId.ToString());
        var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type,status,offer_id");
        Assert.Contains("status: Blocked", get.Stdout);
        var sub = Assert.Single(get.Stdout.Split('\n'), l => Regex.IsMatch(l, @"^\d+\s+Data\s+Blocked\s+\d+$")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(net.DataOfferId.ToString(), sub[3]);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub[0], "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        // The solution saw her file as input-0001 and Bob's dataset as input-0002.
        var saveTo = Path.Combine(net.Work, "own-file-result.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var summary = DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"];
        Assert.Equal(["input-0001/mine.csv rows=3 sum=18", "input-0002/data.csv rows=3 sum=42"],
            summary.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ').Take(3))));

        // The report validates, for Alice and for Bob, and lists the image, then both datasets in that order.
        var ownHash = DevnetFixture.HashOf(Path.Combine(net.Alice, "own-data.resource.json"));
        var bobHash = DevnetFixture.HashOf(Path.Combine(net.Bob, "dataset.resource.json"));
        foreach (var who in new[] { net.Alice, net.Bob })
        {
            var rep = await Cli.MustAsync(who, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", "own-file-report.json");
            Assert.Contains("Order report validation successful!", rep.Stdout);
            var ri = JsonNode.Parse(File.ReadAllText(Path.Combine(who, "own-file-report.json")))!["workloadInfo"]!["runtimeInfo"]!.AsArray();
            Assert.Equal([("Image", h), ("Data", ownHash), ("Data", bobHash)],
                ri.Select(e => (e!["type"]!.GetValue<string>(), e["hash"]!["hash"]!.GetValue<string>())));
        }
    }

    [Fact]
    public async Task A_third_partys_solution_offer_and_a_data_offer_are_each_released_by_their_owner()
    {
        // Carol: her own account, the example solution uploaded, a Solution offer registered through provider-tools' dialog.
        var carol = Path.Combine(net.Net, "carol-solution");
        var alice = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        using (var key = Sp.Crypto.Accounts.AccountKey.Generate())
        using (var node = new Sp.Client.NodeClient(alice["backend"]!["url"]!.GetValue<string>()))
        {
            var info = await node.GetInfoAsync();
            Sp.Cli.ClientSetup.Write(carol, node.BaseUrl, info.Network, key, info.RootCa, info.AttestationPolicy, alice["trust"]!["logKey"]!.GetValue<string>());
        }
        File.Copy(net.SolutionArchive, Path.Combine(carol, "carol-sol.tar.gz"));
        await Cli.MustAsync(carol, net.Spctl, "files", "upload", "carol-sol.tar.gz", "--output", "carol-sol.resource.json");
        File.WriteAllText(Path.Combine(carol, "offer-info.json"), File.ReadAllText(Path.Combine(net.Bob, "offer-info.json"))
            .Replace("Bob sales data", "Carol statistics").Replace("\"offerType\":\"3\"", "\"offerType\":\"2\""));
        File.Copy(Path.Combine(net.Bob, "slot-info.json"), Path.Combine(carol, "slot-info.json"));
        var answers = Cli.Lines("Carol Stats", "Statistics by Carol", "n", "n", "./offer-info.json", "./slot-info.json", "n");
        var reg = await Cli.RunAsync(carol, Cli.Bin("provider-tools"), ["register", "solution", "--result", "./carol-sol.resource.json"], answers);
        var slotLine = Regex.Match(reg.Stdout, @"Slot (\d+) for offer (\d+) has been created successfully");
        Assert.True(reg.ExitCode == 0 && slotLine.Success, reg.All);
        var (offer, slot) = (slotLine.Groups[2].Value, slotLine.Groups[1].Value);
        // The hash Carol publishes, as provider-tools printed it.
        var h = Regex.Match(reg.Stdout, "the solution's hash sha256:([0-9a-f]{64})").Groups[1].Value;
        Assert.Equal(DevnetFixture.HashOf(Path.Combine(carol, "carol-sol.resource.json")), h);

        // Alice orders Carol's solution with Bob's data: without the hash nothing is created.
        var noHash = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", $"{offer},{slot}",
            "--data", $"{net.DataOfferId},{net.DataSlotId}", "--tee", net.TeeOfferId.ToString());
        Assert.Equal(1, noHash.ExitCode);
        Assert.Contains("--solution-hash is required with it", noHash.Stderr);
        var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", $"{offer},{slot}", "--solution-hash", h,
            "--data", $"{net.DataOfferId},{net.DataSlotId}", "--tee", net.TeeOfferId.ToString());
        var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type,status,offer_id");
        var solutionSub = Regex.Match(get.Stdout, $@"(?m)^(\d+)\s+Solution\s+Blocked\s+{offer}$").Groups[1].Value;
        var dataSub = Regex.Match(get.Stdout, $@"(?m)^(\d+)\s+Data\s+Blocked\s+{net.DataOfferId}$").Groups[1].Value;
        Assert.True(solutionSub.Length > 0 && dataSub.Length > 0, get.Stdout);

        // Each owner completes only their own sub-order; Carol's release is held to the declared hash by the ledger.
        var wrong = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "complete", solutionSub, "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"only the owner of offer {offer}", wrong.Stderr);
        var other = new string('0', 63) + "1";
        wrong = await Cli.RunAsync(carol, net.Spctl, "orders", "complete", solutionSub, "--result", "./carol-sol.resource.json", "--status", "done", "--solution-hash", other);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains($"solution hash mismatch: sub-order {solutionSub} is for solution {h}", wrong.Stderr);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", dataSub, "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Contains("status: Blocked", (await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString())).Stdout);
        var done = await Cli.MustAsync(carol, net.Spctl, "orders", "complete", solutionSub, "--result", "./carol-sol.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Contains($"Order {solutionSub} has been completed successfully: status=Done", done.Stdout);
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        // Carol's image ran on Bob's dataset; the report, valid for all three, names her image and his data.
        var saveTo = Path.Combine(net.Work, "solution-offer-result.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        Assert.StartsWith("input-0001/data.csv rows=3 sum=42", DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"]);
        var bobHash = DevnetFixture.HashOf(Path.Combine(net.Bob, "dataset.resource.json"));
        foreach (var who in new[] { net.Alice, carol, net.Bob })
        {
            var rep = await Cli.MustAsync(who, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", "solution-offer-report.json");
            Assert.Contains("Order report validation successful!", rep.Stdout);
            var ri = JsonNode.Parse(File.ReadAllText(Path.Combine(who, "solution-offer-report.json")))!["workloadInfo"]!["runtimeInfo"]!.AsArray();
            Assert.Equal([("Image", h), ("Data", bobHash)], ri.Select(e => (e!["type"]!.GetValue<string>(), e["hash"]!["hash"]!.GetValue<string>())));
        }
    }

    [Fact]
    public async Task Min_rent_minutes_locks_the_deposit_for_that_long_and_a_matching_solution_hash_is_accepted()
    {
        // Bob: a data offer at 1.2 tokens an hour, minimum rent 60 minutes.
        File.WriteAllText(Path.Combine(net.Bob, "hourly-offer.json"), File.ReadAllText(Path.Combine(net.Bob, "offer-info.json")).Replace("Bob sales data", "Bob hourly data"));
        File.WriteAllText(Path.Combine(net.Bob, "hourly-slot.json"), """
            {"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},
             "usage":{"maxTimeMinutes":0,"minTimeMinutes":60,"price":"1200000000000000000","priceType":"0"},
             "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
            """);
        var offer = Regex.Match((await Cli.MustAsync(net.Bob, net.Spctl, "offers", "create", "value", "--path", "hourly-offer.json")).Stdout, @"Offer (\d+) has been created").Groups[1].Value;
        var slot = Regex.Match((await Cli.MustAsync(net.Bob, net.Spctl, "offers", "add-slot", "value", "--offer", offer, "--path", "hourly-slot.json")).Stdout, @"Slot (\d+) for offer").Groups[1].Value;
        var solution = await net.UploadSolutionAsync("hourly-sol");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));

        // 90 minutes of a 1.2/hour slot (the devnet's TEE slot is free): 1.8 tokens, more than the slot's own minimum (1.2).
        var tooLittle = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{offer},{slot}",
            "--tee", net.TeeOfferId.ToString(), "--min-rent-minutes", "90", "--deposit", "1.5");
        Assert.Equal(1, tooLittle.ExitCode);
        Assert.Contains("--deposit 1.5 is less than the 1.8 tokens that 90 minutes of this workflow cost", tooLittle.Stderr);
        var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{offer},{slot}",
            "--tee", net.TeeOfferId.ToString(), "--min-rent-minutes", "90", "--solution-hash", h.ToUpperInvariant(), "--yes");
        Assert.Contains("Deposit locked: 1.8 tokens", created.Stdout);
        var order = OrderLine().Match(created.Stdout).Groups[1].Value;
        Assert.Contains("deposit: 1.8\n", (await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order)).Stdout);
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "cancel", order);
    }

    [GeneratedRegex(@"^Workflow was created, TEE order id: \[""(\d+)""\]$", RegexOptions.Multiline)]
    private static partial Regex OrderLine();
}
