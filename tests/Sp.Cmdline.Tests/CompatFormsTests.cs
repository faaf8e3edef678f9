using Sp.Cli;
using Sp.Cmdline;

namespace Sp.Cmdline.Tests;

/// <summary>The original spctl's and provider-tools' forms of issue 15 item 2 parse in-process, with their positionals and options.</summary>
public sealed class CompatFormsTests
{
    [Theory]
    [InlineData("files upload x", "x")]
    [InlineData("files upload x --metadata m.json --maximum-concurrent 8 --skip-encryption", "x")]
    [InlineData("offers enable 17", "17")]
    [InlineData("offers disable 17", "17")]
    [InlineData("offers enable tee 17 --yes", "tee 17")]
    [InlineData("offers get-info value 4 --save-to i.json", "value 4")]
    [InlineData("offers get-slot tee --offer 1 --slot 2", "tee")]
    [InlineData("offers update value 4 5 --path offerInfo.json", "value 4 5")]
    [InlineData("offers download-content 4", "4")]
    [InlineData("offers list tee --ids 1 2 --fields id,provider_name,total_cores,free_cores,orders_in_queue", "tee")]
    public void Spctl_lines_parse(string line, string positionals)
    {
        var args = line.Split(' ');
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        Assert.Equal(positionals.Split(' '), CommandLine.From(parse).Positionals);
    }

    [Fact]
    public void Offers_list_ids_take_several_values_after_one_option_or_repeated()
    {
        string[] args = ["offers", "list", "value", "--ids", "3", "5", "--ids", "7,8"];
        var cl = CommandLine.From(CliRunner.Parse(Spctl.App.Tree(), args));
        Assert.Equal(["3", "5", "7,8"], cl.Options("ids"));
        Assert.Equal(["value"], cl.Positionals);
    }

    [Fact]
    public void Files_upload_output_defaults_to_resource_json_in_help()
    {
        var output = Spctl.App.Tree().Subcommands.Single(c => c.Name == "files").Subcommands.Single(c => c.Name == "upload").Options.Single(o => o.Name == "--output");
        Assert.False(output.Required);
        Assert.Equal("resource.json", Spctl.Commands.FilesCommands.DefaultResourceFile);
    }

    [Theory]
    [InlineData("setup --yes --generate-key")]
    [InlineData("setup --backend http://127.0.0.1:8080 --private-key 0x01 --yes")]
    [InlineData("register data --result r.json --yes --output out --backend-url http://127.0.0.1:8080 --offer 3 --slot-info a.json --slot-info b.json")]
    [InlineData("register solution --result r.json --offer-info o.json --slot-info s.json --provider-name P --provider-description D --provider-info p.json")]
    [InlineData("register tee --yes --offer-info o.json --slot-info s.json --tee-config tee.json --attestation sim --sim-platform-key k.pem --output out")]
    public void Provider_tools_setup_and_register_for_scripts_parse(string line)
    {
        var args = line.Split(' ');
        var parse = CliRunner.Parse(ProviderTools.ProviderApp.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        var cl = CommandLine.From(parse);
        if (line.Contains("--slot-info a.json", StringComparison.Ordinal)) Assert.Equal(["a.json", "b.json"], cl.Options("slot-info"));
        Assert.Equal(line.Contains("--yes", StringComparison.Ordinal), cl.Flag("yes"));
    }

    [Fact]
    public void Spctl_setup_takes_yes_as_a_flag()
    {
        string[] args = ["setup", "--generate-key", "--yes"];
        var parse = CliRunner.Parse(Spctl.App.Tree(), args);
        Assert.Null(CliRunner.UsageError(parse, args));
        var request = ClientSetup.Request(CommandLine.From(parse));
        Assert.Equal(new SetupRequest(null, null, true, true), request);
    }

    [Theory]
    [InlineData("register tee --attestation sgx")]
    [InlineData("register data --result r.json --yes yes-is-a-flag")]
    public void Provider_tools_refuse_a_bad_script_line_as_a_usage_error(string line)
    {
        var args = line.Split(' ');
        Assert.NotNull(CliRunner.UsageError(CliRunner.Parse(ProviderTools.ProviderApp.Tree(), args), args));
    }
}
