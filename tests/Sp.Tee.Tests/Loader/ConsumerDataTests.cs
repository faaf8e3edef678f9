using Sp.Core.Model;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// The consumer's own dataset (`workflows create --data FILE`), sealed in the order: its plaintext must hash to what
/// the order declares, or the order ends Error before the solution runs. Through the loader and a real sp-node.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class ConsumerDataTests(LoaderFixture f)
{
    [Fact]
    public async Task The_consumers_own_dataset_takes_its_position_and_the_released_one_fills_the_other()
    {
        // input-0001 is Alice's own script (the runner executes it), input-0002 Bob's released dataset.
        var script = await f.Net.UploadTextAsync("scenario.sh", "ls /sp/inputs > /sp/output/inputs.txt\ncat /sp/inputs/input-0002/* > /sp/output/second.txt\n");
        var bobs = await f.Net.UploadTextAsync("bob.csv", "bob,1\n");
        var (orderId, subs) = await f.Net.PlaceOrderAsync(f.Loader.OfferId, f.Runner, datasets: 1, own: [(0, script)]);
        await f.Net.ReleaseDataAsync(Assert.Single(subs), bobs, f.Runner.Hash.Value.ToLowerInvariant());

        var order = await f.Net.WaitForEndAsync(orderId);
        Assert.True(order.Status == OrderStatus.Done, order.StatusMessage);
        var result = await f.Net.ResultAsync(order);
        Assert.Equal("input-0001\ninput-0002\n", TestNetwork.Text(result, "output/inputs.txt"));
        Assert.Equal("bob,1\n", TestNetwork.Text(result, "output/second.txt"));
        Assert.Equal([("Image", f.Runner.Hash.Value), ("Data", script.Hash.Value), ("Data", bobs.Hash.Value)],
            order.Report!.WorkloadInfo.RuntimeInfo.Select(e => (e.Type, e.Hash.Value)));
    }

    [Fact]
    public async Task A_consumer_dataset_whose_content_differs_from_its_declared_hash_ends_the_order_before_the_run()
    {
        // The resource file claims another hash (edited, or another file's): the order declares that one.
        var real = await f.Net.UploadTextAsync("scenario.sh", "echo ran > /sp/output/ran.txt\n");
        var claimed = real with { Hash = HashInfo.Sha256(new byte[32]) };
        var (orderId, subs) = await f.Net.PlaceOrderAsync(f.Loader.OfferId, f.Runner, datasets: 0, own: [(0, claimed)]);
        Assert.Empty(subs);

        var order = await f.Net.WaitForEndAsync(orderId);
        Assert.Equal(OrderStatus.Error, order.Status);
        Assert.Contains($"downloaded content (sha256 {real.Hash.Value}, {real.Size} bytes) differs from its resource file (sha256 {claimed.Hash.Value}", order.StatusMessage);
        var result = await f.Net.ResultAsync(order);
        var log = TestNetwork.Text(result, "log.txt");
        Assert.DoesNotContain("container starting", log);
        Assert.DoesNotContain("output/ran.txt", result.Keys);
        // Nothing of the dataset is reported as loaded: the report names the image alone.
        Assert.Equal(["Image"], order.Report!.WorkloadInfo.RuntimeInfo.Select(e => e.Type));
        await f.Loader.AssertScratchEmptiesAsync();
    }
}
