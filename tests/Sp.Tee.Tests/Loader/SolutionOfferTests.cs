using Sp.Core.Model;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// A solution offer's image is released by its owner in the order's Solution sub-order: the loader holds it to the
/// hash the order declares before any dataset is opened. Through the loader and a real sp-node.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class SolutionOfferTests(LoaderFixture f)
{
    [Fact]
    public async Task A_released_image_that_is_not_the_declared_one_ends_the_order_before_any_dataset_is_opened()
    {
        // The order declares the runner's hash; the solution's owner releases another archive under that hash (the
        // ledger checks only the hash he names, the TEE checks the bytes).
        var declared = f.Runner.Hash.Value.ToLowerInvariant();
        var (orderId, solutionSub, dataSub) = await f.Net.PlaceSolutionOfferOrderAsync(f.Loader.OfferId, declared);
        await f.Net.ReleaseDataAsync(dataSub, await f.Net.UploadTextAsync("secret.csv", "bob's secret\n"), declared);
        var other = await f.Net.UploadTextAsync("not-an-image.tar.gz", "not the declared image\n");
        await f.Net.ReleaseDataAsync(solutionSub, other, declared);

        var order = await f.Net.WaitForEndAsync(orderId);
        Assert.Equal(OrderStatus.Error, order.Status);
        Assert.Equal($"solution hash mismatch: the order declares {declared}, the downloaded image is {other.Hash.Value}; the dataset is not released", order.StatusMessage);
        Assert.Equal([("Image", other.Hash.Value)], order.Report!.WorkloadInfo.RuntimeInfo.Select(e => (e.Type, e.Hash.Value)));
        await f.Loader.AssertScratchEmptiesAsync();
    }

    [Fact]
    public async Task The_declared_image_released_by_its_owner_runs_on_the_released_data()
    {
        var declared = f.Runner.Hash.Value.ToLowerInvariant();
        var (orderId, solutionSub, dataSub) = await f.Net.PlaceSolutionOfferOrderAsync(f.Loader.OfferId, declared);
        var script = await f.Net.UploadTextAsync("scenario.sh", "echo from-the-solution-offer > /sp/output/ran.txt\n");
        await f.Net.ReleaseDataAsync(dataSub, script, declared);
        await f.Net.ReleaseDataAsync(solutionSub, f.Runner, declared);

        var order = await f.Net.WaitForEndAsync(orderId);
        Assert.True(order.Status == OrderStatus.Done, order.StatusMessage);
        Assert.Equal("from-the-solution-offer\n", TestNetwork.Text(await f.Net.ResultAsync(order), "output/ran.txt"));
        Assert.Equal([("Image", declared), ("Data", script.Hash.Value)], order.Report!.WorkloadInfo.RuntimeInfo.Select(e => (e.Type, e.Hash.Value)));
    }
}
