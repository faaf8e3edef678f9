using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Sp.Core.Model;
using Sp.Core;
using Sp.Tee.Loader;

namespace Sp.Tee.Tests.Loader;

[Collection(LoaderCollection.Name)]
public sealed partial class ConcurrencyTests(LoaderFixture f)
{
    [Fact]
    public async Task Eight_orders_on_a_loader_sized_for_two_all_end_Done_with_their_own_results()
    {
        await using var loader = await InProcessLoader.StartAsync(f.Net, Path.Combine(f.Work, "tee-concurrency"), c => c with { MaxConcurrentOrders = 2 });
        Assert.Equal(2, loader.Node.Capacity);

        // Eight datasets, each its own content; all orders are placed and released before the loader can finish one.
        var contents = Enumerable.Range(1, 8).Select(i => $"order {i}: {Guid.NewGuid()}\n" + new string((char)('a' + i), 1000 * i)).ToList();
        var datasets = new List<ResourceFile>();
        foreach (var c in contents) datasets.Add(await f.Net.UploadTextAsync("data.txt", c));
        var placed = new List<(long Order, long Sub)>();
        foreach (var _ in contents)
        {
            var (order, subs) = await f.Net.PlaceOrderAsync(loader.OfferId, f.Digest);
            placed.Add((order, subs[0]));
        }
        for (var i = 0; i < placed.Count; i++)
            await f.Net.ReleaseDataAsync(placed[i].Sub, datasets[i], f.Digest.Hash.Value.ToLowerInvariant());

        var runs = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        for (var i = 0; i < placed.Count; i++)
        {
            var order = await f.Net.WaitForEndAsync(placed[i].Order, TimeSpan.FromSeconds(120));
            Assert.True(order.Status == OrderStatus.Done, $"order {order.Id}: {order.Status} {order.StatusMessage}");
            var result = await f.Net.ResultAsync(order);
            var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(contents[i])));
            Assert.Equal(expected + "\n", TestNetwork.Text(result, "output/digest.txt"));
            var ran = ContainerRan().Match(TestNetwork.Text(result, "log.txt"));
            Assert.True(ran.Success, "the loader notes when the container ran");
            runs.Add((Parse(ran.Groups[1].Value), Parse(ran.Groups[2].Value)));
        }

        // Never more than two at once, and two did run at once.
        Assert.Equal(2, loader.Node.PeakConcurrency);
        var most = runs.Max(r => runs.Count(o => o.Start <= r.Start && r.Start < o.End)); // containers running when each one started
        Assert.InRange(most, 2, 2);
        // First come, first served: the i-th order's container starts no later than the (i+2)-th's.
        for (var i = 0; i + 2 < runs.Count; i++) Assert.True(runs[i].Start <= runs[i + 2].Start, $"order {i} started after order {i + 2}");
        await loader.AssertScratchEmptiesAsync();
    }

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [GeneratedRegex(@"container ran from (\S+) to (\S+) ")]
    private static partial Regex ContainerRan();
}

public sealed class LoaderUnitTests
{
    [Fact]
    public void Only_an_unreachable_node_is_transient_never_a_refusal_or_an_integrity_failure_whatever_its_words()
    {
        Assert.True(NodeCalls.IsTransient(new NodeUnreachableError("connection refused"), default));
        Assert.True(NodeCalls.IsTransient(new HttpRequestException("reset"), default));
        // A refusal that happens to read like an outage is still a refusal.
        Assert.False(NodeCalls.IsTransient(new NodeRefusedError(System.Net.HttpStatusCode.BadRequest, "cannot reach an agreement: order 5 is Done"), default));
        Assert.False(NodeCalls.IsTransient(new LogIntegrityError("cannot reach a consistent log: a fork"), default));
        Assert.False(NodeCalls.IsTransient(new TaskCanceledException(), new CancellationToken(canceled: true)));
    }

    [Theory]
    [InlineData(0, 2, 8L << 30, 1L << 30, 2)]   // 2 cores, plenty of memory: one per core
    [InlineData(0, 16, 4L << 30, 1L << 30, 4)]  // memory bounds it
    [InlineData(0, 4, 512L << 20, 1L << 30, 1)] // at least one
    [InlineData(3, 16, 64L << 30, 1L << 30, 3)] // configured
    [InlineData(0, 0, 0, 1L << 30, TeeConfig.DefaultCapacity)]
    public void Capacity_is_configured_or_derived_from_cores_and_memory(int configured, int cores, long memory, long perOrder, int expected)
    {
        var config = new TeeConfig { NodeUrl = "http://x", Network = "n", AccountPrivateKey = "k", MaxConcurrentOrders = configured, MemoryBytes = perOrder };
        Assert.Equal(expected, config.Capacity(cores, memory));
    }

    [Fact]
    public void Validate_names_the_field_and_value()
    {
        var config = new TeeConfig { NodeUrl = "http://x", Network = "n", AccountPrivateKey = "k", OutputLimitBytes = 0 };
        var e = Assert.Throws<InvalidDataException>(config.Validate);
        Assert.Equal("tee.json: outputLimitBytes: expected > 0, got 0", e.Message);
    }

    [Fact]
    public void Order_limits_come_from_the_slot_where_it_says_else_from_the_config()
    {
        var config = new TeeConfig { NodeUrl = "http://x", Network = "n", AccountPrivateKey = "k", OrderTimeLimitSeconds = 600, MemoryBytes = 1L << 30, OutputLimitBytes = 1L << 30 };
        Assert.Equal(new OrderLimits(TimeSpan.FromSeconds(600), 1L << 30, null, 1L << 30), OrderLimits.For(config, null));
        var slot = new SlotInfo
        {
            Info = new SlotResources { CpuCores = 2, Ram = 256L << 20, DiskUsage = 10L << 20 },
            Usage = new SlotUsage { MaxTimeMinutes = 2 },
            Option = new SlotOption(),
        };
        Assert.Equal(new OrderLimits(TimeSpan.FromMinutes(2), 256L << 20, 2_000_000_000, 10L << 20), OrderLimits.For(config, slot));
        // A slot's disk above the loader's output ceiling is capped by it (the output lives in memory).
        var big = slot with { Info = slot.Info with { DiskUsage = 100L << 30 } };
        Assert.Equal(1L << 30, OrderLimits.For(config, big).OutputLimitBytes);
    }

    [Theory]
    [InlineData("max 0\n", 0)]
    [InlineData("max 29\n", 29)]
    [InlineData("", 0)]
    [InlineData("other 3\nmax 7\n", 7)]
    public void Pids_events_max_is_read(string text, long expected) =>
        Assert.Equal(expected, Sp.Tee.Runtime.Docker.DockerRuntime.ReadPidsMaxEvents(text));

    [Theory]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3)]                           // cgroup v1 memory.oom_control
    [InlineData("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n", 1)]           // cgroup v2 memory.events
    [InlineData("oom_kill_disable 0\nunder_oom 0\n", 0)]                                        // a kernel before 4.13: no count
    public void Oom_kill_count_is_read(string text, long expected) =>
        Assert.Equal(expected, Sp.Tee.Runtime.Docker.DockerRuntime.ReadOomKills(text));

    [Fact]
    public void Scratch_space_clean_unmounts_and_removes_leftovers()
    {
        var root = Path.Combine("/dev/shm", "sp-tee-scratch-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var scratch = new ScratchSpace(root);
            Assert.True(scratch.RootIsMemoryBacked);
            var a = scratch.Create(1, 1 << 20);
            var b = scratch.Create(2, 1 << 20);
            File.WriteAllText(Path.Combine(a.Path, "secret"), "decrypted");
            Assert.True(a.OutputLimitEnforced);
            File.WriteAllBytes(Path.Combine(b.Output, "x"), new byte[4096]);
            Assert.False(b.OutputLimitReached());
            Assert.Throws<IOException>(() => File.WriteAllBytes(Path.Combine(b.Output, "big"), new byte[2 << 20]));
            Assert.True(b.OutputLimitReached());

            // A new loader (after a kill) finds both order folders and their mounts, and removes them.
            Assert.Equal(2, new ScratchSpace(root).Clean());
            Assert.Empty(Directory.GetFileSystemEntries(root));
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(root + "/", StringComparison.Ordinal));
        }
        finally
        {
            ScratchSpace.UnmountBelow(root);
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>Another loader of the same engine removes the (identical) image just before our container is created.</summary>
internal sealed class ImageRemovedBeforeFirstRun(Sp.Tee.Runtime.IContainerRuntime inner) : Sp.Tee.Runtime.IContainerRuntime
{
    private int _runs;

    public int Runs => _runs;

    public Task<Sp.Tee.Runtime.LoadedImage> LoadImageAsync(string imageArchivePath, long maxDiskBytes, CancellationToken ct) =>
        inner.LoadImageAsync(imageArchivePath, maxDiskBytes, ct);

    public async Task<Sp.Tee.Runtime.ContainerOutcome> RunAsync(Sp.Tee.Runtime.LoadedImage image, Sp.Tee.Runtime.ContainerSpec spec, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _runs) == 1) await inner.RemoveImageAsync(image, ct);
        return await inner.RunAsync(image, spec, ct);
    }

    public Task RemoveImageAsync(Sp.Tee.Runtime.LoadedImage image, CancellationToken ct) => inner.RemoveImageAsync(image, ct);

    public Task<int> RemoveContainersAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct) => inner.RemoveContainersAsync(labels, ct);
}

[Collection(LoaderCollection.Name)]
public sealed class SharedEngineTests(LoaderFixture f)
{
    [Fact]
    public async Task An_image_removed_by_another_loader_before_the_container_starts_is_loaded_again()
    {
        ImageRemovedBeforeFirstRun? runtime = null;
        await using var loader = await InProcessLoader.StartAsync(f.Net, Path.Combine(f.Work, "tee-shared-engine"),
            wrap: inner => runtime = new ImageRemovedBeforeFirstRun(inner));
        var data = await f.Net.UploadTextAsync("data.txt", "shared engine\n");

        var order = await f.Net.WaitForEndAsync(await f.Net.RunOrderAsync(loader.OfferId, f.Digest, data));

        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
        Assert.Equal(2, runtime!.Runs);
        var result = await f.Net.ResultAsync(order);
        Assert.Contains("was removed from the engine before the container started; loading it again", TestNetwork.Text(result, "log.txt"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("shared engine\n"u8)) + "\n", TestNetwork.Text(result, "output/digest.txt"));
    }
}

public sealed class OrderAdmissionTests
{
    [Fact]
    public void Orders_start_while_the_count_the_cores_and_the_memory_of_their_slots_fit()
    {
        var admission = new OrderAdmission(capacity: 3, totalCores: 4, totalMemoryBytes: 8L << 30);
        Assert.True(admission.TryAdmit(1, cores: 2, memoryBytes: 2L << 30));
        Assert.False(admission.TryAdmit(2, cores: 3, memoryBytes: 1L << 30));  // 5 cores of 4
        Assert.False(admission.TryAdmit(3, cores: 1, memoryBytes: 7L << 30));  // 9 GiB of 8
        Assert.True(admission.TryAdmit(4, cores: 2, memoryBytes: 2L << 30));   // 4 cores of 4
        Assert.True(admission.TryAdmit(5, cores: 0, memoryBytes: 1L << 20));   // a slot that names no cores counts none
        Assert.Equal(3, admission.Running);
        Assert.False(admission.TryAdmit(6, cores: 0, memoryBytes: 1));         // the count: 3 at once
        admission.Release(1);
        Assert.True(admission.TryAdmit(2, cores: 2, memoryBytes: 1L << 30));   // 2 cores free again
        Assert.True(admission.TryAdmit(2, cores: 2, memoryBytes: 1L << 30));   // already admitted: idempotent
        Assert.Equal(3, admission.Running);
    }

    [Fact]
    public void An_order_larger_than_the_machine_runs_alone()
    {
        var admission = new OrderAdmission(capacity: 2, totalCores: 2, totalMemoryBytes: 1L << 30);
        Assert.True(admission.TryAdmit(1, cores: 16, memoryBytes: 64L << 30));
        Assert.False(admission.TryAdmit(2, cores: 1, memoryBytes: 1));
        admission.Release(1);
        Assert.True(admission.TryAdmit(2, cores: 1, memoryBytes: 1));
    }
}
