using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Tee.Loader;
using Sp.Tee.Runtime;
using Sp.Tee.Runtime.Docker;
using Sp.Tee.Tests.Runtime;

namespace Sp.Tee.Tests.Loader;

/// <summary>Registry-free solution images (FROM scratch + static busybox), saved with `docker save | gzip`.</summary>
internal static class SolutionImages
{
    /// <summary>Runs the scenario script that its first dataset holds (each hostile behaviour is one dataset).</summary>
    public const string RunnerEntry = "#!/bin/sh\nexec /bin/sh /sp/inputs/input-0001/scenario.sh\n";

    /// <summary>Writes the SHA-256 of each input file to /sp/output/digest.txt, after a second (so runs overlap).</summary>
    public const string DigestEntry = "#!/bin/sh\nset -e\nsleep 1\nfor f in /sp/inputs/*/*; do sha256sum \"$f\" | cut -d' ' -f1; done > /sp/output/digest.txt\necho digested\n";

    /// <param name="dockerfileLines">Extra Dockerfile lines (e.g. "USER 0", "VOLUME /data") before the ENTRYPOINT.</param>
    /// <param name="tag">The name it is built and saved under (the archive's RepoTags); a random one by default.</param>
    /// <param name="keepOnHost">Leave the image (and its tag) in the engine instead of removing it after the save.</param>
    public static async Task<string> BuildAsync(string workDir, string name, string entry, string dockerfileLines = "", string? tag = null, bool keepOnHost = false)
    {
        var context = Directory.CreateDirectory(Path.Combine(workDir, "img-" + name)).FullName;
        File.Copy("/bin/busybox", Path.Combine(context, "busybox"), overwrite: true);
        var entryPath = Path.Combine(context, "entry.sh");
        await File.WriteAllTextAsync(entryPath, entry);
        File.SetUnixFileMode(entryPath, (UnixFileMode)0x1ED);
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCOPY entry.sh /entry.sh\n"
            + (dockerfileLines.Length == 0 ? "" : dockerfileLines.TrimEnd('\n') + "\n")
            + "ENTRYPOINT [\"/entry.sh\"]\n"
            // Its own image id: fixtures running side by side must not load, share and remove one image.
            + $"LABEL sp.test.build={Guid.NewGuid():N}\n");
        tag ??= $"sp-tee-loader-test-{name}:{Guid.NewGuid().ToString("N")[..8]}";
        var archive = Path.Combine(workDir, name + ".tar.gz");
        var r = await ProcessRunner.BashAsync(
            $"docker build -q -t {tag} {context} >/dev/null; docker save {tag} | gzip > {archive}" + (keepOnHost ? "" : $"; docker rmi -f {tag} >/dev/null"),
            TimeSpan.FromSeconds(120), new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });
        Assert.True(r.ExitCode == 0, r.Describe($"building solution image {name}"));
        return archive;
    }
}

/// <summary>An sp-tee loader run in this process against a <see cref="TestNetwork"/>.</summary>
internal sealed class InProcessLoader : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly DockerRuntime _runtime;

    private InProcessLoader(TeeConfig config, string dir, Func<IContainerRuntime, IContainerRuntime>? wrap)
    {
        Config = config;
        _runtime = new DockerRuntime();
        Node = new TeeNode(config, dir, wrap?.Invoke(_runtime) ?? _runtime, TimeProvider.System);
    }

    public TeeConfig Config { get; }
    public TeeNode Node { get; }
    public Task Running { get; private set; } = Task.CompletedTask;
    public long OfferId => Node.OfferId;
    public string WorkDir => Config.WorkDir!;

    public static async Task<InProcessLoader> StartAsync(TestNetwork net, string dir, Func<TeeConfig, TeeConfig>? tune = null,
        Func<IContainerRuntime, IContainerRuntime>? wrap = null)
    {
        Directory.CreateDirectory(dir);
        using var key = AccountKey.Generate();
        var config = new TeeConfig
        {
            NodeUrl = net.Url,
            Network = TestNetwork.Network,
            AccountPrivateKey = key.ExportHex(),
            SimPlatformKey = net.SimPlatformKey,
            LogKey = net.LogKey,
            WorkDir = Path.Combine("/dev/shm", "sp-tee-tests-" + Guid.NewGuid().ToString("N")[..8]),
            PollSeconds = 0.1,
        };
        config = tune?.Invoke(config) ?? config;
        var loader = new InProcessLoader(config, dir, wrap);
        try
        {
            await loader.Node.StartAsync(loader._cts.Token);
        }
        catch
        {
            await loader.DisposeAsync();
            throw;
        }
        loader.Running = Task.Run(() => loader.Node.RunAsync(loader._cts.Token));
        return loader;
    }

    /// <summary>What is left in the loader's scratch folder (nothing, between orders).</summary>
    public string[] ScratchEntries() => Directory.GetFileSystemEntries(Node.ScratchRoot);

    /// <summary>Waits until the scratch folder is empty (an order's folder is removed just after its finish).</summary>
    public async Task AssertScratchEmptiesAsync()
    {
        for (var i = 0; i < 100 && ScratchEntries().Length > 0; i++) await Task.Delay(50);
        Assert.Empty(ScratchEntries());
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(Node.ScratchRoot + "/", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        try { await Running; } catch (OperationCanceledException) { }
        Node.Dispose();
        _runtime.Dispose();
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One sp-node process with Bob's data offer, the solution images, and one loader sized for 2 orders at once.</summary>
public sealed class LoaderFixture : IAsyncLifetime
{
    public string Work { get; } = Directory.CreateTempSubdirectory("sp-tee-loader-tests-").FullName;
    internal TestNetwork Net { get; private set; } = null!;
    internal InProcessLoader Loader { get; private set; } = null!;
    internal string RunnerArchive { get; private set; } = null!;
    internal string DigestArchive { get; private set; } = null!;
    internal ResourceFile Runner { get; private set; } = null!;
    internal ResourceFile Digest { get; private set; } = null!;

    public const int TimeLimitSeconds = 5;
    public const long MemoryBytes = 128L << 20;
    /// <summary>The order's disk: the ~2 MiB busybox images (unpacked) fit it, and the output is this big at most.</summary>
    public const long OutputLimitBytes = 16L << 20;
    public const long LogCapBytes = 64L << 10;
    public const long LogLimitBytes = 4L << 20;
    public const long PidsLimit = 64;

    public async Task InitializeAsync()
    {
        await DockerFixture.EnsureDockerAsync();
        Net = await TestNetwork.StartAsync(Work);
        RunnerArchive = await SolutionImages.BuildAsync(Work, "runner", SolutionImages.RunnerEntry);
        DigestArchive = await SolutionImages.BuildAsync(Work, "digest", SolutionImages.DigestEntry);
        Runner = await Net.UploadAsync(RunnerArchive);
        Digest = await Net.UploadAsync(DigestArchive);
        Loader = await InProcessLoader.StartAsync(Net, Path.Combine(Work, "tee"), c => c with
        {
            OrderTimeLimitSeconds = TimeLimitSeconds,
            MemoryBytes = MemoryBytes,
            OutputLimitBytes = OutputLimitBytes,
            LogCapBytes = LogCapBytes,
            LogLimitBytes = LogLimitBytes,
            PidsLimit = PidsLimit,
            MaxConcurrentOrders = 2,
        });
    }

    public async Task DisposeAsync()
    {
        if (Loader is not null) await Loader.DisposeAsync();
        if (Net is not null) await Net.DisposeAsync();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class LoaderCollection : ICollectionFixture<LoaderFixture>
{
    public const string Name = "loader";
}
