using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Sp.Tee.Tests")]

namespace Sp.Tee.Runtime;

/// <summary>
/// An image in the container engine, always referred to by <see cref="ImageId"/> ("sha256:…"), loaded under no name.
/// <see cref="WasAlreadyPresent"/>: the engine had it before (e.g. a host image identical to the upload): it was
/// not loaded, and must not be removed.
/// </summary>
public sealed record LoadedImage(string ImageId)
{
    public bool WasAlreadyPresent { get; init; }
}

/// <summary>
/// How to run one solution container. All directories are host paths, best kept below a folder only root can enter.
/// Before the container starts the runtime gives them to the container's user and to no one else: inputs and
/// certificates read-only (directories 0500, files 0400), the output writable (0700).
/// </summary>
public sealed record ContainerSpec
{
    /// <summary>Host directories, mounted read-only at /sp/inputs/input-0001, input-0002, … in this order.</summary>
    public required IReadOnlyList<string> InputDirectories { get; init; }

    /// <summary>Host directory, mounted read-write at /sp/output.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Host directory, mounted read-only at /sp/certs.</summary>
    public required string CertsDirectory { get; init; }

    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromMinutes(30);
    public long? MemoryBytes { get; init; }
    public long? NanoCpus { get; init; }
    public long PidsLimit { get; init; } = 256;
    public long LogCapBytes { get; init; } = 1 << 20;

    /// <summary>Total log volume (kept or not) after which the container is killed; null: no ceiling.</summary>
    public long? LogLimitBytes { get; init; }

    /// <summary>Extra container labels (e.g. which loader started it, so a restarted loader can remove leftovers).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Container name prefix, e.g. "sp-order-42"; a random suffix is appended.</summary>
    public string Name { get; init; } = "";

    /// <summary>
    /// Started with the container: completes with a reason when the container must stop before its own end (its
    /// order was canceled, its deposit is spent); the reason becomes <see cref="ContainerOutcome.FailureReason"/>.
    /// Canceled through its token when the container ends first. Null: nothing but the limits stops it.
    /// </summary>
    public Func<CancellationToken, Task<string>>? StopWhen { get; init; }
}

/// <summary>
/// Result of one container run. <see cref="FailureReason"/> is null on success (exit code 0, no limit hit);
/// otherwise it names the first of: time limit, process limit, log limit, out of memory, non-zero exit code.
/// </summary>
public sealed record ContainerOutcome(long ExitCode, bool TimedOut, bool OutOfMemory, string Log, bool LogTruncated, string? FailureReason)
{
    /// <summary>The container tried to create more processes than its pids limit allows (it was killed for it).</summary>
    public bool ProcessLimitReached { get; init; }

    /// <summary>The container printed more than <see cref="ContainerSpec.LogLimitBytes"/> (it was killed for it).</summary>
    public bool LogLimitExceeded { get; init; }

    /// <summary>How many of the container's processes the kernel's OOM killer killed, as its memory cgroup counted them
    /// while it ran (any one makes <see cref="OutOfMemory"/> true, even when PID 1 survived and exited 0).</summary>
    public long OutOfMemoryKills { get; init; }

    /// <summary>The container was stopped because <see cref="ContainerSpec.StopWhen"/> completed.</summary>
    public bool StoppedByRequest { get; init; }

    /// <summary>What the output held besides regular files and directories (FIFOs, sockets, devices, symbolic links),
    /// as "relative/path (a FIFO)": removed without being opened, and named in <see cref="Log"/>.</summary>
    public IReadOnlyList<string> LeftOutOfOutput { get; init; } = [];

    /// <summary>When the container's process started and ended, as the engine recorded them (null if unknown).</summary>
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

public interface IContainerRuntime
{
    /// <summary>Loads a `docker save` archive (plain tar or gzip) holding exactly one image, under no name (its tags are
    /// ignored); an image the engine already has is not loaded again (<see cref="LoadedImage.WasAlreadyPresent"/>).
    /// An archive whose manifest or config exceeds a few MiB, or that (or whose layers) unpacks to more than
    /// <paramref name="maxDiskBytes"/>, is refused (<see cref="ImageRefusedException"/>) before anything is loaded.</summary>
    Task<LoadedImage> LoadImageAsync(string imageArchivePath, long maxDiskBytes, CancellationToken ct);

    /// <summary>Runs the image once with the sandbox settings of <paramref name="spec"/>; the container is always removed,
    /// and afterwards the output holds only regular files and directories.</summary>
    Task<ContainerOutcome> RunAsync(LoadedImage image, ContainerSpec spec, CancellationToken ct);

    /// <summary>Removes the image by id (forced); succeeds when it is already gone.</summary>
    Task RemoveImageAsync(LoadedImage image, CancellationToken ct);

    /// <summary>Kills and removes every container (running or not) carrying all these labels; returns how many.</summary>
    Task<int> RemoveContainersAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct);
}
