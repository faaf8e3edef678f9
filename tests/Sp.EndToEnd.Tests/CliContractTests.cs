namespace Sp.EndToEnd.Tests;

/// <summary>The error contract of cli-reference.md: one line on stderr, exit 1, never a prompt without a terminal.</summary>
[Collection("devnet")]
public sealed class CliContractTests(DevnetFixture net)
{
    [Fact]
    public async Task A_missing_config_fails_at_once_and_names_spctl_setup()
    {
        var empty = Directory.CreateTempSubdirectory("sp-noconfig-").FullName;
        var r = await Cli.RunAsync(empty, net.Spctl, ["orders", "get", "1"], stdin: "", timeoutSeconds: 30);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("spctl setup", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n')); // one line, its hint included
        Assert.StartsWith("error: no configuration at ", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task Setup_without_a_terminal_asks_nothing_and_says_which_option_is_missing()
    {
        var empty = Directory.CreateTempSubdirectory("sp-setup-").FullName;
        var r = await Cli.RunAsync(empty, net.Spctl, ["setup"], stdin: "", timeoutSeconds: 30);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--backend", r.Stderr);
        Assert.False(File.Exists(Path.Combine(empty, "config.json")));
    }

    [Fact]
    public async Task An_unknown_option_is_named_as_a_usage_error()
    {
        var r = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "get", "1", "--colour", "red");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: unknown option --colour (hint: ", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public async Task The_guide_flags_parse_as_flags_and_help_exits_0()
    {
        var help = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "list", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--my-account", help.Stdout);
        var version = await Cli.RunAsync(net.Alice, net.Spctl, "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("spctl ", version.Stdout);
        // --tee is a flag now (it took the next word as its value before).
        var tokens = await Cli.RunAsync(net.Alice, net.Spctl, "tokens", "request", "--tee", "--amount", "0.5");
        Assert.True(tokens.ExitCode == 0, tokens.All);
        Assert.Contains("credited: 0.5", tokens.Stdout);
    }

    [Fact]
    public async Task Download_never_overwrites_an_existing_file_and_leaves_nothing_else()
    {
        File.WriteAllText(Path.Combine(net.Alice, "note.txt"), "hello\n");
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "note.txt", "--output", "note.resource.json");
        var dest = Directory.CreateTempSubdirectory("sp-dl-").FullName;
        File.WriteAllText(Path.Combine(dest, "note.txt"), "mine\n");
        var r = await Cli.RunAsync(net.Alice, net.Spctl, "files", "download", "note.resource.json", dest);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("note.txt", r.Stderr);
        Assert.Equal("mine\n", File.ReadAllText(Path.Combine(dest, "note.txt")));
        Assert.Single(Directory.GetFileSystemEntries(dest));
    }

    [Fact]
    public async Task A_directory_upload_comes_back_as_that_directory()
    {
        var src = Path.Combine(net.Alice, "tree");
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        File.WriteAllText(Path.Combine(src, "a.txt"), "a\n");
        File.WriteAllText(Path.Combine(src, "sub", "b.txt"), "b\n");
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "tree", "--output", "tree.resource.json");
        var hash = await Cli.MustAsync(net.Alice, net.Spctl, "files", "calculate-hash", "tree");
        Assert.Contains(DevnetFixture.HashOf(Path.Combine(net.Alice, "tree.resource.json")), hash.Stdout);
        var dest = Directory.CreateTempSubdirectory("sp-dl-").FullName;
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "download", "tree.resource.json", dest);
        Assert.Equal(["tree"], Directory.GetFileSystemEntries(dest).Select(Path.GetFileName));
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(dest, "tree", "sub", "b.txt")));
    }

    [Fact]
    public async Task Offers_list_tee_starts_each_row_with_the_offer_id_and_the_header_has_no_digits()
    {
        var r = await Cli.MustAsync(net.Alice, net.Spctl, "offers", "list", "tee");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotMatch("[0-9]", lines[0]);
        Assert.Matches($"^{net.TeeOfferId} ", lines[1]);
    }
}
