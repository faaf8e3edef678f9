using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Api;
using Sp.Ledger.Transactions;
using Sp.Tee.Tests.Runtime;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// While a solution runs, the loader reads its order back: a cancel stops the container (the order stays
/// Canceled, its result keeps the log of what ran), and so does a deposit that no longer pays for the run time,
/// counting what the consumer added with a replenishment.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class OrderWatchTests(LoaderFixture f)
{
    private const string LongRun = "echo started\nsleep 60\necho SLEPT-TO-THE-END\n";

    private Task<InProcessLoader> StartLoaderAsync(string name) =>
        InProcessLoader.StartAsync(f.Net, Path.Combine(f.Work, name), c => c with { OrderTimeLimitSeconds = 120, OrderWatchSeconds = 0.2 });

    [Fact]
    public async Task Canceling_a_running_order_stops_its_container_and_keeps_the_log_of_what_ran()
    {
        await using var loader = await StartLoaderAsync("tee-cancel");
        var (dataOffer, dataSlot) = await f.Net.CreateDataOfferAsync(new OfferInfo { Name = "cancelable data", Group = "0", OfferType = "3", Cancelable = true });
        var dataset = await f.Net.UploadTextAsync("scenario.sh", LongRun);
        var (order, subs) = await f.Net.PlaceOrderAsync(loader.OfferId, f.Runner, data: new DataInput(dataOffer, dataSlot));
        await f.Net.ReleaseDataAsync(subs[0], dataset, f.Runner.Hash.Value.ToLowerInvariant());
        await f.Net.WaitForAsync(order, o => o.Status == OrderStatus.Processing && o.Report is not null, "running");
        // Its container runs (and has had time to say "started").
        for (var i = 0; i < 300 && (await RunningContainersAsync(loader)).Length == 0; i++) await Task.Delay(50);
        Assert.NotEmpty(await RunningContainersAsync(loader));
        await Task.Delay(300);

        await f.Net.Client.SendAsync(f.Net.Alice, TestNetwork.Network, new OrderCancel(order));
        // The loader stops the container long before the solution's 60 s sleep ends, uploads what it has and finishes.
        var ended = await f.Net.WaitForAsync(order, o => o.SealedResult is not null, "given its result", TimeSpan.FromSeconds(30));
        Assert.Equal(OrderStatus.Canceled, ended.Status);
        Assert.Equal("canceled by the consumer", ended.StatusMessage);
        var log = TestNetwork.Text(await f.Net.ResultAsync(ended), "log.txt");
        Assert.Contains("started", log);
        Assert.DoesNotContain("SLEPT-TO-THE-END", log);
        Assert.Contains("the order was canceled while its solution ran (canceled by the consumer)", log);
        await loader.AssertScratchEmptiesAsync();
        var left = await ProcessRunner.BashAsync($"docker ps -aq --filter label={Sp.Tee.Loader.TeeNode.LoaderLabel}={loader.Node.LoaderId}", TimeSpan.FromSeconds(30));
        Assert.Equal("", left.StdOut.Trim());
    }

    private static async Task<string[]> RunningContainersAsync(InProcessLoader loader) =>
        (await ProcessRunner.BashAsync($"docker ps -q --filter label={Sp.Tee.Loader.TeeNode.LoaderLabel}={loader.Node.LoaderId}", TimeSpan.FromSeconds(30)))
        .StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task An_order_whose_deposit_is_spent_is_stopped_counting_its_replenishment()
    {
        await using var loader = await StartLoaderAsync("tee-deposit");
        // A TEE slot of 3,600 base units an hour (one a second), no minimum rent, added by the loader's own account.
        using var provider = AccountKey.FromHex(loader.Config.AccountPrivateKey);
        var slot = await f.Net.Client.SendAsync(provider, TestNetwork.Network, new SlotAdd(loader.OfferId, new SlotInfo
        {
            Info = new SlotResources { CpuCores = 1, DiskUsage = 4 << 20 }, // the ~2 MiB busybox image must fit the order's disk
            Usage = new SlotUsage { Price = "3600", PriceType = SlotPricing.PerHour, MinTimeMinutes = 0 },
            Option = new SlotOption(),
        }));
        await f.Net.FundAliceAsync(TokenAmount.FromTokens(1));
        var dataset = await f.Net.UploadTextAsync("scenario.sh", LongRun);
        var (order, subs) = await f.Net.PlaceOrderAsync(loader.OfferId, f.Runner, teeSlotId: slot.Ids.Slot.Value, deposit: TokenAmount.FromUnits(4));
        await f.Net.ReleaseDataAsync(subs[0], dataset, f.Runner.Hash.Value.ToLowerInvariant());
        await f.Net.WaitForAsync(order, o => o.Status == OrderStatus.Processing, "started");
        // Within the 4 s the first deposit pays for: the run may go on to 8 s.
        await f.Net.Client.SendAsync(f.Net.Alice, TestNetwork.Network, new OrderReplenish(order, TokenAmount.FromUnits(4)));

        var ended = await f.Net.WaitForEndAsync(order, TimeSpan.FromSeconds(60));
        Assert.Equal(OrderStatus.Error, ended.Status);
        Assert.StartsWith("deposit exhausted: the order's deposit of 0.000000000000000008 tokens pays for 8 s of run time", ended.StatusMessage);
        var log = TestNetwork.Text(await f.Net.ResultAsync(ended), "log.txt");
        Assert.Contains("started", log);
        Assert.DoesNotContain("SLEPT-TO-THE-END", log);
        // Settled: the TEE provider is paid what the deposit held (the run was stopped when it was spent).
        Assert.Equal(TokenAmount.FromUnits(8), TokenAmount.Sum(ended.Settlement!.Payments.Select(p => p.Amount)));
        await loader.AssertScratchEmptiesAsync();
    }
}
