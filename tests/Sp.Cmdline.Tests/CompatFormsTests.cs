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
}
