using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sp.Crypto.Accounts;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// `spctl setup` and `provider-tools setup` on an existing config (they update it, as the original's upsertConfig,
/// and ask before replacing the account key or the pinned anchors), and `provider-tools register` for scripts
/// (--yes, the dialog's answers as options, --output, --backend-url). Issue 15.
/// </summary>
[Collection("devnet")]
public sealed partial class SetupCommandsTests(DevnetFixture net)
{
    private const string OfferInfo = """
        {"name":"Dana's data","group":"0","offerType":"3","cancelable":true,"description":"e2e",
         "restrictions":{"offers":[],"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":[],
         "argsPublicKey":"","resultResource":"","subType":"0"}
        """;

    private const string SlotInfo = """
        {"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},
         "usage":{"maxTimeMinutes":0,"minTimeMinutes":0,"price":"0","priceType":"1"},
         "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
        """;

    [Fact]
    public async Task Setup_updates_an_existing_config_keeping_what_it_is_not_asked_to_change_and_needs_yes_to_replace_the_key()
    {
        var dir = Directory.CreateDirectory(Path.Combine(net.Work, "setup-update")).FullName;
        var config = Path.Combine(dir, "config.json");
        var created = await Cli.MustAsync(dir, net.Spctl, "setup", "--backend", net.NodeUrl, "--generate-key");
        Assert.EndsWith("Config was created in config.json\n", created.Stdout);
        var address0 = Regex.Match(created.Stdout, @"(?m)^account: (0x[0-9a-fA-F]{40})$").Groups[1].Value;
        // Something setup is never asked about: storage in a local folder.
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["storage"] = new JsonObject { ["type"] = "LOCAL", ["path"] = "blobs" };
        File.WriteAllText(config, json.ToJsonString());
        var resultKey = json["workflow"]!["resultEncryption"]!["key"]!.GetValue<string>();

        // Replacing the key without a terminal and without --yes is refused, naming the flag; nothing is written.
        var before = File.ReadAllBytes(config);
        var refused = await Cli.RunAsync(dir, net.Spctl, ["setup", "--generate-key"], stdin: "", timeoutSeconds: 60);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"error: config.json exists and setup would change it: the account {address0} is replaced by 0x", refused.Stderr);
        Assert.Contains("pass --yes to confirm", refused.Stderr);
        Assert.Equal(before, File.ReadAllBytes(config));

        // With --yes the key is replaced; the backend, the pins, the result key and storage are kept.
        using var key = AccountKey.Generate();
        var updated = await Cli.MustAsync(dir, net.Spctl, "setup", "--private-key", key.ExportHex(), "--yes");
        Assert.Contains($"account: {key.Address}\n", updated.Stdout);
        Assert.EndsWith("Config was updated in config.json\n", updated.Stdout);
        var after = JsonNode.Parse(File.ReadAllText(config))!;
        Assert.Equal(key.ExportHex(), after["blockchain"]!["accountPrivateKey"]!.GetValue<string>());
        Assert.Equal(resultKey, after["workflow"]!["resultEncryption"]!["key"]!.GetValue<string>());
        Assert.Equal("""{"type":"LOCAL","path":"blobs"}""", after["storage"]!.ToJsonString());
        Assert.Equal(net.NodeUrl, after["backend"]!["url"]!.GetValue<string>());
        Assert.Equal(json["trust"]!.ToJsonString(), after["trust"]!.ToJsonString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.Equal(["attestation-policy.json", "config.json", "root-ca.pem"], Files(dir)); // no temporary file left

        // The same key again, no option at all, or the same node again: nothing to confirm, nothing changes.
        await Cli.MustAsync(dir, net.Spctl, "setup", "--private-key", key.ExportHex());
        await Cli.MustAsync(dir, net.Spctl, "setup");
        await Cli.MustAsync(dir, net.Spctl, "setup", "--backend", net.NodeUrl);
        Assert.Equal(after.ToJsonString(), JsonNode.Parse(File.ReadAllText(config))!.ToJsonString());

        // A pinned Root CA that is not the node's: pinning the node's again needs --yes too.
        using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        using (var other = new CertificateRequest("CN=Not this network", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
            File.WriteAllText(Path.Combine(dir, "root-ca.pem"), other.ExportCertificatePem());
        var repin = await Cli.RunAsync(dir, net.Spctl, ["setup", "--backend", net.NodeUrl], stdin: "", timeoutSeconds: 60);
        Assert.Equal(1, repin.ExitCode);
        Assert.Contains("the pinned Root CA sha256:", repin.Stderr);
        Assert.Contains("pass --yes", repin.Stderr);
        await Cli.MustAsync(dir, net.Spctl, "setup", "--backend", net.NodeUrl, "--yes");
        var pinned = JsonNode.Parse(File.ReadAllText(config))!["trust"]!["rootCa"]!.GetValue<string>();
        Assert.Matches("^root-ca-[0-9a-f]{12}\\.pem$", pinned);
        Assert.Equal(["attestation-policy.json", "config.json", pinned], Files(dir)); // the old pin is gone
        Assert.Contains("BEGIN CERTIFICATE", File.ReadAllText(Path.Combine(dir, pinned)));
        await Cli.MustAsync(dir, net.Spctl, "offers", "list", "tee"); // a config that works
    }

    [Fact]
    public async Task Setup_on_a_terminal_asks_before_replacing_the_key_and_a_no_changes_nothing()
    {
        var dir = Directory.CreateDirectory(Path.Combine(net.Work, "setup-tty")).FullName;
        var config = Path.Combine(dir, "config.json");
        await Cli.MustAsync(dir, net.Spctl, "setup", "--backend", net.NodeUrl, "--generate-key");
        var before = File.ReadAllBytes(config);

        // `script` gives spctl a terminal; the typed lines: keep the backend (empty), then the answer to the question.
        var no = await OnTerminalAsync(dir, $"{net.Spctl} setup --generate-key", Cli.Lines("", "n"));
        Assert.Contains("Please enter the backend URL (empty keeps ", no.Stdout);
        Assert.Contains("Setup changes config.json: the account 0x", no.Stdout);
        Assert.Contains("Do you want to apply these changes? (y/n): ", no.Stdout);
        Assert.Contains("error: config.json was not changed", no.Stdout);
        Assert.Equal(1, no.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(config));

        var yes = await OnTerminalAsync(dir, $"{net.Spctl} setup --generate-key", Cli.Lines("", "y"));
        Assert.True(yes.ExitCode == 0, yes.All);
        Assert.Contains("Config was updated in config.json", yes.Stdout);
        Assert.NotEqual(before, File.ReadAllBytes(config));
    }

    [Fact]
    public async Task Provider_tools_setup_and_register_for_scripts_ask_nothing_with_yes_and_write_the_ids_to_output()
    {
        var pt = Cli.Bin("provider-tools");
        var dir = Directory.CreateDirectory(Path.Combine(net.Work, "pt-script")).FullName;
        var created = await Cli.MustAsync(dir, pt, "setup", "--backend", net.NodeUrl, "--generate-key");
        Assert.EndsWith("Config was created in config.json\n", created.Stdout);
        var address = Regex.Match(created.Stdout, @"(?m)^account: (0x[0-9a-fA-F]{40})$").Groups[1].Value;
        var refused = await Cli.RunAsync(dir, pt, ["setup", "--generate-key"], stdin: "", timeoutSeconds: 60);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("pass --yes to confirm", refused.Stderr);

        File.WriteAllText(Path.Combine(dir, "data.csv"), "a,b\n1,2\n");
        await Cli.MustAsync(dir, net.Spctl, "files", "upload", "data.csv", "--output", "dataset.resource.json");
        var datasetHash = DevnetFixture.HashOf(Path.Combine(dir, "dataset.resource.json"));
        File.WriteAllText(Path.Combine(dir, "offer.json"), OfferInfo);
        File.WriteAllText(Path.Combine(dir, "slot.json"), SlotInfo);
        // The config names a node that is not there; --backend-url names the devnet's.
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        json["backend"]!["url"] = "http://127.0.0.1:9";
        File.WriteAllText(Path.Combine(dir, "config.json"), json.ToJsonString());
        string[] register = ["register", "data", "--result", "dataset.resource.json", "--backend-url", net.NodeUrl, "--yes"];

        // --yes with a question left unanswered: the error names the option, and nothing was asked or created.
        var missing = await Cli.RunAsync(dir, pt, [.. register, "--offer-info", "offer.json", "--slot-info", "slot.json"], stdin: "", timeoutSeconds: 60);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: --yes: no answer to 'Please enter a provider name:' (hint: pass --provider-name NAME)", missing.Stderr);
        Assert.Equal(1, (await Cli.RunAsync(net.Alice, net.Spctl, "providers", "get", address)).ExitCode);

        var reg = await Cli.MustAsync(dir, pt, [.. register, "--provider-name", "Dana Data", "--offer-info", "offer.json",
            "--slot-info", "slot.json", "--slot-info", "slot.json", "--output", "out"]);
        Assert.DoesNotContain("(y/n)", reg.Stdout);
        Assert.DoesNotContain("Please ", reg.Stdout);
        Assert.Contains("Provider 'Dana Data' has been created\n", reg.Stdout);
        var slots = Regex.Matches(reg.Stdout, @"Slot (\d+) for offer (\d+) has been created successfully");
        Assert.Equal(2, slots.Count);
        var offer = long.Parse(slots[0].Groups[2].Value);
        Assert.Contains($"Offer information was saved to {Path.Combine("out", "offer.json")}\n", reg.Stdout);
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "offer.json")))!;
        Assert.Equal("data", saved["offerType"]!.GetValue<string>());
        Assert.Equal(offer, saved["offerId"]!.GetValue<long>());
        Assert.Equal(slots.Select(m => long.Parse(m.Groups[1].Value)), saved["slotIds"]!.AsArray().Select(n => n!.GetValue<long>()));
        Assert.Equal(address, saved["provider"]!.GetValue<string>());
        Assert.Equal(net.NodeUrl, saved["backendUrl"]!.GetValue<string>());
        Assert.Equal(datasetHash.ToLowerInvariant(), saved["resource"]!["hash"]!.GetValue<string>());
        var shown = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "value", offer.ToString(), "--fields", "type,provider_address");
        Assert.Equal($"type: Data\nprovider_address: {address}\n", shown.Stdout);

        // An existing offer by --offer: one more slot, no question, no new offer.
        var more = await Cli.MustAsync(dir, pt, [.. register, "--offer", offer.ToString(), "--slot-info", "slot.json"]);
        Assert.DoesNotContain("has been created\n", more.Stdout.Replace("has been created successfully", ""));
        Assert.Matches($@"Slot \d+ for offer {offer} has been created successfully", more.Stdout);
        // A slot smaller than the dataset is refused before it is created.
        File.WriteAllText(Path.Combine(dir, "tiny.json"), SlotInfo.Replace("\"diskUsage\":10485760", "\"diskUsage\":1"));
        var tiny = await Cli.RunAsync(dir, pt, [.. register, "--offer", offer.ToString(), "--slot-info", "tiny.json"]);
        Assert.Equal(1, tiny.ExitCode);
        Assert.Contains($"tiny.json: info.diskUsage 1 is smaller than the dataset ({new FileInfo(Path.Combine(dir, "data.csv")).Length} bytes)", tiny.Stderr);
        Assert.DoesNotContain("has been created", tiny.Stdout);
        var both = await Cli.RunAsync(dir, pt, [.. register, "--offer", offer.ToString(), "--offer-info", "offer.json"]);
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--offer and --offer-info exclude each other", both.Stderr);
    }

    private static string[] Files(string dir) =>
        [.. Directory.GetFiles(dir).Select(Path.GetFileName).Where(n => !n!.EndsWith(".log", StringComparison.Ordinal)).Order(StringComparer.Ordinal)!];

    /// <summary>Runs a command line on a pseudo-terminal (util-linux `script`), typing <paramref name="typed"/>.</summary>
    private static Task<CliResult> OnTerminalAsync(string cwd, string commandLine, string typed) =>
        Cli.RunAsync(cwd, "script", ["-q", "-e", "-c", commandLine, "/dev/null"], typed, timeoutSeconds: 60);
}
