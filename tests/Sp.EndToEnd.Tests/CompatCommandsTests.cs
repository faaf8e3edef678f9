using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The original spctl's forms that issue 15 asks for, through the real binaries: `files upload` defaults and
/// options, `tokens request --tee|--bnb`, `offers list --ids|get-info|get-slot|update|enable ID`, `providers
/// list|get --fields --save-to|create --path providerInfo.json`, `setup` updating a config, provider-tools setup.
/// </summary>
[Collection("devnet")]
public sealed partial class CompatCommandsTests(DevnetFixture net)
{
    [Fact]
    public async Task Files_upload_writes_resource_json_by_default_and_adds_metadata()
    {
        var dir = Directory.CreateTempSubdirectory("sp-upload-").FullName;
        File.Copy(Path.Combine(net.Alice, "config.json"), Path.Combine(dir, "config.json"));
        File.WriteAllText(Path.Combine(dir, "a.txt"), "alpha\n");
        var up = await Cli.MustAsync(dir, net.Spctl, "files", "upload", "a.txt", "--maximum-concurrent", "8");
        Assert.Contains("Resource file was created in resource.json", up.Stdout);
        var hash = DevnetFixture.HashOf(Path.Combine(dir, "resource.json"));
        Assert.Equal(Cli.Sha256File(Path.Combine(dir, "a.txt")), hash);

        File.WriteAllText(Path.Combine(dir, "meta.json"), $$$"""{"hash":{"algo":"sha256","hash":"{{{hash.ToUpperInvariant()}}}"},"signatureKeyHash":{"algo":"sha256","hash":"ab"},"hardwareContext":{"cpu":1}}""");
        await Cli.MustAsync(dir, net.Spctl, "files", "upload", "a.txt", "--output", "m.json", "--metadata", "meta.json", "--skip-encryption");
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "m.json")))!;
        Assert.Equal("ab", m["signatureKeyHash"]!["hash"]!.GetValue<string>());
        Assert.Equal(1, m["hardwareContext"]!["cpu"]!.GetValue<int>());
        Assert.Equal(hash, m["hash"]!["hash"]!.GetValue<string>());
        Assert.Equal("aes-256-gcm-stream", m["encryption"]!["cipher"]!.GetValue<string>()); // --skip-encryption: still encrypted
        var back = Directory.CreateTempSubdirectory("sp-upload-back-").FullName;
        await Cli.MustAsync(dir, net.Spctl, "files", "download", "m.json", back);
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(back, "a.txt")));

        File.WriteAllText(Path.Combine(dir, "bad.json"), """{"hash":{"algo":"sha256","hash":"00"}}""");
        var wrong = await Cli.RunAsync(dir, net.Spctl, "files", "upload", "a.txt", "--output", "x.json", "--metadata", "bad.json");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("is not the SHA-256 of a.txt", wrong.Stderr);
        File.WriteAllText(Path.Combine(dir, "odd.json"), """{"colour":"red"}""");
        var odd = await Cli.RunAsync(dir, net.Spctl, "files", "upload", "a.txt", "--output", "x.json", "--metadata", "odd.json");
        Assert.Equal(1, odd.ExitCode);
        Assert.Contains("unknown metadata field 'colour'", odd.Stderr);
        var many = await Cli.RunAsync(dir, net.Spctl, "files", "upload", "a.txt", "--output", "x.json", "--maximum-concurrent", "0");
        Assert.Equal(1, many.ExitCode);
        Assert.Contains("--maximum-concurrent '0'", many.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "x.json")));
    }

    [Fact]
    public async Task Tokens_request_tee_credits_the_faucet_amount_and_bnb_alone_requests_nothing()
    {
        var before = await BalanceAsync(net.Alice);
        var tee = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "request", "--tee");
        Assert.Contains("Requesting Super Protocol TEE tokens for 0x", tee.Stdout);
        Assert.Contains("credited: 1000\n", tee.Stdout);
        var afterTee = await BalanceAsync(net.Alice);
        Assert.Equal(1000m, afterTee - before);

        var bnb = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "request", "--bnb", "--debug");
        Assert.Contains("This network has no gas token", bnb.Stdout);
        Assert.DoesNotContain("credited", bnb.Stdout);
        Assert.Equal(afterTee, await BalanceAsync(net.Alice));

        var both = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "request", "--tee", "--bnb", "--amount", "3");
        Assert.Contains("This network has no gas token", both.Stdout);
        Assert.Contains("credited: 3\n", both.Stdout);
        Assert.Equal(afterTee + 3m, await BalanceAsync(net.Alice));
    }

    [Fact]
    public async Task Offers_list_ids_get_info_get_slot_and_the_originals_field_names()
    {
        var tee = net.TeeOfferId.ToString();
        var data = net.DataOfferId.ToString();
        var list = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "list", "value", "--ids", data, "--fields", "id,provider_name,depends_on_offers,modified_date");
        var rows = list.Stdout.TrimEnd().Split('\n');
        Assert.Equal(2, rows.Length);
        Assert.Matches(@"^id\s+provider_name\s+depends_on_offers\s+modified_date$", rows[0]);
        Assert.Matches($@"^{data}\s+Bob Data Inc\s+<empty>\s+\d{{4}}-\d\d-\d\dT", rows[1]);
        var wrongKind = await Cli.RunAsync(net.Alice, net.Spctl, "offers", "list", "tee", "--ids", tee, data);
        Assert.Equal(1, wrongKind.ExitCode);
        Assert.Contains($"offer {data} is a Data offer", wrongKind.Stderr);
        var teeRow = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "list", "tee", "--ids", tee, "--fields", "id,total_cores,free_cores,orders_in_queue");
        Assert.Matches($@"(?m)^{tee}\s+\d+\s+\d+\s+\d+$", teeRow.Stdout);
        var teeGet = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "tee", tee, "--fields", "provider_name,total_cores,orders_in_queue");
        Assert.Matches(@"^provider_name: .+\ntotal_cores: \d+\norders_in_queue: \d+\n$", teeGet.Stdout);
        var valueLoad = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "value", data, "--fields", "total_cores,orders_in_queue");
        Assert.Equal("total_cores: <empty>\norders_in_queue: <empty>\n", valueLoad.Stdout);

        var saved = Path.Combine(net.Work, "info.json");
        var info = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get-info", "value", data, "--save-to", saved);
        Assert.Contains("name: Bob sales data\n", info.Stdout);
        Assert.Contains("offerType: 3\n", info.Stdout);
        Assert.Contains($"Saved result to {saved}", info.Stdout);
        Assert.Equal("Quarterly sales", JsonNode.Parse(File.ReadAllText(saved))!["description"]!.GetValue<string>());

        var slotFile = Path.Combine(net.Work, "slot.json");
        var slot = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get-slot", "value", "--offer", data, "--slot", net.DataSlotId.ToString(), "--save-to", slotFile);
        Assert.Contains($"slot_id: {net.DataSlotId}\n", slot.Stdout);
        Assert.EndsWith($"Saved result to {slotFile}\n", slot.Stdout);
        var savedSlot = JsonNode.Parse(File.ReadAllText(slotFile))!.AsObject();
        Assert.Equal(["id", "offerId", "info", "usage", "option"], savedSlot.Select(p => p.Key));
        Assert.Equal((net.DataSlotId, net.DataOfferId), (savedSlot["id"]!.GetValue<long>(), savedSlot["offerId"]!.GetValue<long>()));
        Assert.Equal(10485760, savedSlot["info"]!["diskUsage"]!.GetValue<long>());
        Assert.Contains("disk_usage: 10485760\n", slot.Stdout);
        Assert.Contains("price_type: Fixed\n", slot.Stdout);
        var noSlot = await Cli.RunAsync(net.Alice, net.Spctl, "offers", "get-slot", "value", "--offer", data, "--slot", "999999");
        Assert.Equal(1, noSlot.ExitCode);
        Assert.Contains($"slot 999999 of offer {data} could not be found", noSlot.Stderr);
    }

    [Fact]
    public async Task Offers_enable_and_disable_take_the_originals_form_and_update_is_refused_with_the_reason()
    {
        File.WriteAllText(Path.Combine(net.Bob, "compat-offer.json"), """
            {"name":"compat","group":"0","offerType":"3","cancelable":true,"description":"e2e",
             "restrictions":{"offers":[],"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":[],
             "argsPublicKey":"","resultResource":"","subType":"0"}
            """);
        var created = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "create", "value", "--path", "compat-offer.json", "--yes");
        var id = Regex.Match(created.Stdout, @"^Offer (\d+) has been created$", RegexOptions.Multiline).Groups[1].Value;
        Assert.NotEqual("", id);

        Assert.Contains($"Offer {id} has been disabled", (await Cli.MustAsync(net.Bob, net.Spctl, "offers", "disable", id)).Stdout);
        Assert.Equal("enabled: false\n", (await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "value", id, "--fields", "enabled")).Stdout);
        Assert.Contains($"Offer {id} is already disabled", (await Cli.MustAsync(net.Bob, net.Spctl, "offers", "disable", "value", id)).Stdout);
        Assert.Contains($"Offer {id} has been enabled", (await Cli.MustAsync(net.Bob, net.Spctl, "offers", "enable", id, "--yes")).Stdout);
        Assert.Equal("enabled: true\n", (await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "value", id, "--fields", "enabled")).Stdout);
        var kind = await Cli.RunAsync(net.Bob, net.Spctl, "offers", "enable", "tee", id);
        Assert.Equal(1, kind.ExitCode);
        Assert.Contains($"offer {id} is a Data offer", kind.Stderr);
        var notMine = await Cli.RunAsync(net.Alice, net.Spctl, "offers", "disable", id);
        Assert.Equal(1, notMine.ExitCode);

        // Slots: add-slot, update-slot and delete-slot take --offer (and --slot) as the original does.
        File.WriteAllText(Path.Combine(net.Bob, "compat-slot.json"), DevnetFixture.SlotInfo);
        var added = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "add-slot", "value", "--offer", id, "--path", "compat-slot.json");
        var slot = Regex.Match(added.Stdout, $@"^Slot (\d+) for offer {id} has been created successfully$", RegexOptions.Multiline).Groups[1].Value;
        Assert.NotEqual("", slot);
        File.WriteAllText(Path.Combine(net.Bob, "compat-slot-2.json"), DevnetFixture.SlotInfo.Replace("\"diskUsage\":10485760", "\"diskUsage\":20971520"));
        var updated = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "update-slot", "value", "--offer", id, "--slot", slot, "--path", "compat-slot-2.json");
        Assert.Equal($"Slot {slot} of offer {id} has been updated successfully\n", updated.Stdout);
        Assert.Contains("disk_usage: 20971520\n", (await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get-slot", "value", "--offer", id, "--slot", slot)).Stdout);
        var deleted = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "delete-slot", "value", "--offer", id, "--slot", slot);
        Assert.Equal($"Slot {slot} of offer {id} has been deleted successfully\n", deleted.Stdout);
        var gone = await Cli.RunAsync(net.Alice, net.Spctl, "offers", "get-slot", "value", "--offer", id, "--slot", slot);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains($"slot {slot} of offer {id} could not be found", gone.Stderr);

        var update = await Cli.RunAsync(net.Bob, net.Spctl, "offers", "update", "value", id, "--path", "compat-offer.json");
        Assert.Equal(1, update.ExitCode);
        Assert.Contains("an offer's info cannot change on this ledger", update.Stderr);
        var content = await Cli.RunAsync(net.Bob, net.Spctl, "offers", "download-content", id);
        Assert.Equal(1, content.ExitCode);
        Assert.Contains("no downloadable content", content.Stderr);
    }

    [Fact]
    public async Task Providers_list_get_fields_save_to_and_create_from_the_originals_provider_info()
    {
        var dave = await NewAccountAsync("dave");
        File.WriteAllText(Path.Combine(dave, "providerInfo.json"), """
            {"name":"Dave Data","description":"from the original","tokenReceiver":"0x0000000000000000000000000000000000000001",
             "actionAccount":"0x0000000000000000000000000000000000000002","metadata":{"site":"x"}}
            """);
        var created = await Cli.MustAsync(dave, net.Spctl, "providers", "create", "--path", "providerInfo.json");
        Assert.Contains("note: providerInfo.json: tokenReceiver, actionAccount, metadata ignored", created.Stdout);
        Assert.Contains("Provider 'Dave Data' has been created for 0x", created.Stdout);
        var address = (await Cli.MustAsync(dave, net.Spctl, "tokens", "balance")).Stdout.Split('\n')[0]["address: ".Length..];

        var saved = Path.Combine(dave, "saved-provider.json");
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "get", address, "--fields", "name,token_receiver,metadata", "--save-to", saved);
        Assert.Equal($"name: Dave Data\ntoken_receiver: {address}\nmetadata: <empty>\nSaved result to {saved}\n", get.Stdout);
        Assert.Equal("from the original", JsonNode.Parse(File.ReadAllText(saved))!["description"]!.GetValue<string>());
        var bad = await Cli.RunAsync(net.Alice, net.Spctl, "providers", "get", address, "--fields", "name,colour");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("unknown field 'colour'", bad.Stderr);

        // Every provider, in address order, a page at a time.
        var all = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "list", "--limit", "1000");
        var rows = all.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^address\s+name$", rows[0]);
        Assert.Contains(rows, r => r.StartsWith(address + "  Dave Data", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.EndsWith("Bob Data Inc", StringComparison.Ordinal));
        var addresses = rows.Skip(1).Select(r => r.Split(' ')[0]).ToList();
        Assert.Equal(addresses.OrderBy(a => a.ToLowerInvariant(), StringComparer.Ordinal), addresses);
        var first = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "list", "--limit", "1", "--fields", "address");
        var lines = first.Stdout.TrimEnd().Split('\n');
        Assert.Equal(["address", addresses[0], $"next_cursor: {addresses[0]}"], lines);
        var second = await Cli.MustAsync(net.Alice, net.Spctl, "providers", "list", "--limit", "1", "--fields", "address", "--cursor", addresses[0]);
        Assert.Equal(addresses[1], second.Stdout.Split('\n')[1]);
    }

    /// <summary>A new account with its own config folder (as spctl setup writes it).</summary>
    private async Task<string> NewAccountAsync(string name)
    {
        var dir = Path.Combine(net.Net, name);
        var alice = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        using var key = Sp.Crypto.Accounts.AccountKey.Generate();
        using var node = new Sp.Client.NodeClient(alice["backend"]!["url"]!.GetValue<string>());
        var info = await node.GetInfoAsync();
        Sp.Cli.ClientSetup.Write(dir, node.BaseUrl, info.Network, key, info.RootCa, info.AttestationPolicy, alice["trust"]!["logKey"]!.GetValue<string>());
        return dir;
    }

    private async Task<decimal> BalanceAsync(string who)
    {
        var r = await Cli.MustAsync(who, net.Spctl, "tokens", "balance");
        return decimal.Parse(r.Stdout.Split('\n').Single(l => l.StartsWith("balance: ", StringComparison.Ordinal))["balance: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
