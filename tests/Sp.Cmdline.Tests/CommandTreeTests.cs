using System.CommandLine;
using Sp.Cli;
using Sp.Cmdline;

namespace Sp.Cmdline.Tests;

/// <summary>The command trees of the five programs, in-process: help, version, flags, usage errors (exit 2).</summary>
public sealed class CommandTreeTests
{
    public static TheoryData<string> Programs => ["spctl", "provider-tools", "sp-devnet", "sp-node", "sp-tee"];

    private static Command Tree(string program) => program switch
    {
        "spctl" => Spctl.App.Tree(),
        "provider-tools" => ProviderTools.ProviderApp.Tree(),
        "sp-devnet" => SpDevnet.DevnetCommandLine.Tree(),
        "sp-node" => Sp.Node.NodeCommandLine.Tree(TimeProvider.System),
        "sp-tee" => Sp.Tee.TeeCommandLine.Tree((_, _, _) => Task.FromResult(0)),
        _ => throw new ArgumentOutOfRangeException(nameof(program)),
    };

    private static async Task<(int Code, string Out, string Err)> RunAsync(string program, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliRunner.InvokeAsync(Tree(program), args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void Every_command_option_and_argument_has_a_description(string program)
    {
        foreach (var (path, command) in Cli.Walk(Tree(program)))
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description), $"{path} has no description");
            foreach (var o in command.Options) Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{path} {o.Name} has no description");
            foreach (var a in command.Arguments) Assert.False(string.IsNullOrWhiteSpace(a.Description), $"{path} <{a.Name}> has no description");
        }
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Every_command_and_group_has_help_on_stdout_with_exit_0(string program)
    {
        foreach (var (path, command) in Cli.Walk(Tree(program)))
        {
            foreach (var help in new[] { "--help", "-h" })
            {
                var (code, stdout, stderr) = await RunAsync(program, [.. path.Split(' ').Skip(1), help]);
                Assert.True(code == 0, $"{path} {help}: exit {code} {stderr}");
                Assert.Contains($"Usage:\n  {path}", stdout.ReplaceLineEndings("\n"));
                Assert.Contains(command.Description!, stdout);
                foreach (var o in command.Options) Assert.Contains(o.Name, stdout);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Version_prints_the_program_name_and_version(string program)
    {
        foreach (var flag in new[] { "--version", "-V" })
        {
            var (code, stdout, _) = await RunAsync(program, flag);
            Assert.Equal(0, code);
            Assert.Matches($"^{program} [0-9]+\\.[0-9]+\\.[0-9]+\\S*\n$", stdout.ReplaceLineEndings("\n"));
        }
    }

    [Fact]
    public async Task Orders_list_help_names_each_option_with_its_meaning()
    {
        var (code, stdout, stderr) = await RunAsync("spctl", "orders", "list", "--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("--my-account", stdout);
        Assert.Contains("Only the orders of this config's account", stdout);
        Assert.Contains("--config <FILE>", stdout);
        Assert.Contains("[default: config.json]", stdout);
    }

    [Fact]
    public async Task Help_shows_defaults_and_the_help_word_forms_work()
    {
        var (code, stdout, _) = await RunAsync("spctl", "help", "orders", "download-result");
        Assert.Equal(0, code);
        Assert.Contains("[default: result.tar.gz]", stdout);
        var (code2, stdout2, _) = await RunAsync("spctl", "orders", "help", "download-result");
        Assert.Equal(0, code2);
        Assert.Equal(stdout, stdout2);
    }

    [Theory]
    [InlineData("tokens", "request", "--tee")]
    [InlineData("tokens", "request", "--tee", "--bnb", "--amount", "5")]
    [InlineData("files", "upload", "x", "--skip-encryption", "--output", "r.json")]
    [InlineData("offers", "create", "value", "--path", "offer-info.json", "--yes")]
    [InlineData("offers", "enable", "tee", "3", "--yes")]
    [InlineData("providers", "create", "--name", "N", "--yes")]
    [InlineData("orders", "cancel", "4", "5", "--debug")]
    [InlineData("files", "delete", "r.json", "--use-addon")]
    [InlineData("orders", "get", "--suborders", "7")]
    [InlineData("workflows", "replenish-deposit", "7", "--yes", "--minutes", "30")]
    [InlineData("orders", "download-result", "7", "--debug", "--save-to", "r.tar.gz")]
    public void Flags_take_no_value(params string[] args)
    {
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
    }

    [Theory]
    [InlineData("orders get 7 --suborders", "suborders", true)]
    [InlineData("orders get 7 --suborders true", "suborders", true)]
    [InlineData("orders get 7 --suborders false", "suborders", false)]
    [InlineData("orders get 7", "suborders", false)]
    [InlineData("orders list --my-account false --limit 2", "my-account", false)]
    [InlineData("workflows replenish-deposit 7 --yes true --sppi 1", "yes", true)]
    [InlineData("tokens request --tee false --bnb", "tee", false)]
    public void A_flag_also_takes_true_or_false(string line, string flag, bool expected)
    {
        var args = line.Split(' ');
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        Assert.Equal(expected, CommandLine.From(parse).Flag(flag));
    }

    [Fact]
    public void Options_also_take_the_equals_form()
    {
        string[] args = ["orders", "list", "--fields=id,status", "--status=done,error", "--limit=2", "--cursor=9", "--offers=3,4", "--type=tee", "--save-to=page.json", "--config=other.json"];
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        var cl = CommandLine.From(parse);
        foreach (var (name, value) in args.Skip(2).Select(a => a[2..].Split('=', 2)).Select(p => (p[0], p[1])))
            Assert.Equal(value, cl.Option(name));
        string[] slot = ["offers", "get-slot", "tee", "--offer=1", "--slot=2", "--save-to=slot.json"];
        var slotLine = CommandLine.From(CliRunner.Parse(Spctl.App.Tree(), slot));
        Assert.Equal(("1", "2", "slot.json"), (slotLine.Option("offer"), slotLine.Option("slot"), slotLine.Option("save-to")));
        string[] register = ["register", "data", "--result=r.json", "--offer=3", "--slot-info=a.json"];
        var registerParse = CliRunner.Parse(ProviderTools.ProviderApp.Tree(), register);
        Assert.Null(CliRunner.UsageError(registerParse, register));
        Assert.Equal(("r.json", "3"), (CommandLine.From(registerParse).Option("result"), CommandLine.From(registerParse).Option("offer")));
    }

    /// <summary>--config (default config.json) and --debug (accepted, read by no handler) on every spctl command.</summary>
    [Fact]
    public async Task Config_and_debug_are_taken_by_every_spctl_command_and_help_shows_the_default_config_json()
    {
        var leaves = Cli.Walk(Spctl.App.Tree()).Where(c => c.Command.Action is not null).ToList();
        Assert.True(leaves.Count > 30, $"{leaves.Count} commands");
        foreach (var (path, _) in leaves)
        {
            var words = path.Split(' ').Skip(1).ToArray();
            var (code, stdout, _) = await RunAsync("spctl", [.. words, "--help"]);
            Assert.Equal(0, code);
            Assert.Matches(@"--config <FILE>\s+Path to the.*\[default: config\.json\]", stdout.ReplaceLineEndings(" "));
            Assert.Contains("--debug", stdout);
            var parse = CliRunner.Parse(Spctl.App.Tree(), [.. words, "--debug", "--config", "other.json"]);
            Assert.Empty(parse.UnmatchedTokens);
            var cl = CommandLine.From(parse);
            Assert.Equal("other.json", cl.Option("config"));
            Assert.True(cl.Flag("debug"), path);
            Assert.True(Cli.IsAccepted(parse.RootCommandResult.Command.Options.Single(o => o.Name == "--debug")));
        }
    }

    /// <summary>Every spctl command line of the collaboration guide and of the acceptance script, verbatim.</summary>
    [Theory]
    [InlineData("files upload mysol.tar.gz --output solution.resource.json --filename mysol.tar.gz --use-addon", "mysol.tar.gz")]
    [InlineData("files download solution.resource.json . --use-addon", "solution.resource.json .")]
    [InlineData("files upload dataset --output dataset.resource.json --use-addon", "dataset")]
    [InlineData("workflows create --solution ./solution.resource.json --data 12,34 --tee 1", "")]
    [InlineData("orders get 7 --suborders --suborders_fields id,type,status", "7")]
    [InlineData("orders complete 8 --result ./dataset.resource.json --status done --solution-hash 00ff", "8")]
    [InlineData("orders get 7", "7")]
    [InlineData("orders download-result 7", "7")]
    [InlineData("orders get-report 7 --save-to report.json", "7")]
    [InlineData("orders validate-report --path report.json", "")]
    [InlineData("offers list tee", "tee")]
    public void The_guides_command_lines_parse_as_before(string line, string positionals)
    {
        var args = line.Split(' ');
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        var cl = CommandLine.From(parse);
        Assert.Equal(positionals.Split(' ', StringSplitOptions.RemoveEmptyEntries), cl.Positionals);
        // Each given option reads as on the line; an option left out reads as null (its handler applies the default).
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i].StartsWith("--", StringComparison.Ordinal) && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i] is not ("--use-addon" or "--suborders"))
                Assert.Equal(args[i + 1], cl.Option(args[i][2..]));
        Assert.Null(cl.Option("config"));
    }

    [Fact]
    public void Boolean_flags_read_true_only_when_given_and_repeatable_options_keep_every_value()
    {
        string[] args = ["workflows", "create", "--solution", "s.json", "--data", "1,2", "--data", "3", "--tee", "9"];
        var cl = CommandLine.From(CliRunner.Parse(Spctl.App.Tree(), args));
        Assert.Equal(["1,2", "3"], cl.Options("data"));
        Assert.Equal(["s.json"], cl.Options("solution"));
        var get = CommandLine.From(CliRunner.Parse(Spctl.App.Tree(), ["orders", "get", "7", "--suborders_fields=id,type"]));
        Assert.False(get.Flag("suborders"));
        Assert.Equal("id,type", get.Option("suborders_fields"));
        var twice = CliRunner.Parse(Spctl.App.Tree(), ["workflows", "create", "--solution", "a.json", "--solution", "b.json", "--tee", "9"]);
        Assert.Null(CliRunner.UsageError(twice));
        Assert.Equal(["a.json", "b.json"], CommandLine.From(twice).Options("solution"));
    }

    [Fact]
    public async Task A_typo_in_a_command_is_a_usage_error_with_a_suggestion()
    {
        var (code, stdout, stderr) = await RunAsync("spctl", "orders", "lsit");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: unknown command 'lsit' (hint: did you mean 'list'? see 'spctl orders --help')\n", stderr.ReplaceLineEndings("\n"));
        var (code2, _, stderr2) = await RunAsync("sp-devnet", "stat", "x");
        Assert.Equal(2, code2);
        Assert.Contains("did you mean 'status'?", stderr2);
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_naming_it_and_the_nearest_option()
    {
        var (code, _, stderr) = await RunAsync("spctl", "orders", "list", "--my-accont");
        Assert.Equal(2, code);
        Assert.Equal("error: unknown option --my-accont (hint: did you mean --my-account? see 'spctl orders list --help')\n", stderr.ReplaceLineEndings("\n"));
        var (code2, _, stderr2) = await RunAsync("spctl", "orders", "get", "1", "--colour", "red");
        Assert.Equal(2, code2);
        Assert.StartsWith("error: unknown option --colour (hint: see 'spctl orders get --help')", stderr2);
        // Before a positional argument is filled, an unknown option is not taken as its value.
        var (code3, _, stderr3) = await RunAsync("provider-tools", "register", "data", "--reslt", "x");
        Assert.Equal(2, code3);
        Assert.Contains("unknown option --reslt", stderr3);
        Assert.Contains("did you mean --result?", stderr3);
    }

    [Theory]
    [InlineData("spctl", "--path", "offers", "create", "value")]
    [InlineData("spctl", "--path", "orders", "validate-report")]
    [InlineData("spctl", "--tee", "workflows", "create", "--solution", "s.json")]
    [InlineData("provider-tools", "--result", "register", "data")]
    [InlineData("sp-tee", "--config", "run")]
    [InlineData("spctl", "--offer", "offers", "add-slot", "value", "--path", "slot.json")]
    [InlineData("spctl", "--offer", "offers", "update-slot", "value", "--slot", "2", "--path", "slot.json")]
    [InlineData("spctl", "--slot", "offers", "update-slot", "value", "--offer", "1", "--path", "slot.json")]
    [InlineData("spctl", "--offer", "offers", "delete-slot", "tee", "--slot", "2")]
    [InlineData("spctl", "--slot", "offers", "delete-slot", "tee", "--offer", "1")]
    [InlineData("provider-tools", "--result", "register", "solution")]
    public async Task A_missing_required_option_is_a_usage_error_naming_it(string program, string option, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(program, args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains($"'{option}' is required", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("spctl", "orders", "get")]
    [InlineData("spctl", "offers", "list", "nope")]
    [InlineData("sp-node", "init")]
    [InlineData("sp-node", "run", "dir", "--log-level", "loud")]
    [InlineData("sp-devnet", "up")]
    [InlineData("spctl", "orders", "download-result", "7", "extra")]
    public async Task Missing_or_bad_arguments_are_usage_errors_on_one_line(string program, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(program, args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("--help'", stderr);
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Without_a_command_the_help_goes_to_stderr_with_exit_2(string program)
    {
        var (code, stdout, stderr) = await RunAsync(program);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains($"{program} [command] [options]", stderr);
    }

    [Theory]
    [InlineData("done,error")]
    [InlineData("Done")]
    [InlineData("NEW, processing,canceled")]
    [InlineData("new,canceling,canceled,done,error,blocked,suspended,processing")]
    public void Orders_list_takes_several_statuses_in_any_case(string statuses)
    {
        string[] args = ["orders", "list", "--status", statuses, "--fields", "id,offer_name,status", "--limit", "2", "--cursor", "9", "--save-to", "o.json"];
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        Assert.Equal(statuses, CommandLine.From(parse).Option("status"));
        var (parsed, unknown) = Spctl.Commands.OrderCommands.ParseStatuses(statuses);
        Assert.Empty(unknown);
        Assert.Equal(statuses.Split(',').Length, parsed.Count);
    }

    [Theory]
    [InlineData("done,finished", "'finished' is not an order status")]
    [InlineData("ok,bad", "'ok', 'bad' are not order statuses")]
    [InlineData("3", "'3' is not an order status")]
    [InlineData(",", "',' is not an order status")]
    public async Task Orders_list_refuses_an_unknown_status_with_exit_2_naming_the_valid_ones(string statuses, string what)
    {
        var (code, stdout, stderr) = await RunAsync("spctl", "orders", "list", "--status", statuses);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: --status: {what} (valid: new, processing, canceling, canceled, done, error, blocked, suspended) (hint: see 'spctl orders list --help')\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Orders_list_and_get_help_name_the_originals_fields()
    {
        var (_, list, _) = await RunAsync("spctl", "orders", "list", "--help");
        foreach (var f in new[] { "offer_name", "offer_description", "consumer_address", "total_deposit", "total_unspent_deposit", "unspent_deposit", "cancelable", "sub_orders_count", "modified_date", "--limit", "--cursor", "--save-to" })
            Assert.Contains(f, list);
        Assert.Contains("[default: id,type,status,offer_id,parent_order_id,modified]", list);
        // Where we are stricter than the original, the help says so (docs/cli-compat.md).
        Assert.Contains("an unknown name is refused (exit 2)", System.Text.RegularExpressions.Regex.Replace(list, @"\s+", " "));
        var (_, get, _) = await RunAsync("spctl", "orders", "get", "--help");
        foreach (var f in new[] { "--fields", "offer_name", "actual_cost", "modified_date" })
            Assert.Contains(f, get);
    }

    [Theory]
    [InlineData("lsit", "list")]
    [InlineData("--my-acount", "--my-account")]
    [InlineData("stat", "status")]
    [InlineData("zzz", null)]
    public void Nearest_suggests_close_names_only(string word, string? expected) =>
        Assert.Equal(expected, CliRunner.Nearest(word, ["list", "get", "--my-account", "status"]));
}
