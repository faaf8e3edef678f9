using Sp.Core.Model;
using Sp.Ledger.State;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// Hostile solution images (not only hostile code) through the whole loader: what the image declares (USER,
/// VOLUME, tags) or what its archive holds must not reach beyond the order. Each hostile order is followed by an
/// honest one, which must end Done (see <see cref="HostileRun"/>).
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class HostileImageTests(LoaderFixture f)
{
    private const string RunsScenario = "echo SCENARIO-RAN\nid > /sp/output/id.txt\n";

    private async Task<ResourceFile> UploadImageAsync(string name, string dockerfileLines) =>
        await f.Net.UploadAsync(await SolutionImages.BuildAsync(f.Work, $"{name}-{Guid.NewGuid():N}"[..24], SolutionImages.RunnerEntry, dockerfileLines));

    [Theory]
    [InlineData("USER 0", "the image's USER '0' is root")]
    [InlineData("USER root", "the image's USER 'root' is root")]
    [InlineData("USER 1000:0", "the image's USER '1000:0' is root")]
    [InlineData("USER app", "the image's USER 'app' names a user by name")]
    public async Task An_image_whose_USER_is_root_or_a_name_is_refused_before_it_runs(string userLine, string reason)
    {
        var solution = await UploadImageAsync("user", userLine);

        var (order, result) = await HostileRun.RunFailingAsync(f, solution, RunsScenario);

        Assert.StartsWith("solution image refused: " + reason, order.StatusMessage);
        Assert.DoesNotContain("SCENARIO-RAN", TestNetwork.Text(result, "log.txt"));
        Assert.DoesNotContain("output/id.txt", result.Keys);
    }

    [Fact]
    public async Task An_image_that_declares_VOLUMEs_is_refused_before_Docker_puts_them_on_the_host_disk()
    {
        var solution = await UploadImageAsync("volume", "VOLUME /data /cache");

        var (order, result) = await HostileRun.RunFailingAsync(f, solution, "head -c 1m /dev/zero > /data/fill && echo WROTE-VOLUME\n");

        Assert.StartsWith("solution image refused: the image declares VOLUME /cache, /data: Docker would keep it on the host's disk", order.StatusMessage);
        Assert.DoesNotContain("WROTE-VOLUME", TestNetwork.Text(result, "log.txt"));
    }

    [Fact]
    public async Task A_numeric_USER_without_a_group_runs_with_group_65534_not_root()
    {
        // Docker alone would give such a user group 0 (the image has no /etc/passwd to name its group).
        var solution = await UploadImageAsync("uid-only", "USER 1234");

        var (order, result) = await HostileRun.RunAsync(f, solution, "id -u > /sp/output/uid.txt\nid -g > /sp/output/gid.txt\nid -G > /sp/output/groups.txt\n");

        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
        Assert.Equal("1234\n", TestNetwork.Text(result, "output/uid.txt"));
        Assert.Equal("65534\n", TestNetwork.Text(result, "output/gid.txt"));
        Assert.Equal("65534\n", TestNetwork.Text(result, "output/groups.txt"));
    }
}
