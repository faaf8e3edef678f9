using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Sp.Tee.Runtime.Docker;

/// <summary>
/// Runs solution images in a locked-down Docker container through the Engine API (pinned to API 1.41):
/// no network, read-only root filesystem with a small /tmp tmpfs, all capabilities dropped, no-new-privileges,
/// pids/memory/CPU limits, unprivileged numeric user, read-only inputs and certificates, one writable output directory,
/// all three owned by the container's user alone on the host.
/// Images are referred to by id only, never by tag, so a shared daemon cannot swap them.
/// The engine client's exceptions do not leave this class: each public call turns them into
/// <see cref="ContainerRuntimeException"/> or <see cref="ImageNotFoundException"/>, with the same message.
/// </summary>
public sealed partial class DockerRuntime : IContainerRuntime, IDisposable
{
    internal const string DefaultEndpoint = "unix:///var/run/docker.sock";
    internal const string DockerHostVariable = "DOCKER_HOST";
    internal static readonly System.Version ApiVersion = new(1, 41);

    internal const string InputsMountRoot = "/sp/inputs";
    internal const string OutputMountPath = "/sp/output";
    internal const string CertsMountPath = "/sp/certs";
    internal const string TmpMountPath = "/tmp";
    internal const string TmpMountOptions = "rw,nosuid,nodev,size=64m,mode=1777";
    internal const string DefaultNamePrefix = "sp-run";
    internal const string RoleLabel = "sp.tee.role";
    internal const long MaxLogCapBytes = 1L << 30;
    private const int LogReadBufferBytes = 64 * 1024;
    /// <summary>How much of the rewritten archive may wait in memory for the engine to read it.</summary>
    private const long LoadPipeBytes = 1L << 20;
    private const string Sha256Prefix = "sha256:";
    private static readonly TimeSpan ExitGracePeriod = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LogDrainGracePeriod = TimeSpan.FromSeconds(10);

    private readonly DockerClientConfiguration _configuration;
    private readonly DockerClient _client;

    /// <param name="endpoint">Engine endpoint; defaults to $DOCKER_HOST, else unix:///var/run/docker.sock.</param>
    public DockerRuntime(Uri? endpoint = null)
    {
        endpoint ??= DefaultEndpointUri();
        // Infinite default timeout: image loads can be slow; every call carries a CancellationToken instead.
        _configuration = new DockerClientConfiguration(endpoint, credentials: null, defaultTimeout: Timeout.InfiniteTimeSpan);
        _client = _configuration.CreateClient(ApiVersion);
    }

    internal static Uri DefaultEndpointUri()
    {
        var host = Environment.GetEnvironmentVariable(DockerHostVariable);
        return new Uri(string.IsNullOrWhiteSpace(host) ? DefaultEndpoint : host.Trim());
    }

    public void Dispose()
    {
        _client.Dispose();
        _configuration.Dispose();
    }

    public async Task<LoadedImage> LoadImageAsync(string imageArchivePath, long maxDiskBytes, CancellationToken ct)
    {
        try { return await LoadImageCoreAsync(imageArchivePath, maxDiskBytes, ct).ConfigureAwait(false); }
        catch (DockerApiException e) { throw Translated(e); }
    }

    public async Task RemoveImageAsync(LoadedImage image, CancellationToken ct)
    {
        try { await RemoveImageCoreAsync(image, ct).ConfigureAwait(false); }
        catch (DockerApiException e) { throw Translated(e); }
    }

    public async Task<int> RemoveContainersAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        try { return await RemoveContainersCoreAsync(labels, ct).ConfigureAwait(false); }
        catch (DockerApiException e) { throw Translated(e); }
    }

    public async Task<ContainerOutcome> RunAsync(LoadedImage image, ContainerSpec spec, CancellationToken ct)
    {
        try { return await RunCoreAsync(image, spec, ct).ConfigureAwait(false); }
        catch (DockerApiException e) { throw Translated(e); }
    }

    /// <summary>The runtime's own exception for one of Docker.DotNet's (same message; the original as the inner one).</summary>
    private static ContainerRuntimeException Translated(DockerApiException e) => e is DockerImageNotFoundException
        ? new ImageNotFoundException(e.Message, e)
        : new ContainerRuntimeException(e.Message, e);

    private async Task<LoadedImage> LoadImageCoreAsync(string imageArchivePath, long maxDiskBytes, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageArchivePath);
        if (!File.Exists(imageArchivePath))
            throw new FileNotFoundException($"image archive '{imageArchivePath}' does not exist", imageArchivePath);

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDiskBytes);
        // Measured (and refused) through the tar headers before docker load reads or unpacks anything.
        var manifest = await ImageArchive.ReadAsync(imageArchivePath, maxDiskBytes, ct).ConfigureAwait(false);

        // The engine has it already (e.g. a host image identical to the upload): use it as it is, never remove it.
        if (await ImageExistsAsync(manifest.ImageId, ct).ConfigureAwait(false))
            return new LoadedImage(manifest.ImageId) { WasAlreadyPresent = true };

        await LoadUntaggedAsync(imageArchivePath, ct).ConfigureAwait(false);

        ImageInspectResponse inspected;
        try
        {
            inspected = await _client.Images.InspectImageAsync(manifest.ImageId, ct).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException e)
        {
            throw new InvalidOperationException(
                $"image archive '{imageArchivePath}' was loaded but image {manifest.ImageId} (its config digest) is not in the engine", e);
        }
        if (!string.Equals(inspected.ID, manifest.ImageId, StringComparison.Ordinal))
            throw new InvalidOperationException(
                $"image archive '{imageArchivePath}': engine reports id {inspected.ID} for {manifest.ImageId}; expected them equal");

        return new LoadedImage(manifest.ImageId);
    }

    private async Task<bool> ImageExistsAsync(string imageId, CancellationToken ct)
    {
        try
        {
            await _client.Images.InspectImageAsync(imageId, ct).ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// `docker load` of the archive without its names (see <see cref="ImageArchive.WriteUntaggedAsync"/>): an
    /// archive's RepoTags and `repositories` would otherwise move the host's own tags onto the upload. Streamed
    /// through a pipe, the rewritten archive never exists whole.
    /// </summary>
    private async Task LoadUntaggedAsync(string imageArchivePath, CancellationToken ct)
    {
        var errors = new List<string>();
        var progress = new SynchronousProgress<JSONMessage>(message =>
        {
            var error = message.Error?.Message ?? message.ErrorMessage;
            if (!string.IsNullOrEmpty(error)) lock (errors) errors.Add(error);
        });
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: LoadPipeBytes, resumeWriterThreshold: LoadPipeBytes / 2));
        using var produceCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? producerError = null;
        var produce = Task.Run(async () =>
        {
            try
            {
                await using (var into = pipe.Writer.AsStream(leaveOpen: true))
                    await ImageArchive.WriteUntaggedAsync(imageArchivePath, into, produceCts.Token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                producerError = e;
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
            }
        }, CancellationToken.None);

        Exception? loadError = null;
        try
        {
            await using var body = pipe.Reader.AsStream();
            await _client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, body, progress, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            loadError = e;
        }
        finally
        {
            // Docker stopped reading (done or failed): the producer stops too.
            await produceCts.CancelAsync().ConfigureAwait(false);
            await produce.ConfigureAwait(false);
        }
        // What was wrong with the archive explains a failed load better than the broken stream Docker saw.
        if (producerError is not null and not OperationCanceledException) ExceptionDispatchInfo.Throw(producerError);
        if (loadError is not null) ExceptionDispatchInfo.Throw(loadError);
        if (errors.Count > 0)
            throw new InvalidOperationException($"docker refused image archive '{imageArchivePath}': {string.Join("; ", errors)}");
    }

    private async Task RemoveImageCoreAsync(LoadedImage image, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        RequireImageId(image);
        try
        {
            await _client.Images.DeleteImageAsync(image.ImageId, new ImageDeleteParameters { Force = true }, ct).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            // Already gone: removing is idempotent.
        }
    }

    private async Task<int> RemoveContainersCoreAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("labels: expected at least one label to select containers by, got none", nameof(labels));
        var filter = labels.ToDictionary(l => $"{l.Key}={l.Value}", _ => true);
        var containers = await _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = filter },
        }, ct).ConfigureAwait(false);
        foreach (var c in containers) await RemoveContainerQuietlyAsync(c.ID).ConfigureAwait(false);
        return containers.Count;
    }

    private async Task<ContainerOutcome> RunCoreAsync(LoadedImage image, ContainerSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(spec);
        RequireImageId(image);
        var mounts = BuildMounts(spec);
        ValidateLimits(spec);

        var imageInfo = await _client.Images.InspectImageAsync(image.ImageId, ct).ConfigureAwait(false);
        // Numeric and never root (refused with the reason otherwise): see ContainerUser.
        var user = ContainerUser.FromImageUser(imageInfo.Config?.User);
        // Docker would create a volume on the host's disk for each, beyond the order's limits and the scratch's clean-up.
        if (imageInfo.Config?.Volumes is { Count: > 0 } volumes)
            throw new ImageRefusedException($"the image declares VOLUME {string.Join(", ", volumes.Keys.Order(StringComparer.Ordinal))}: " +
                                            "Docker would keep it on the host's disk, outside the order's limits; write to /sp/output or /tmp instead");

        // The container's user, and no other user of the host, reads the inputs and certificates and writes the output.
        foreach (var input in spec.InputDirectories) FolderAccess.GiveReadOnly(Path.GetFullPath(input), user);
        FolderAccess.GiveReadOnly(Path.GetFullPath(spec.CertsDirectory), user);
        FolderAccess.GiveWritable(Path.GetFullPath(spec.OutputDirectory), user);

        var created = await _client.Containers.CreateContainerAsync(BuildCreateParameters(image, spec, mounts, user.DockerUser), ct).ConfigureAwait(false);
        var containerId = created.ID;
        ContainerOutcome outcome;
        try
        {
            outcome = await RunCreatedAsync(containerId, spec, ct).ConfigureAwait(false);
        }
        finally
        {
            await RemoveContainerQuietlyAsync(containerId).ConfigureAwait(false);
        }
        return LeaveOutSpecialFiles(outcome, Path.GetFullPath(spec.OutputDirectory));
    }

    /// <summary>Names at most this many left-out entries in the log (a solution may leave millions).</summary>
    private const int MaxLeftOutNamed = 20;

    /// <summary>
    /// Only regular files and directories of the output reach the result: a FIFO would block whoever opens it, a
    /// symbolic link points out of the output, a socket or a device is no result. They are removed (never opened)
    /// once the container is gone (nothing writes there any more), and the log says which.
    /// </summary>
    private static ContainerOutcome LeaveOutSpecialFiles(ContainerOutcome outcome, string output)
    {
        var removed = FolderAccess.RemoveSpecialEntries(output);
        if (removed.Count == 0) return outcome;
        var named = string.Join(", ", removed.Take(MaxLeftOutNamed)) + (removed.Count > MaxLeftOutNamed ? $" and {removed.Count - MaxLeftOutNamed} more" : "");
        var separator = outcome.Log.Length == 0 || outcome.Log.EndsWith('\n') ? "" : "\n";
        var note = $"[sp-tee: left out of the result (only regular files and directories of /sp/output are kept): {named}]\n";
        return outcome with { Log = outcome.Log + separator + note, LeftOutOfOutput = removed };
    }

    private async Task<ContainerOutcome> RunCreatedAsync(string containerId, ContainerSpec spec, CancellationToken ct)
    {
        var log = new BoundedLog(spec.LogCapBytes);
        using var stream = await _client.Containers.AttachContainerAsync(containerId, tty: false,
            new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, ct).ConfigureAwait(false);

        // A limit hit while running (log volume, process count) stops the wait below and names the reason.
        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        string? limitReason = null;
        void Stop(string reason)
        {
            if (Interlocked.CompareExchange(ref limitReason, reason, null) is null) stopCts.Cancel();
        }

        using var drainCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var drain = DrainAsync(stream, log, spec.LogLimitBytes, Stop, drainCts.Token);

        await _client.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), ct).ConfigureAwait(false);

        using var monitorCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var oomKills = new OomKillCount();
        var monitor = WatchCgroupAsync(containerId, spec.PidsLimit, Stop, oomKills, monitorCts.Token);
        string? requestedStop = null;
        var watch = spec.StopWhen is { } stopWhen ? WatchAsync() : Task.CompletedTask;
        async Task WatchAsync()
        {
            var why = await stopWhen(monitorCts.Token).ConfigureAwait(false);
            requestedStop = why;
            Stop(why);
        }

        var stopped = false;
        stopCts.CancelAfter(spec.TimeLimit);
        try
        {
            await _client.Containers.WaitContainerAsync(containerId, stopCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            stopped = true;
        }
        await monitorCts.CancelAsync().ConfigureAwait(false);
        try { await monitor.ConfigureAwait(false); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* stopped with the container */ }
        try { await watch.ConfigureAwait(false); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* the container ended first */ }

        var timedOut = stopped && Volatile.Read(ref limitReason) is null;
        if (stopped)
        {
            await KillQuietlyAsync(containerId).ConfigureAwait(false);
            using var graceCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            graceCts.CancelAfter(ExitGracePeriod);
            try
            {
                await _client.Containers.WaitContainerAsync(containerId, graceCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"container {containerId} did not stop within {ExitGracePeriod.TotalSeconds} s after being killed ({limitReason ?? "time limit"})", e);
            }
        }

        // The attach stream ends when the container exits; do not hang on a stuck connection.
        drainCts.CancelAfter(LogDrainGracePeriod);
        try { await drain.ConfigureAwait(false); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* keep what was read */ }

        var state = (await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false)).State;
        var exitCode = state?.ExitCode ?? -1;
        // The kernel's count of OOM kills in the container's cgroup: any process (not only PID 1) killed means the
        // solution ran short of memory, even if PID 1 carried on and exited 0. Docker's own flag is kept as well.
        var outOfMemory = (state?.OOMKilled ?? false) || oomKills.Value > 0;
        var reason = Volatile.Read(ref limitReason);
        string? failure = timedOut
            ? $"time limit of {spec.TimeLimit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s exceeded"
            : reason is not null
                ? reason
                : outOfMemory
                    ? "out of memory"
                    : exitCode != 0 ? $"solution exited with code {exitCode}" : null;
        return new ContainerOutcome(exitCode, timedOut, outOfMemory, log.Render(), log.Truncated, failure)
        {
            ProcessLimitReached = reason is not null && reason.StartsWith(ProcessLimitReason, StringComparison.Ordinal),
            LogLimitExceeded = reason is not null && reason.StartsWith(LogLimitReason, StringComparison.Ordinal),
            StoppedByRequest = reason is not null && ReferenceEquals(reason, Volatile.Read(ref requestedStop)),
            OutOfMemoryKills = oomKills.Value,
            StartedAt = ParseEngineTime(state?.StartedAt),
            FinishedAt = ParseEngineTime(state?.FinishedAt),
        };
    }

    /// <summary>The highest OOM-kill count read from the container's memory cgroup (written by the watch, read after it ends).</summary>
    private sealed class OomKillCount
    {
        public long Value;
    }

    internal const string ProcessLimitReason = "process limit";
    internal const string LogLimitReason = "log limit";
    /// <summary>
    /// How often pids.events and the OOM-kill count are read. A fork bomb can make its shell exit within milliseconds
    /// of the first refused fork, a solution can exit right after a child was OOM-killed, and the cgroup (with its
    /// counts) goes with the container: the watch must see them before then. One read of a cgroup file costs
    /// microseconds.
    /// </summary>
    private static readonly TimeSpan LimitPollInterval = TimeSpan.FromMilliseconds(10);

    private static DateTimeOffset? ParseEngineTime(object? value) =>
        value switch
        {
            DateTime d when d.Year > 1 => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1 => t,
            _ => null,
        };

    /// <summary>
    /// Watches the container's cgroups while it runs. pids: once the kernel has refused a fork for the pids limit,
    /// the container is stopped (a fork bomb ends the order at once instead of at its time limit). memory: the count
    /// of OOM kills is kept in <paramref name="oomKills"/>. Where the cgroups cannot be found (another pid namespace
    /// than the engine's), the pids limit still holds and the time limit ends it, and Docker's OOM flag remains.
    /// </summary>
    private async Task WatchCgroupAsync(string containerId, long pidsLimit, Action<string> stop, OomKillCount oomKills, CancellationToken ct)
    {
        // The engine's own cgroup layouts name the container's cgroup after its id: found without a round trip to the
        // engine (under load an inspect can take longer than a fork bomb's whole life, and the cgroup goes with it).
        var pidsEvents = ContainerCgroupFile(containerId, "pids", "pids.events", "pids.events");
        var oomEvents = ContainerCgroupFile(containerId, "memory", "memory.oom_control", "memory.events");
        if (pidsEvents is null || oomEvents is null)
        {
            var pid = (await _client.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false)).State?.Pid ?? 0;
            if (pid <= 0) return;
            pidsEvents ??= PidsEventsPath(pid);
            oomEvents ??= OomKillsPath(pid);
        }
        while (!ct.IsCancellationRequested && (pidsEvents is not null || oomEvents is not null))
        {
            (pidsEvents, oomEvents) = await ReadCountersAsync(pidsEvents, oomEvents, pidsLimit, stop, oomKills).ConfigureAwait(false);
            try { await Task.Delay(LimitPollInterval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        // One last read once the container has ended: a solution can exit within a poll interval of its first refused
        // fork or its child's OOM kill, and the engine may not have removed the cgroup yet. Where it has, the order's
        // reason is the solution's exit code (docs/tee.md).
        await ReadCountersAsync(pidsEvents, oomEvents, pidsLimit, stop, oomKills).ConfigureAwait(false);
    }

    /// <summary>One read of the pids and OOM counters; returns the files still worth reading (null once gone or said).</summary>
    private static async Task<(string? PidsEvents, string? OomEvents)> ReadCountersAsync(
        string? pidsEvents, string? oomEvents, long pidsLimit, Action<string> stop, OomKillCount oomKills)
    {
        if (pidsEvents is not null)
        {
            try
            {
                var refused = ReadPidsMaxEvents(await File.ReadAllTextAsync(pidsEvents).ConfigureAwait(false));
                if (refused > 0)
                {
                    stop($"{ProcessLimitReason} of {pidsLimit} processes reached ({refused} process creations refused)");
                    pidsEvents = null; // said once
                }
            }
            catch (IOException) { pidsEvents = null; } // the cgroup went away with the container
        }
        if (oomEvents is not null)
        {
            try
            {
                var kills = ReadOomKills(await File.ReadAllTextAsync(oomEvents).ConfigureAwait(false));
                if (kills > oomKills.Value) oomKills.Value = kills;
            }
            catch (IOException) { oomEvents = null; }
        }
        return (pidsEvents, oomEvents);
    }

    /// <summary>pids.events of the cgroup of <paramref name="pid"/> (cgroup v1 "pids" hierarchy or the v2 unified one).</summary>
    internal static string? PidsEventsPath(long pid) => CgroupFile(pid, "pids", "pids.events", "pids.events");

    /// <summary>Where the kernel counts OOM kills in the memory cgroup of <paramref name="pid"/>: cgroup v1
    /// memory.oom_control (its "oom_kill" line, kernel 4.13+), v2 memory.events.</summary>
    internal static string? OomKillsPath(long pid) => CgroupFile(pid, "memory", "memory.oom_control", "memory.events");

    /// <summary>
    /// A file of the container's cgroup where Docker puts it by default: cgroup v1 with the cgroupfs driver
    /// (<c>/docker/ID</c>) or the systemd driver (<c>/system.slice/docker-ID.scope</c>), and the same two under v2.
    /// Null when none exists (another layout: the caller asks the engine for the container's pid instead).
    /// </summary>
    internal static string? ContainerCgroupFile(string containerId, string controller, string v1File, string v2File)
    {
        string[] candidates =
        [
            $"/sys/fs/cgroup/{controller}/docker/{containerId}/{v1File}",
            $"/sys/fs/cgroup/{controller}/system.slice/docker-{containerId}.scope/{v1File}",
            $"/sys/fs/cgroup/docker/{containerId}/{v2File}",
            $"/sys/fs/cgroup/system.slice/docker-{containerId}.scope/{v2File}",
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string? CgroupFile(long pid, string controller, string v1File, string v2File)
    {
        string[] lines;
        try { lines = File.ReadAllLines($"/proc/{pid}/cgroup"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            var candidate = parts[1].Split(',').Contains(controller) ? $"/sys/fs/cgroup/{controller}{parts[2]}/{v1File}"
                : parts[0] == "0" && parts[1].Length == 0 ? $"/sys/fs/cgroup{parts[2]}/{v2File}"
                : null;
            if (candidate is not null && File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The "max N" line of pids.events: how many forks the pids limit refused.</summary>
    internal static long ReadPidsMaxEvents(string text) => ReadCounter(text, "max");

    /// <summary>The "oom_kill N" line of memory.oom_control (v1) or memory.events (v2): how many processes the OOM killer killed.</summary>
    internal static long ReadOomKills(string text) => ReadCounter(text, "oom_kill");

    private static long ReadCounter(string text, string key)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return v;
        }
        return 0;
    }

    private static async Task DrainAsync(MultiplexedStream stream, BoundedLog log, long? logLimit, Action<string> stop, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(LogReadBufferBytes);
        try
        {
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct).ConfigureAwait(false);
                if (read.EOF || read.Count == 0) return;
                if (read.Target is MultiplexedStream.TargetStream.StandardOut or MultiplexedStream.TargetStream.StandardError)
                {
                    log.Append(buffer.AsSpan(0, read.Count));
                    if (log.TotalBytes > logLimit)
                        stop($"{LogLimitReason} of {logLimit} bytes exceeded (the solution printed more; it was stopped)");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task KillQuietlyAsync(string containerId)
    {
        try
        {
            await _client.Containers.KillContainerAsync(containerId, new ContainerKillParameters { Signal = "KILL" }, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
            // It exited on its own between the time-out and the kill (409 "not running").
        }
    }

    private async Task RemoveContainerQuietlyAsync(string containerId)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(containerId,
                new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already removed.
        }
    }

    internal static CreateContainerParameters BuildCreateParameters(LoadedImage image, ContainerSpec spec, IList<Mount> mounts, string user)
    {
        var hostConfig = new HostConfig
        {
            NetworkMode = "none",
            ReadonlyRootfs = true,
            Tmpfs = new Dictionary<string, string> { [TmpMountPath] = TmpMountOptions },
            CapDrop = ["ALL"],
            SecurityOpt = ["no-new-privileges"],
            PidsLimit = spec.PidsLimit,
            Mounts = mounts,
            AutoRemove = false,
            Privileged = false,
            LogConfig = new LogConfig { Type = "none" }, // output is read through attach, capped; nothing piles up on disk
        };
        if (spec.MemoryBytes is { } memory)
        {
            hostConfig.Memory = memory;
            hostConfig.MemorySwap = memory; // no swap beyond the memory limit
        }
        if (spec.NanoCpus is { } nanoCpus) hostConfig.NanoCPUs = nanoCpus;

        return new CreateContainerParameters
        {
            Image = image.ImageId,
            Name = ContainerName(spec.Name),
            User = user,
            Tty = false,
            AttachStdin = false,
            AttachStdout = true,
            AttachStderr = true,
            OpenStdin = false,
            NetworkDisabled = true,
            Labels = new Dictionary<string, string>(spec.Labels) { [RoleLabel] = "solution" },
            HostConfig = hostConfig,
        };
    }

    internal static IList<Mount> BuildMounts(ContainerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec.InputDirectories);
        var mounts = new List<Mount>();
        for (var i = 0; i < spec.InputDirectories.Count; i++)
        {
            var target = $"{InputsMountRoot}/input-{(i + 1).ToString("D4", CultureInfo.InvariantCulture)}";
            mounts.Add(Bind(RequireDirectory(spec.InputDirectories[i], $"{nameof(ContainerSpec.InputDirectories)}[{i}]"), target, readOnly: true));
        }
        mounts.Add(Bind(RequireDirectory(spec.OutputDirectory, nameof(ContainerSpec.OutputDirectory)), OutputMountPath, readOnly: false));
        mounts.Add(Bind(RequireDirectory(spec.CertsDirectory, nameof(ContainerSpec.CertsDirectory)), CertsMountPath, readOnly: true));
        return mounts;
    }

    private static Mount Bind(string source, string target, bool readOnly) =>
        new() { Type = "bind", Source = source, Target = target, ReadOnly = readOnly };

    private static string RequireDirectory(string? path, string field)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"{field}: expected a host directory path, got an empty value", nameof(path));
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"{field}: host directory '{full}' does not exist");
        return full;
    }

    private static void ValidateLimits(ContainerSpec spec)
    {
        if (spec.TimeLimit <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(spec), $"{nameof(ContainerSpec.TimeLimit)}: expected > 0, got {spec.TimeLimit}");
        if (spec.PidsLimit <= 0)
            throw new ArgumentOutOfRangeException(nameof(spec), $"{nameof(ContainerSpec.PidsLimit)}: expected > 0, got {spec.PidsLimit}");
        if (spec.LogLimitBytes is <= 0)
            throw new ArgumentOutOfRangeException(nameof(spec), $"{nameof(ContainerSpec.LogLimitBytes)}: expected > 0 when set, got {spec.LogLimitBytes}");
        if (spec.LogCapBytes is < 0 or > MaxLogCapBytes)
            throw new ArgumentOutOfRangeException(nameof(spec), $"{nameof(ContainerSpec.LogCapBytes)}: expected 0..{MaxLogCapBytes}, got {spec.LogCapBytes}");
        if (spec.MemoryBytes is <= 0)
            throw new ArgumentOutOfRangeException(nameof(spec), $"{nameof(ContainerSpec.MemoryBytes)}: expected > 0 when set, got {spec.MemoryBytes}");
        if (spec.NanoCpus is <= 0)
            throw new ArgumentOutOfRangeException(nameof(spec), $"{nameof(ContainerSpec.NanoCpus)}: expected > 0 when set, got {spec.NanoCpus}");
        if (spec.Name.Length > 0 && !ContainerNamePattern().IsMatch(spec.Name))
            throw new ArgumentException($"{nameof(ContainerSpec.Name)}: expected [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 100 chars), got '{spec.Name}'", nameof(spec));
    }

    internal static string ContainerName(string prefix)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        return $"{(prefix.Length == 0 ? DefaultNamePrefix : prefix)}-{suffix}";
    }

    private static readonly System.Buffers.SearchValues<char> LowerHexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static void RequireImageId(LoadedImage image)
    {
        var id = image.ImageId;
        if (id is null || !id.StartsWith(Sha256Prefix, StringComparison.Ordinal)
            || id.Length != Sha256Prefix.Length + SHA256.HashSizeInBytes * 2
            || id.AsSpan(Sha256Prefix.Length).ContainsAnyExcept(LowerHexDigits))
            throw new ArgumentException($"{nameof(LoadedImage.ImageId)}: expected 'sha256:' and 64 lowercase hex digits, got '{id}'", nameof(image));
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")]
    private static partial Regex ContainerNamePattern();

    /// <summary>IProgress that runs the callback inline (Progress&lt;T&gt; posts to the thread pool and may run late).</summary>
    private sealed class SynchronousProgress<T>(Action<T> onReport) : IProgress<T>
    {
        public void Report(T value) => onReport(value);
    }
}
