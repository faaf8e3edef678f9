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

        var bnb = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "request", "--bnb");
        Assert.Contains("This network has no gas token", bnb.Stdout);
        Assert.DoesNotContain("credited", bnb.Stdout);
        Assert.Equal(afterTee, await BalanceAsync(net.Alice));

        var both = await Cli.MustAsync(net.Alice, net.Spctl, "tokens", "request", "--tee", "--bnb", "--amount", "3");
        Assert.Contains("This network has no gas token", both.Stdout);
        Assert.Contains("credited: 3\n", both.Stdout);
        Assert.Equal(afterTee + 3m, await BalanceAsync(net.Alice));
    }

    private async Task<decimal> BalanceAsync(string who)
    {
        var r = await Cli.MustAsync(who, net.Spctl, "tokens", "balance");
        return decimal.Parse(r.Stdout.Split('\n').Single(l => l.StartsWith("balance: ", StringComparison.Ordinal))["balance: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
