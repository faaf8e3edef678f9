namespace Sp.EndToEnd.Tests;

/// <summary>
/// The guide types ./spctl and ./provider-tools in Alice's and Bob's folders: `sp-devnet up` puts launchers there
/// (mode 0755, exec of this build's bin/ program by absolute path), and they run from that folder with its config.json.
/// </summary>
[Collection("devnet")]
public sealed class DevnetLauncherTests(DevnetFixture net)
{
    [Theory]
    [InlineData("alice")]
    [InlineData("bob")]
    public async Task Spctl_and_provider_tools_run_verbatim_as_the_guide_types_them(string party)
    {
        var folder = Path.Combine(net.Net, party);
        foreach (var program in new[] { "spctl", "provider-tools" })
        {
            var launcher = Path.Combine(folder, program);
            Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(launcher)); // 0755
            var text = File.ReadAllText(launcher);
            Assert.StartsWith("#!/bin/sh\n", text);
            Assert.Contains($"exec '{Cli.Bin(program)}' \"$@\"\n", text);
        }

        // Typed as in the guide, through a shell in the party's folder: the folder's config.json is the one used.
        var balance = await Cli.RunAsync(folder, "/bin/sh", ["-c", "./spctl tokens balance"]);
        Assert.True(balance.ExitCode == 0, balance.All);
        Assert.Equal((await Cli.MustAsync(folder, net.Spctl, "tokens", "balance")).Stdout, balance.Stdout);
        var address = balance.Stdout.Split('\n').Single(l => l.StartsWith("address: ", StringComparison.Ordinal));
        using var account = Sp.Crypto.Accounts.AccountKey.FromHex(File.ReadAllText(Path.Combine(net.Net, "accounts", $"{party}.key")).Trim());
        Assert.Equal(account.Address.Lower, address["address: ".Length..].ToLowerInvariant());

        // provider-tools has no harmless command: without one it answers with its help (a usage error, exit 2), as
        // ./bin/provider-tools does.
        var tools = await Cli.RunAsync(folder, "/bin/sh", ["-c", "./provider-tools"]);
        Assert.Equal(2, tools.ExitCode);
        Assert.Contains("provider-tools [command] [options]", tools.Stderr);
        Assert.Contains("register", tools.Stderr);
        Assert.Equal((await Cli.RunAsync(folder, Cli.Bin("provider-tools"), [])).Stderr, tools.Stderr);
    }
}
