using Sp.Core.Model;
using Sp.Api;
using Sp.Tee.Tests.Runtime;

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

    private const string Loaded = "; container starting"; // the loader's note once the engine has the image

    private string WorkFile(string name) => Path.Combine(f.Work, $"{name}-{Guid.NewGuid():N}.tar.gz");

    [Fact]
    public async Task An_archive_whose_manifest_is_over_4_MiB_is_refused_before_docker_load()
    {
        var archive = await CraftedArchives.WithPaddedManifestAsync(f.RunnerArchive, WorkFile("fat-manifest"), 5 << 20);

        var (order, result) = await HostileRun.RunFailingAsync(f, await f.Net.UploadAsync(archive), RunsScenario);

        Assert.Matches(@"^solution image refused: its manifest\.json is 52428\d\d bytes, more than the 4194304 bytes allowed$", order.StatusMessage);
        Assert.DoesNotContain(Loaded, TestNetwork.Text(result, "log.txt"));
    }

    [Fact]
    public async Task An_archive_whose_config_is_over_4_MiB_is_refused_before_docker_load()
    {
        var archive = await CraftedArchives.WithPaddedConfigAsync(f.RunnerArchive, WorkFile("fat-config"), 5 << 20);

        var (order, result) = await HostileRun.RunFailingAsync(f, await f.Net.UploadAsync(archive), RunsScenario);

        Assert.Matches(@"^solution image refused: its image config is 52\d{5} bytes, more than the 4194304 bytes allowed$", order.StatusMessage);
        Assert.DoesNotContain(Loaded, TestNetwork.Text(result, "log.txt"));
    }

    [Fact]
    public async Task A_gzip_layer_that_unpacks_past_the_orders_disk_is_refused_before_docker_load()
    {
        // 64 MiB of zeros in a layer of a few hundred KiB: its size on the wire says nothing of its size on disk.
        var archive = await CraftedArchives.WithLayerOfZerosAsync(f.RunnerArchive, WorkFile("gzip-bomb"), 64L << 20, gzip: true);
        Assert.InRange(new FileInfo(archive).Length, 1, LoaderFixture.OutputLimitBytes / 4);

        var (order, result) = await HostileRun.RunFailingAsync(f, await f.Net.UploadAsync(archive), RunsScenario);

        Assert.Equal($"solution image refused: it unpacks to more than the order's disk of {LoaderFixture.OutputLimitBytes} bytes: " +
                     "its entry 'zeros-layer/layer.tar' alone does (unpacking stopped there)", order.StatusMessage);
        Assert.DoesNotContain(Loaded, TestNetwork.Text(result, "log.txt"));
    }

    [Fact]
    public async Task An_archive_that_unpacks_past_the_orders_disk_is_refused_before_docker_load()
    {
        var archive = await CraftedArchives.WithLayerOfZerosAsync(f.RunnerArchive, WorkFile("big-layer"), 24L << 20, gzip: false);

        var (order, result) = await HostileRun.RunFailingAsync(f, await f.Net.UploadAsync(archive), RunsScenario);

        Assert.Equal($"solution image refused: it unpacks to more than the order's disk of {LoaderFixture.OutputLimitBytes} bytes: " +
                     "its archive alone does (docker load unpacks it on the host's disk first)", order.StatusMessage);
        Assert.DoesNotContain(Loaded, TestNetwork.Text(result, "log.txt"));
    }

    [Fact]
    public async Task An_archive_with_an_extra_layer_that_fits_the_orders_disk_runs()
    {
        // The crafted archives are loadable: the refusals above are the limits' doing, not a broken archive.
        var archive = await CraftedArchives.WithLayerOfZerosAsync(f.RunnerArchive, WorkFile("small-layer"), 1L << 20, gzip: true);

        var (order, result) = await HostileRun.RunAsync(f, await f.Net.UploadAsync(archive), "wc -c < /zeros > /sp/output/zeros.txt\n");

        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
        Assert.Equal($"{1 << 20}\n", TestNetwork.Text(result, "output/zeros.txt"));
    }

    private static async Task<string?> ImageIdOfAsync(string reference)
    {
        var r = await ProcessRunner.RunAsync("docker", ["image", "inspect", "-f", "{{.Id}}", reference], TimeSpan.FromSeconds(60));
        return r.ExitCode == 0 ? r.StdOut.Trim() : null;
    }

    [Fact]
    public async Task An_archive_whose_RepoTags_name_a_host_image_leaves_the_host_tag_where_it_was()
    {
        // The hostile archive is saved under the name a host image goes by.
        var victimTag = $"sp-tee-victim-{Guid.NewGuid():N}"[..26] + ":latest";
        var hostile = await f.Net.UploadAsync(await SolutionImages.BuildAsync(f.Work, $"tag-thief-{Guid.NewGuid():N}"[..20], SolutionImages.RunnerEntry, tag: victimTag));
        await SolutionImages.BuildAsync(f.Work, $"victim-{Guid.NewGuid():N}"[..16], SolutionImages.DigestEntry, tag: victimTag, keepOnHost: true);
        var victimId = await ImageIdOfAsync(victimTag);
        Assert.NotNull(victimId);
        try
        {
            var (order, result) = await HostileRun.RunAsync(f, hostile, "echo ran > /sp/output/ran.txt\n");

            Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
            Assert.Equal("ran\n", TestNetwork.Text(result, "output/ran.txt"));
            Assert.Equal(victimId, await ImageIdOfAsync(victimTag)); // still the host's image, not the upload
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rmi", "-f", victimTag], TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task A_host_image_identical_to_the_upload_survives_the_order_with_its_tag()
    {
        var hostTag = $"sp-tee-host-copy-{Guid.NewGuid():N}"[..28] + ":v1";
        var solution = await f.Net.UploadAsync(await SolutionImages.BuildAsync(f.Work, $"host-copy-{Guid.NewGuid():N}"[..20], SolutionImages.RunnerEntry, tag: hostTag, keepOnHost: true));
        var hostId = await ImageIdOfAsync(hostTag);
        Assert.NotNull(hostId);
        try
        {
            var (order, result) = await HostileRun.RunAsync(f, solution, "echo ran > /sp/output/ran.txt\n");

            Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
            Assert.Contains($"image {hostId} loaded", TestNetwork.Text(result, "log.txt")); // the very image ran
            Assert.Equal(hostId, await ImageIdOfAsync(hostTag));
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rmi", "-f", hostTag], TimeSpan.FromSeconds(60));
        }
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
