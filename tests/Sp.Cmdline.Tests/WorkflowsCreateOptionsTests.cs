using Sp.Cli;
using Sp.Cmdline;
using Sp.Core;
using Sp.Core.Model;
using Sp.Ledger.State;
using Spctl.Commands;

namespace Sp.Cmdline.Tests;

/// <summary>
/// The options of `spctl workflows create` that the original has beyond the guide's (docs/cli-compat.md): what is
/// checked before anything reaches the node (no config or network is needed for these refusals), and the deposit
/// that --min-rent-minutes locks.
/// </summary>
public sealed class WorkflowsCreateOptionsTests : IDisposable
{
    private const string ResourceHash = "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-wf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Resource()
    {
        var path = Path.Combine(_dir, "solution.resource.json");
        File.WriteAllText(path, $$"""
            {"hash":{"algo":"sha256","encoding":"hex","hash":"{{ResourceHash.ToUpperInvariant()}}"},"size":3,
             "encryption":{"key":"AAAA"},"resource":{"storageType":"LOCAL","filepath":"x"} }
            """);
        return path;
    }

    /// <summary>Runs the handler on a parsed line; the config does not exist, so anything past the checks fails on it.</summary>
    private async Task<string> RefusalAsync(params string[] args)
    {
        string[] line = ["workflows", "create", .. args];
        var parse = CliRunner.Parse(Spctl.App.Tree(), line);
        Assert.Null(CliRunner.UsageError(parse, line));
        var e = await Assert.ThrowsAnyAsync<SpError>(() => WorkflowCommands.CreateAsync(CommandLine.From(parse), Path.Combine(_dir, "no-config.json")));
        return e.Message;
    }

    [Fact]
    public async Task A_solution_hash_that_differs_from_the_resource_files_is_refused_naming_both()
    {
        var other = new string('a', 64);
        var message = await RefusalAsync("--solution", Resource(), "--tee", "1", "--solution-hash", other);
        Assert.Contains($"--solution-hash {other} differs from the hash of the solution in {Resource()}: {ResourceHash}", message);
        Assert.Contains("no order was created", message);

        message = await RefusalAsync("--solution", Resource(), "--tee", "1", "--solution-hash", "abc");
        Assert.Equal("--solution-hash 'abc': expected 64 hex digits (SHA-256)", message);
    }

    [Fact]
    public async Task A_matching_solution_hash_in_any_case_passes_on_to_the_config()
    {
        var message = await RefusalAsync("--solution", Resource(), "--tee", "1", "--solution-hash", ResourceHash.ToUpperInvariant(), "--yes");
        Assert.DoesNotContain("--solution-hash", message);
        Assert.Contains("no-config.json", message); // the next step: reading the config
    }

    [Theory]
    [InlineData("--tee-slot-count", "2", "--tee-slot-count 2: an order runs in one slot of the TEE offer, it cannot take a slot several times")]
    [InlineData("--tee-slot-count", "x", "--tee-slot-count 'x': expected a whole number")]
    [InlineData("--tee-options", "3", "--tee-options/--tee-options-count: TEE offers have no options on this network")]
    [InlineData("--tee-options-count", "1", "--tee-options/--tee-options-count: TEE offers have no options on this network")]
    [InlineData("--min-rent-minutes", "0", "--min-rent-minutes '0': expected a positive whole number")]
    public async Task Options_our_network_cannot_honour_are_refused_with_the_reason(string option, string value, string expected)
    {
        var message = await RefusalAsync("--solution", Resource(), "--tee", "1", option, value);
        Assert.StartsWith(expected, message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public async Task A_tee_slot_count_of_0_or_1_is_the_one_slot_an_order_takes(string count)
    {
        var message = await RefusalAsync("--solution", Resource(), "--tee", "1", "--tee-slot-count", count);
        Assert.Contains("no-config.json", message);
    }

    private static SlotUsage PerHour(string tokensPerHour, int minMinutes) => new()
    {
        Price = TokenAmount.ParseTokens(tokensPerHour, "test").Units.ToString(System.Globalization.CultureInfo.InvariantCulture),
        PriceType = SlotPricing.PerHour,
        MinTimeMinutes = minMinutes,
        MaxTimeMinutes = 0,
    };

    private static SlotUsage Fixed(string tokens) => PerHour(tokens, 0) with { PriceType = SlotPricing.Fixed };

    [Fact]
    public void Min_rent_minutes_locks_what_every_slot_costs_for_that_long_but_never_less_than_a_slots_minimum_rent()
    {
        // TEE 6 tokens/hour (minimum 10 min), data 3 fixed, data 1.2 tokens/hour (minimum 120 min).
        List<SlotUsage?> usages = [PerHour("6", 10), Fixed("3"), PerHour("1.2", 120)];
        // 30 min: 3 (TEE) + 3 (fixed) + 2.4 (its own 120 minutes) = 8.4.
        Assert.Equal(TokenAmount.ParseTokens("8.4", "test"), WorkflowCommands.DepositFor(30, null, usages));
        // 180 min: 18 + 3 + 3.6 = 24.6.
        Assert.Equal(TokenAmount.ParseTokens("24.6", "test"), WorkflowCommands.DepositFor(180, null, usages));
        // A free TEE slot and no data: nothing to lock.
        Assert.Equal(TokenAmount.Zero, WorkflowCommands.DepositFor(60, null, [null]));
    }

    [Fact]
    public void A_deposit_given_with_min_rent_minutes_must_cover_them()
    {
        List<SlotUsage?> usages = [PerHour("6", 0)];
        Assert.Equal(TokenAmount.ParseTokens("10", "test"), WorkflowCommands.DepositFor(60, TokenAmount.ParseTokens("10", "test"), usages));
        var e = Assert.Throws<UserError>(() => WorkflowCommands.DepositFor(60, TokenAmount.ParseTokens("5", "test"), usages));
        Assert.Equal("--deposit 5 is less than the 6 tokens that 60 minutes of this workflow cost (--min-rent-minutes 60)", e.Message);
    }
}
