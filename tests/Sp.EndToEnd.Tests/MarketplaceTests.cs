using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sp.Core.Model;
using Sp.Api;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The marketplace beyond the guide, through the real binaries: tokens, deposits and payments, restrictions,
/// cancellation, offers and providers commands, provider-tools register solution.
/// </summary>
[Collection("devnet")]
public sealed partial class MarketplaceTests(DevnetFixture net)
{
    private const string OfferTemplate = """
        {"name":"NAME","group":"0","offerType":"TYPE","cancelable":true,"description":"e2e",
         "restrictions":{"offers":RESTRICT,"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":ALLOWED,
         "argsPublicKey":"","resultResource":"","subType":"0"}
        """;

    private const string SlotTemplate = """
        {"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},
         "usage":{"maxTimeMinutes":0,"minTimeMinutes":0,"price":"PRICE","priceType":"1"},
         "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
        """;

    [Fact]
    public async Task The_faucet_credits_exact_amounts_and_refuses_more_than_its_limit()
    {
        var before = await BalanceAsync(net.Alice);
        Assert.True(before >= TokenAmount.FromTokens(1000), $"sp-devnet up funds alice; she has {before}");
        var r = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "request", "--amount", "2.5");
        Assert.Contains("Tokens were requested successfully", r.Stdout);
        Assert.Contains("credited: 2.5", r.Stdout);
        Assert.Equal(before + T("2.5"), await BalanceAsync(net.Alice));

        var balance = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "balance");
        Assert.Matches(@"(?m)^address: 0x[0-9a-fA-F]{40}$", balance.Stdout);
        Assert.Matches(@"(?m)^balance: [0-9]+(\.[0-9]+)?$", balance.Stdout);

        var tooMuch = await Cli.RunAsync(net.Alice, net.Spctl, "tokens", "request", "--amount", "10000.5");
        Assert.Equal(1, tooMuch.ExitCode);
        Assert.Contains("exceeds the faucet's limit of 10000 tokens per request", tooMuch.Stderr);
        Assert.Single(tooMuch.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_priced_workflow_locks_its_deposit_pays_the_provider_and_mounts_inputs_in_the_order_given()
    {
        // Bob: a second dataset, on sale for 2.5 tokens fixed, created with spctl.
        var ds = Path.Combine(net.Bob, "extra-ds");
        Directory.CreateDirectory(ds);
        File.WriteAllText(Path.Combine(ds, "extra.csv"), "name,value\nx,5\ny,6\n");
        await Cli.MustAsync(net.Bob, net.Spctl, "files", "upload", "extra-ds", "--output", "extra.resource.json");
        var (priced, pricedSlot) = await BobOfferAsync("priced", price: "2500000000000000000");

        var solution = await net.UploadSolutionAsync("priced-sol");
        var aliceBefore = await BalanceAsync(net.Alice);
        var bobBefore = await BalanceAsync(net.Bob);
        var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution,
            "--data", $"{priced},{pricedSlot}", "--data", $"{net.DataOfferId},{net.DataSlotId}", "--tee", net.TeeOfferId.ToString());
        Assert.Matches($@"(?m)^TEE slot \d+ of offer {net.TeeOfferId} was chosen \(the cheapest that fits\): ", created.Stdout);
        Assert.Contains("Deposit locked: 2.5 tokens", created.Stdout);
        var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
        Assert.Equal(aliceBefore - T("2.5"), await BalanceAsync(net.Alice));

        // Sub-orders in the order of --data.
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,offer_id");
        var rows = get.Stdout.Split('\n').Where(l => Regex.IsMatch(l, @"^\d+\s+\d+$")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal([priced, net.DataOfferId], rows.Select(r => long.Parse(r[1])));

        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", rows[0][0], "--result", "./extra.resource.json", "--status", "done", "--solution-hash", h);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", rows[1][0], "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        var saveTo = Path.Combine(net.Work, "priced-result.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var summary = DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"];
        Assert.Contains("extra.csv rows=2 sum=11", summary);
        Assert.True(summary.IndexOf("extra.csv", StringComparison.Ordinal) < summary.IndexOf("data.csv", StringComparison.Ordinal),
            $"input-0001 should be the first --data (extra.csv), got:\n{summary}");

        // Paid: Bob's fixed price; the TEE's slot is free; nothing left to refund.
        var end = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString());
        Assert.Contains("deposit: 2.5\n", end.Stdout);
        Assert.Contains("paid: 2.5\n", end.Stdout);
        Assert.Contains("refunded: 0\n", end.Stdout);
        Assert.Equal(bobBefore + T("2.5"), await BalanceAsync(net.Bob));
        Assert.Equal(aliceBefore - T("2.5"), await BalanceAsync(net.Alice));
    }

    [Fact]
    public async Task A_short_balance_is_refused_with_the_required_amount_and_no_order_is_made()
    {
        var (offer, slot) = await BobOfferAsync("dear", price: "1000000000000000000000000"); // a million tokens
        var solution = await net.UploadSolutionAsync("dear-sol");
        var r = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{offer},{slot}", "--tee", net.TeeOfferId.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("insufficient balance", r.Stderr);
        Assert.Contains("needs a deposit of 1000000 tokens", r.Stderr);
        Assert.Contains($"data offer {offer} slot {slot}: 1000000", r.Stderr);
        var list = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "list", "--my-account", "--offers", offer.ToString());
        Assert.Equal("No orders found", list.Stdout.Trim());
    }

    [Fact]
    public async Task Allowed_accounts_and_restrictions_are_enforced_naming_the_offer()
    {
        var solution = await net.UploadSolutionAsync("restricted-sol");
        var bobAddress = await AddressAsync(net.Bob);
        var (onlyBob, onlyBobSlot) = await BobOfferAsync("only-bob", allowed: $"[\"{bobAddress}\"]");
        var r = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{onlyBob},{onlyBobSlot}", "--tee", net.TeeOfferId.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"is not in allowedAccounts of offer {onlyBob}", r.Stderr);

        var (elsewhere, elsewhereSlot) = await BobOfferAsync("elsewhere", restrict: "[\"999999\"]");
        r = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{elsewhere},{elsewhereSlot}", "--tee", net.TeeOfferId.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"offer {elsewhere} may be combined only with offers 999999 (its restrictions.offers): offer {net.TeeOfferId} is not one of them", r.Stderr);
    }

    [Fact]
    public async Task A_canceled_order_returns_its_deposit_including_a_replenishment()
    {
        var (offer, slot) = await BobOfferAsync("cancel-me", price: "1000000000000000000");
        var solution = await net.UploadSolutionAsync("cancel-sol");
        var before = await BalanceAsync(net.Alice);
        var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{offer},{slot}",
            "--tee", net.TeeOfferId.ToString(), "--deposit", "1.5");
        Assert.Contains("Deposit locked: 1.5 tokens", created.Stdout);
        var order = OrderLine().Match(created.Stdout).Groups[1].Value;
        var rep = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "replenish-deposit", order, "0.25");
        Assert.Contains($"Deposit of order {order} was replenished by 0.25: deposit=1.75", rep.Stdout);
        Assert.Equal(before - T("1.75"), await BalanceAsync(net.Alice));

        var bobCancels = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "cancel", order);
        Assert.Equal(1, bobCancels.ExitCode);
        Assert.Contains($"can cancel order {order}", bobCancels.Stderr);
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "cancel", order);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order, "--suborders");
        Assert.Contains("status: Canceled", get.Stdout);
        Assert.Contains("refunded: 1.75", get.Stdout);
        Assert.Equal(before, await BalanceAsync(net.Alice));

        var list = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "list", "--my-account", "--status", "Canceled", "--type", "tee", "--offers", net.TeeOfferId.ToString());
        Assert.Matches($@"(?m)^{order}\s+TeeOffer\s+Canceled\s", list.Stdout);
        var lateRefill = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "replenish-deposit", order, "1");
        Assert.Equal(1, lateRefill.ExitCode);
        Assert.Contains($"order {order} is Canceled", lateRefill.Stderr);
    }

    [Fact]
    public async Task Offers_are_listed_in_pages_saved_and_shown_by_field()
    {
        await BobOfferAsync("page-a");
        await BobOfferAsync("page-b");
        var first = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "list", "value", "--limit", "1", "--fields", "id,name,type");
        var lines = first.Stdout.TrimEnd().Split('\n');
        Assert.Equal("id", lines[0].Split(' ')[0]);
        Assert.DoesNotMatch(@"\d", lines[0]);
        Assert.Equal(3, lines.Length);
        var cursor = Regex.Match(lines[2], @"^next_cursor: (\d+)$").Groups[1].Value;
        Assert.Equal(lines[1].Split(' ')[0], cursor);

        var rest = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "list", "value", "--cursor", cursor, "--fields", "id");
        var ids = rest.Stdout.TrimEnd().Split('\n').Skip(1).Select(long.Parse).ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.True(id > long.Parse(cursor)));

        var saved = Path.Combine(net.Work, "offers.json");
        var save = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "list", "value", "--save-to", saved);
        Assert.Contains($"were saved to {saved}", save.Stdout);
        Assert.Contains(JsonNode.Parse(File.ReadAllText(saved))!.AsArray(), o => o!["offer"]!["id"]!.GetValue<long>() == net.DataOfferId);

        var one = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "value", net.DataOfferId.ToString(), "--fields", "id,type,provider");
        Assert.Equal($"id: {net.DataOfferId}\ntype: Data\nprovider: Bob Data Inc\n", one.Stdout);
        var wrongKind = await Cli.RunAsync(net.Alice, net.Spctl, "offers", "get", "tee", net.DataOfferId.ToString());
        Assert.Equal(1, wrongKind.ExitCode);
        Assert.Contains($"offer {net.DataOfferId} is a Data offer", wrongKind.Stderr);
    }

    [Fact]
    public async Task Providers_are_shown_and_updated_and_register_solution_creates_a_solution_offer()
    {
        var bob = await AddressAsync(net.Bob);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "get", bob);
        Assert.Contains("name: Bob Data Inc\n", get.Stdout);
        Assert.Contains($"address: {bob}\n", get.Stdout);
        var none = await Cli.RunAsync(net.Alice, net.Spctl, "providers", "get");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("is not a provider", none.Stderr);

        // Alice registers her solution as an offer through the dialog (provider setup first if she is none yet).
        var solution = await net.UploadSolutionAsync("offered-sol");
        File.WriteAllText(Path.Combine(net.Alice, "sol-offer-info.json"), Offer("Alice stats", "2"));
        File.WriteAllText(Path.Combine(net.Alice, "sol-slot-info.json"), SlotTemplate.Replace("PRICE", "0"));
        var answers = Cli.Lines("Alice Solutions", "Statistics", "n", "n", "./sol-offer-info.json", "./sol-slot-info.json", "n");
        var reg = await Cli.RunAsync(net.Alice, Cli.Bin("provider-tools"), ["register", "solution", "--result", solution], answers);
        Assert.True(reg.ExitCode == 0, reg.All);
        Assert.Contains("Have you already created a SOLUTION offer? (y/n): ", reg.Stdout);
        var m = Regex.Match(reg.Stdout, @"Slot (\d+) for offer (\d+) has been created successfully");
        Assert.True(m.Success, reg.Stdout);
        var type = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "value", m.Groups[2].Value, "--fields", "type,slots");
        Assert.Equal($"type: Solution\nslots: {m.Groups[1].Value}\n", type.Stdout);

        var update = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "update", "--description", "Statistics, faster");
        Assert.Contains("has been updated", update.Stdout);
        var after = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "get");
        Assert.Contains("description: Statistics, faster\n", after.Stdout);
        Assert.Contains($"offers: ", after.Stdout);
        Assert.Contains(m.Groups[2].Value, after.Stdout.Split('\n').Single(l => l.StartsWith("offers: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Register_tee_creates_a_tee_offer_with_capacity_slots_whose_loader_then_runs_orders()
    {
        // Carol, a compute provider with her own config folder (as spctl setup would write it).
        var carol = Path.Combine(net.Net, "carol");
        var alice = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        using (var key = Sp.Crypto.Accounts.AccountKey.Generate())
        using (var node = new Sp.Client.NodeClient(alice["backend"]!["url"]!.GetValue<string>()))
        {
            var info = await node.GetInfoAsync();
            Sp.Cli.ClientSetup.Write(carol, node.BaseUrl, info.Network, key, info.RootCa, info.AttestationPolicy, alice["trust"]!["logKey"]!.GetValue<string>());
        }
        File.WriteAllText(Path.Combine(carol, "tee-offer.json"), Offer("Carol's TEE", "0"));
        File.WriteAllText(Path.Combine(carol, "small.json"), """
            {"info":{"cpuCores":1,"gpuCores":0,"diskUsage":104857600,"ram":268435456,"vram":0},
             "usage":{"maxTimeMinutes":10,"minTimeMinutes":1,"price":"0","priceType":"0"},"option":{"bandwidth":0,"externalPort":0,"traffic":0}}
            """);
        File.WriteAllText(Path.Combine(carol, "large.json"), """
            {"info":{"cpuCores":2,"gpuCores":0,"diskUsage":1073741824,"ram":1073741824,"vram":0},
             "usage":{"maxTimeMinutes":10,"minTimeMinutes":1,"price":"3600","priceType":"0"},"option":{"bandwidth":0,"externalPort":0,"traffic":0}}
            """);
        var answers = Cli.Lines("Carol Compute", "TEE machines", "n", "n", "./tee-offer.json", "./small.json", "y", "./large.json", "n",
            "./loader/tee.json", "sim", Path.Combine(net.Net, "node", "sim-platform.key.pem"));
        var reg = await Cli.RunAsync(carol, Cli.Bin("provider-tools"), ["register", "tee"], answers);
        Assert.True(reg.ExitCode == 0, reg.All);
        Assert.Contains("Have you already created a TEE offer? (y/n): ", reg.Stdout);
        var slots = Regex.Matches(reg.Stdout, @"Slot (\d+) for offer (\d+) has been created successfully");
        Assert.Equal(2, slots.Count);
        var offer = slots[0].Groups[2].Value;
        Assert.Contains("sp-tee run --config ./loader/tee.json", reg.Stdout);
        var teeJson = Path.Combine(carol, "loader", "tee.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(teeJson));

        // Listed with its capacity, but no workflow can use it before its loader publishes a certificate.
        var shown = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "tee", offer);
        Assert.Matches($@"(?m)^{slots[0].Groups[1].Value}\s+1\s+0\s+268435456\s+0\s+104857600\s", shown.Stdout);
        var solution = await net.UploadSolutionAsync("carol-sol");
        var early = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--tee", offer);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains($"TEE offer {offer} has no certificate yet", early.Stderr);

        await using (var loader = TeeLoaderProcess.Start(teeJson))
        {
            // It publishes its certificate for Carol's offer (the one in tee-state.json), not a new offer.
            Assert.Equal(long.Parse(offer), await loader.WaitServingAsync());
            Assert.Contains("tee_certificate: present", (await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "tee", offer, "--fields", "tee_certificate")).Stdout);
            // Alice needs 2 cores (her data slot says so): only the large slot fits, and it is chosen.
            File.WriteAllText(Path.Combine(net.Bob, "cores-slot.json"), SlotTemplate.Replace("PRICE", "0").Replace("\"cpuCores\":0", "\"cpuCores\":2"));
            var (data, dataSlot) = await BobOfferAsync("needs-two-cores", slotFile: "cores-slot.json");
            var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{data},{dataSlot}", "--tee", offer);
            Assert.Contains($"TEE slot {slots[1].Groups[1].Value} of offer {offer} was chosen (the cheapest that fits): 0.0000000000000036 per hour, minimum 1 min", created.Stdout);
            var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
            var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type");
            var sub = get.Stdout.Split('\n').Single(l => Regex.IsMatch(l, @"^\d+\s+Data$")).Split(' ')[0];
            await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub, "--result", "./dataset.resource.json", "--status", "done",
                "--solution-hash", DevnetFixture.HashOf(Path.Combine(net.Alice, solution)));
            Assert.Equal("Done", await net.WaitForEndAsync(order));

            var tooBig = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{data},{dataSlot}", "--data", $"{data},{dataSlot}", "--tee", offer);
            Assert.Equal(1, tooBig.ExitCode);
            Assert.Contains($"no slot of TEE offer {offer} holds what the workflow needs: slot {slots[0].Groups[1].Value}: cpuCores 4 needed, 1 offered", tooBig.Stderr);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static TokenAmount T(string tokens) => TokenAmount.ParseTokens(tokens, "test");

    private static string Offer(string name, string type, string allowed = "[]", string restrict = "[]") =>
        OfferTemplate.Replace("NAME", name).Replace("TYPE", type).Replace("ALLOWED", allowed).Replace("RESTRICT", restrict);

    /// <summary>Bob creates a Data offer and one fixed-price slot with spctl (he is a provider since the fixture).</summary>
    private async Task<(long Offer, long Slot)> BobOfferAsync(string name, string price = "0", string allowed = "[]", string restrict = "[]", string? slotFile = null)
    {
        File.WriteAllText(Path.Combine(net.Bob, $"{name}-offer.json"), Offer(name, "3", allowed, restrict));
        if (slotFile is not null) File.Copy(Path.Combine(net.Bob, slotFile), Path.Combine(net.Bob, $"{name}-slot.json"), overwrite: true);
        else File.WriteAllText(Path.Combine(net.Bob, $"{name}-slot.json"), SlotTemplate.Replace("PRICE", price));
        var created = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "create", "value", "--path", $"{name}-offer.json");
        var offer = long.Parse(Regex.Match(created.Stdout, @"^Offer (\d+) has been created$", RegexOptions.Multiline).Groups[1].Value);
        var slot = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "add-slot", "value", "--offer", offer.ToString(), "--path", $"{name}-slot.json");
        var m = Regex.Match(slot.Stdout, $@"^Slot (\d+) for offer {offer} has been created successfully$", RegexOptions.Multiline);
        Assert.True(m.Success, slot.Stdout);
        return (offer, long.Parse(m.Groups[1].Value));
    }

    private async Task<TokenAmount> BalanceAsync(string who)
    {
        var r = await Cli.MustAsync(who, net.Spctl, "tokens", "balance");
        return T(r.Stdout.Split('\n').Single(l => l.StartsWith("balance: ", StringComparison.Ordinal))["balance: ".Length..]);
    }

    private async Task<string> AddressAsync(string who)
    {
        var r = await Cli.MustAsync(who, net.Spctl, "tokens", "balance");
        return r.Stdout.Split('\n').Single(l => l.StartsWith("address: ", StringComparison.Ordinal))["address: ".Length..];
    }



    [GeneratedRegex(@"^Workflow was created, TEE order id: \[""(\d+)""\]$", RegexOptions.Multiline)]
    private static partial Regex OrderLine();
}
