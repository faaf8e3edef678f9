using System.Security.Cryptography;
using System.Text;
using Sp.Core.Model;
using Sp.Api;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// A hostile order through the whole loader, followed by an honest one (the runner image over its own dataset),
/// which must end Done with the right answer: whatever the hostile order did, the loader goes on serving.
/// </summary>
internal static class HostileRun
{
    private const string HonestScenario = "sha256sum /sp/inputs/input-0001/scenario.sh | cut -d' ' -f1 > /sp/output/digest.txt\necho honest\n";

    /// <summary>Runs <paramref name="solution"/> over a dataset holding <paramref name="scenario"/> (as scenario.sh), then
    /// an honest order; returns the first order once ended, and its result (output/… and log.txt).</summary>
    public static async Task<(Order Order, Dictionary<string, byte[]> Result)> RunAsync(LoaderFixture f, ResourceFile solution, string scenario)
    {
        var hostileData = await f.Net.UploadTextAsync("scenario.sh", scenario);
        var honestText = HonestScenario + $"# {Guid.NewGuid()}\n";
        var honestData = await f.Net.UploadTextAsync("scenario.sh", honestText);
        var hostile = await f.Net.RunOrderAsync(f.Loader.OfferId, solution, hostileData);
        var honest = await f.Net.RunOrderAsync(f.Loader.OfferId, f.Runner, honestData);

        var hostileOrder = await f.Net.WaitForEndAsync(hostile);
        var honestOrder = await f.Net.WaitForEndAsync(honest);
        Assert.True(honestOrder.Status == OrderStatus.Done, $"the honest order after a hostile one: {honestOrder.Status} {honestOrder.StatusMessage}");
        var honestResult = await f.Net.ResultAsync(honestOrder);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(honestText))) + "\n", TestNetwork.Text(honestResult, "output/digest.txt"));

        Assert.NotNull(hostileOrder.Report); // the TEE took it: its report is on the ledger
        var result = await f.Net.ResultAsync(hostileOrder);
        if (hostileOrder.StatusMessage is { Length: > 0 } reason)
            Assert.Contains(reason, TestNetwork.Text(result, "log.txt")); // the reason is in the result's log too
        await f.Loader.AssertScratchEmptiesAsync();
        return (hostileOrder, result);
    }

    /// <summary>As <see cref="RunAsync"/>, for an order that must end Error.</summary>
    public static async Task<(Order Order, Dictionary<string, byte[]> Result)> RunFailingAsync(LoaderFixture f, ResourceFile solution, string scenario)
    {
        var (order, result) = await RunAsync(f, solution, scenario);
        Assert.True(order.Status == OrderStatus.Error, $"expected Error, got {order.Status} {order.StatusMessage}; log:\n{TestNetwork.Text(result, "log.txt")}");
        return (order, result);
    }
}
