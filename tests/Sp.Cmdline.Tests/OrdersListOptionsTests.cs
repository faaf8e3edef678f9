using Sp.Cli;
using Sp.Cmdline;
using Sp.Core;
using Spctl.Commands;

namespace Sp.Cmdline.Tests;

/// <summary>
/// `spctl orders list`'s options as the original takes them (docs/cli-compat.md): what the handler checks before it
/// reads the config (the config does not exist here, so a line that passes the checks fails on it).
/// </summary>
public sealed class OrdersListOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-orders-list-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> ErrorAsync(params string[] options)
    {
        string[] line = ["orders", "list", .. options];
        var parse = CliRunner.Parse(Spctl.App.Tree(), line);
        Assert.Null(CliRunner.UsageError(parse, line));
        var e = await Assert.ThrowsAnyAsync<SpError>(() => OrderCommands.ListAsync(CommandLine.From(parse), Path.Combine(_dir, "no-config.json")));
        return e.Message;
    }

    [Fact]
    public async Task Fields_take_the_originals_fifteen_names_ours_and_the_aliases_and_refuse_others_naming_the_valid_ones()
    {
        string[] originals = ["id", "offer_name", "offer_description", "type", "status", "offer_id", "consumer_address", "parent_order_id",
            "total_deposit", "total_unspent_deposit", "deposit", "unspent_deposit", "cancelable", "sub_orders_count", "modified_date"];
        string[] ours = ["slot_id", "created", "solution_hash", "status_message", "consumer", "modified"];
        Assert.Contains("no-config.json", await ErrorAsync("--fields", string.Join(',', originals.Concat(ours))));
        Assert.Equal<string>([.. originals, .. ours], OrderCommands.ListFields);

        var message = await ErrorAsync("--fields", "id,colour");
        Assert.Equal($"--fields: unknown field 'colour' (expected some of {string.Join(", ", originals.Concat(ours))})", message);
    }

    [Theory]
    [InlineData("tee")]
    [InlineData("TEE")]
    [InlineData("Data")]
    [InlineData("solution")]
    [InlineData("STORAGE")]
    public async Task Type_takes_the_originals_four_values_in_any_case(string type) =>
        Assert.Contains("no-config.json", await ErrorAsync("--type", type));

    [Fact]
    public async Task An_unknown_type_is_refused_naming_the_valid_ones() =>
        Assert.Equal("--type 'compute': expected tee, data, solution or storage", await ErrorAsync("--type", "compute"));

    [Theory]
    [InlineData("3,x", "x")]
    [InlineData("0", "0")]
    [InlineData("3,-4", "-4")]
    public async Task Offers_are_ids_separated_by_commas_each_a_positive_integer(string offers, string bad)
    {
        var message = await ErrorAsync("--offers", offers);
        Assert.StartsWith($"--offers: '{bad}': expected ", message);
        Assert.Contains("a positive decimal integer", message);
        Assert.Contains("no-config.json", await ErrorAsync("--offers", "3, 5,12"));
    }
}
