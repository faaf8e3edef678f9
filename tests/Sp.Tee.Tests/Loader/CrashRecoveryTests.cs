using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Api;
using Sp.Tee.Loader;
using Sp.Tee.Tests.Runtime;

namespace Sp.Tee.Tests.Loader;

/// <summary>sp-node and the solution image for the crash tests, which kill sp-tee and sp-node processes with SIGKILL.</summary>
public sealed class CrashFixture : IAsyncLifetime
{
    public string Work { get; } = Directory.CreateTempSubdirectory("sp-tee-crash-tests-").FullName;
    internal TestNetwork Net { get; private set; } = null!;
    internal ResourceFile Runner { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await DockerFixture.EnsureDockerAsync();
        Net = await TestNetwork.StartAsync(Work);
        Runner = await Net.UploadAsync(await SolutionImages.BuildAsync(Work, "runner", SolutionImages.RunnerEntry));
    }

    public async Task DisposeAsync()
    {
        if (Net is not null) await Net.DisposeAsync();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class CrashCollection : ICollectionFixture<CrashFixture>
{
    public const string Name = "crash";
}

/// <summary>sp-tee as a real process, with its tee.json; restartable, killable with SIGKILL.</summary>
internal sealed partial class TeeProcess : IDisposable
{
    private readonly string _config;
    private BackgroundProcess? _process;

    public TeeProcess(TestNetwork net, string dir)
    {
        Directory.CreateDirectory(dir);
        WorkDir = Path.Combine("/dev/shm", "sp-tee-crash-" + Guid.NewGuid().ToString("N")[..8]);
        using var key = AccountKey.Generate();
        _config = Path.Combine(dir, "tee.json");
        File.WriteAllText(_config, SpJson.Serialize(new Dictionary<string, object>
        {
            ["nodeUrl"] = net.Url, ["network"] = TestNetwork.Network, ["accountPrivateKey"] = key.ExportHex(),
            ["simPlatformKey"] = net.SimPlatformKey, ["workDir"] = WorkDir, ["pollSeconds"] = 0.1, ["orderTimeLimitSeconds"] = 60,
            ["maxConcurrentOrders"] = 2, ["logKey"] = net.LogKey,
        }));
        LogPath = Path.Combine(dir, "tee.log");
    }

    public string WorkDir { get; }
    public string LogPath { get; }
    public string ScratchRoot { get; private set; } = "";
    public long OfferId { get; private set; }
    public string Log => _process?.Log ?? "";
    public bool Alive => _process is { HasExited: false };

    /// <summary>Starts sp-tee and waits until it serves its offer; returns the log offset of this run.</summary>
    public async Task<int> StartAsync()
    {
        var from = File.Exists(LogPath) ? Log.Length : 0;
        _process = BackgroundProcess.Start(Programs.Dll("Sp.Tee", "sp-tee"), ["run", "--config", _config], LogPath);
        await _process.WaitForLogAsync("serving TEE offer", TimeSpan.FromSeconds(90), from);
        var m = Serving().Match(Log, from);
        OfferId = long.Parse(m.Groups[1].Value);
        ScratchRoot = m.Groups[2].Value;
        return from;
    }

    public Task WaitForLogAsync(string text, int from, int seconds = 60) => _process!.WaitForLogAsync(text, TimeSpan.FromSeconds(seconds), from);

    public void Kill() => _process?.Kill();

    [GeneratedRegex(@"serving TEE offer (\d+) .*scratch (\S+)\)")]
    private static partial Regex Serving();

    public void Dispose()
    {
        _process?.Dispose();
        ScratchSpace.UnmountBelow(WorkDir);
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { }
    }
}

[Collection(CrashCollection.Name)]
public sealed class CrashRecoveryTests(CrashFixture f)
{
    private static async Task<string[]> ContainersOf(string loaderId)
    {
        var r = await ProcessRunner.RunAsync("docker", ["ps", "-aq", "--filter", $"label={TeeNode.LoaderLabel}={loaderId}"], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.Describe("docker ps"));
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<bool> ImageExistsAsync(string imageId) =>
        (await ProcessRunner.RunAsync("docker", ["image", "inspect", imageId], TimeSpan.FromSeconds(60))).ExitCode == 0;

    [Fact]
    public async Task Sp_tee_killed_at_any_point_of_an_order_ends_every_order_it_took_and_leaves_nothing_behind()
    {
        using var tee = new TeeProcess(f.Net, Path.Combine(f.Work, "tee-kill"));
        var from = await tee.StartAsync();
        var loaderId = Path.GetFileName(tee.ScratchRoot);
        // Kill points: just taken (downloading next), inputs decrypted, solution running, solution done (uploading next).
        (string Name, string Line)[] points =
            [("taken", "order taken"), ("inputs decrypted", "dataset of sub-order"), ("running", "container starting"), ("uploading", "solution finished")];
        var killed = new List<long>();
        foreach (var (point, line) in points)
        {
            var data = await f.Net.UploadTextAsync("scenario.sh", $"# {point}\nsleep 2\necho out > /sp/output/out.txt\n");
            var order = await f.Net.RunOrderAsync(tee.OfferId, f.Runner, data);
            await tee.WaitForLogAsync(line == "container starting" ? line : $"order {order}: {line}", from);
            if (point == "running") // kill once its container exists
                for (var i = 0; i < 100 && (await ContainersOf(loaderId)).Length == 0; i++) await Task.Delay(20);
            tee.Kill();
            killed.Add(order);
            if (point is "inputs decrypted" or "running")
                Assert.NotEmpty(Directory.GetFileSystemEntries(tee.ScratchRoot)); // decrypted input left behind by the kill
            string? imageId = null;
            if (point == "running")
            {
                Assert.NotEmpty(await ContainersOf(loaderId)); // the solution outlived its loader
                imageId = System.Text.RegularExpressions.Regex.Match(tee.Log[from..], @"image (sha256:[0-9a-f]{64}) loaded; container starting").Groups[1].Value;
                Assert.True(await ImageExistsAsync(imageId), "the decrypted solution image is still in the engine after the kill");
            }

            from = await tee.StartAsync();
            Assert.Empty(Directory.GetFileSystemEntries(tee.ScratchRoot));
            Assert.Empty(await ContainersOf(loaderId));
            if (imageId is not null)
            {
                Assert.False(await ImageExistsAsync(imageId), "the restarted loader removes the images its killed run had loaded");
                Assert.Contains("1 image(s)", tee.Log[from..]);
            }
            Assert.Equal(loaderId, Path.GetFileName(tee.ScratchRoot)); // same offer, same scratch folder

            var ended = await f.Net.WaitForEndAsync(order);
            Assert.NotNull(ended.Report);
            Assert.DoesNotContain($"order {order}: order taken", tee.Log[from..]);
            // Killed after its solution finished, it may have been Done already (upload and finish take milliseconds).
            if (point == "uploading" && ended.Status == OrderStatus.Done) continue;
            Assert.True(ended.Status == OrderStatus.Error, $"killed at '{point}': {ended.Status} {ended.StatusMessage}");
            Assert.Equal(OrderExecutor.RestartedMessage, ended.StatusMessage);
            // The restarted loader ended it without running it again.
            await tee.WaitForLogAsync($"order {order}: ending with Error", from);
        }

        // Killed orders stay ended; the restarted loader serves a new order normally.
        var text = "hello after the crashes\n";
        var fresh = await f.Net.RunOrderAsync(tee.OfferId, f.Runner, await f.Net.UploadTextAsync("scenario.sh", "cat /sp/inputs/input-0001/scenario.sh | wc -c > /sp/output/n.txt\n" + "#" + text));
        var done = await f.Net.WaitForEndAsync(fresh);
        Assert.True(done.Status == OrderStatus.Done, $"{done.Status} {done.StatusMessage}");
        foreach (var id in killed) Assert.Contains((await f.Net.Client.GetOrderAsync(id))!.Order.Status, new[] { OrderStatus.Done, OrderStatus.Error });
        for (var i = 0; i < 100 && Directory.GetFileSystemEntries(tee.ScratchRoot).Length > 0; i++) await Task.Delay(50);
        Assert.Empty(Directory.GetFileSystemEntries(tee.ScratchRoot));
    }

    [Fact]
    public async Task Sp_tee_killed_in_the_middle_of_a_dataset_download_or_a_result_upload_ends_the_order_and_leaves_nothing_behind()
    {
        using var tee = new TeeProcess(f.Net, Path.Combine(f.Work, "tee-kill-transfer"));
        var from = await tee.StartAsync();
        var loaderId = Path.GetFileName(tee.ScratchRoot);

        // 1. A 320 MiB dataset: killed just after the solution's hash checked out, while the dataset streams in.
        var datasetDir = Directory.CreateDirectory(Path.Combine(f.Work, "big-dataset")).FullName;
        await File.WriteAllTextAsync(Path.Combine(datasetDir, "scenario.sh"), "echo never runs\n");
        await using (var big = File.Create(Path.Combine(datasetDir, "blob.bin")))
        {
            var chunk = new byte[1 << 20];
            for (var i = 0; i < 320; i++) { RandomNumberGenerator.Fill(chunk); await big.WriteAsync(chunk); }
        }
        var downloading = await f.Net.RunOrderAsync(tee.OfferId, f.Runner, await f.Net.UploadAsync(datasetDir));
        await tee.WaitForLogAsync($"order {downloading}: solution image loaded", from);
        tee.Kill();
        Assert.DoesNotContain($"order {downloading}: dataset of sub-order", tee.Log[from..]); // the kill came before the dataset was whole
        Assert.NotEmpty(Directory.GetFileSystemEntries(tee.ScratchRoot)); // part of it, decrypted, left behind by the kill

        from = await tee.StartAsync();
        Assert.Empty(Directory.GetFileSystemEntries(tee.ScratchRoot));
        var ended = await f.Net.WaitForEndAsync(downloading);
        Assert.Equal(OrderStatus.Error, ended.Status);
        Assert.Equal(OrderExecutor.RestartedMessage, ended.StatusMessage);

        // 2. A solution that leaves 160 MiB in /sp/output: killed once it finished, while its result is archived,
        //    encrypted and uploaded.
        var scenario = "head -c 167772160 /dev/urandom > /sp/output/big.bin\necho wrote\n";
        var uploading = await f.Net.RunOrderAsync(tee.OfferId, f.Runner, await f.Net.UploadTextAsync("scenario.sh", scenario));
        await tee.WaitForLogAsync($"order {uploading}: solution finished", from);
        tee.Kill();
        Assert.DoesNotContain($"order {uploading}: finished:", tee.Log[from..]); // the kill came before the result was up
        Assert.NotEmpty(Directory.GetFileSystemEntries(tee.ScratchRoot));

        from = await tee.StartAsync();
        Assert.Empty(Directory.GetFileSystemEntries(tee.ScratchRoot));
        Assert.Empty(await ContainersOf(loaderId));
        var ended2 = await f.Net.WaitForEndAsync(uploading);
        Assert.Equal(OrderStatus.Error, ended2.Status);
        Assert.Equal(OrderExecutor.RestartedMessage, ended2.StatusMessage);
        Assert.NotNull(ended2.Report); // the report was published before the run, once
        await tee.WaitForLogAsync($"order {uploading}: ending with Error", from);
    }

    [Fact]
    public async Task An_order_placed_before_a_restart_ends_Error_because_its_solution_was_sealed_to_the_old_key()
    {
        using var tee = new TeeProcess(f.Net, Path.Combine(f.Work, "tee-old-key"));
        await tee.StartAsync();
        var (order, subs) = await f.Net.PlaceOrderAsync(tee.OfferId, f.Runner);
        tee.Kill();
        await tee.StartAsync();
        // Bob releases his data to the TEE's current (new) key; Alice's solution is sealed to the old one.
        await f.Net.ReleaseDataAsync(subs[0], await f.Net.UploadTextAsync("scenario.sh", "echo never\n"), f.Runner.Hash.Value.ToLowerInvariant());

        var ended = await f.Net.WaitForEndAsync(order);
        Assert.Equal(OrderStatus.Error, ended.Status);
        Assert.StartsWith("the solution is not sealed to this TEE's current key", ended.StatusMessage);
        // Its result key was checked against Alice's signed workflow.create in the log: she still gets the log of why.
        Assert.Contains("the solution is not sealed to this TEE's current key", TestNetwork.Text(await f.Net.ResultAsync(ended), "log.txt"));
    }

    [Fact]
    public async Task Sp_node_killed_and_restarted_during_orders_the_loader_retries_and_carries_on()
    {
        using var tee = new TeeProcess(f.Net, Path.Combine(f.Work, "tee-node-kill"));
        var from = await tee.StartAsync();

        // 1. Killed while the solution runs: the loader's upload, finish (and polls) wait for the node to come back.
        var text = "data for the node-kill test " + Guid.NewGuid();
        var scenario = $"sleep 3\nsha256sum /sp/inputs/input-0001/scenario.sh | cut -d' ' -f1 > /sp/output/digest.txt\n# {text}\n";
        var order = await f.Net.RunOrderAsync(tee.OfferId, f.Runner, await f.Net.UploadTextAsync("scenario.sh", scenario));
        await tee.WaitForLogAsync($"order {order}: image", from);
        f.Net.KillNode();
        await Task.Delay(TimeSpan.FromSeconds(5)); // the solution ends while the node is down
        await f.Net.StartNodeAsync();
        var ended = await f.Net.WaitForEndAsync(order);
        Assert.True(ended.Status == OrderStatus.Done, $"{ended.Status} {ended.StatusMessage}");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scenario))) + "\n",
            TestNetwork.Text(await f.Net.ResultAsync(ended), "output/digest.txt"));
        Assert.Contains("node unreachable", tee.Log[from..]);

        // 2. Killed while idle: the loader keeps polling and serves the next order once the node is back.
        f.Net.KillNode();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await f.Net.StartNodeAsync();
        var next = await f.Net.RunOrderAsync(tee.OfferId, f.Runner, await f.Net.UploadTextAsync("scenario.sh", "echo fine > /sp/output/ok.txt\n"));
        Assert.Equal(OrderStatus.Done, (await f.Net.WaitForEndAsync(next)).Status);
        Assert.True(tee.Alive, "sp-tee exited while the node was down:\n" + tee.Log);
    }
}
