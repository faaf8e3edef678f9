using Sp.Tee.Runtime;

namespace Sp.Tee.Loader;

/// <summary>
/// Solution images are loaded for an order and removed after it (Alice's code does not stay on the machine).
/// Orders running at once may use the same image (same id): it is removed only when the last of them is done,
/// and a load never races a removal (both happen under one lock). An image the engine had before its first use
/// here (a host image identical to the upload) is never removed. Each image loaded here is recorded in
/// <paramref name="recordDir"/> (an empty file named after its id) until it is removed, so that a loader killed
/// with images loaded removes them at its next start (<see cref="RemoveLeftoversAsync"/>).
/// </summary>
public sealed class ImageLeases(IContainerRuntime runtime, Action<string> warn, string? recordDir = null)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    /// <summary>How many orders hold an image, and whether this loader loaded it (then it removes it after the last).</summary>
    private sealed class Lease(bool loadedHere)
    {
        public int Users;
        public bool LoadedHere { get; } = loadedHere;
    }

    /// <param name="maxDiskBytes">The order's disk: an archive unpacking to more is refused (see <see cref="IContainerRuntime.LoadImageAsync"/>).</param>
    public async Task<LoadedImage> AcquireAsync(string archivePath, long maxDiskBytes, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var image = await runtime.LoadImageAsync(archivePath, maxDiskBytes, ct);
            if (!_leases.TryGetValue(image.ImageId, out var lease))
            {
                // The first use decides: an image the engine had before it is someone else's, never removed here.
                lease = _leases[image.ImageId] = new Lease(loadedHere: !image.WasAlreadyPresent);
                if (lease.LoadedHere && RecordOf(image.ImageId) is { } record)
                {
                    Directory.CreateDirectory(recordDir!);
                    await File.WriteAllTextAsync(record, "", CancellationToken.None);
                }
            }
            lease.Users++;
            return image;
        }
        finally { _lock.Release(); }
    }

    /// <summary>Removes the images a previous (killed) run of this loader had loaded and not removed; returns how many.</summary>
    public async Task<int> RemoveLeftoversAsync(CancellationToken ct)
    {
        if (recordDir is null || !Directory.Exists(recordDir)) return 0;
        var removed = 0;
        foreach (var record in Directory.GetFiles(recordDir))
        {
            var id = "sha256:" + Path.GetFileName(record);
            try
            {
                await runtime.RemoveImageAsync(new LoadedImage(id), ct);
                File.Delete(record);
                removed++;
            }
            catch (ContainerRuntimeException e) { warn($"image {id} left by a previous run could not be removed: {e.Message}"); }
        }
        return removed;
    }

    private string? RecordOf(string imageId) =>
        recordDir is null || !imageId.StartsWith("sha256:", StringComparison.Ordinal) || imageId.Length != 71 || !imageId[7..].All(Uri.IsHexDigit)
            ? null
            : Path.Combine(recordDir, imageId[7..]);

    public async Task ReleaseAsync(LoadedImage image)
    {
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            if (!_leases.TryGetValue(image.ImageId, out var lease)) return;
            if (--lease.Users > 0) return;
            _leases.Remove(image.ImageId);
            if (!lease.LoadedHere) return; // the engine had it before: not ours to remove
            try
            {
                await runtime.RemoveImageAsync(image, CancellationToken.None);
                if (RecordOf(image.ImageId) is { } record) File.Delete(record);
            }
            catch (ContainerRuntimeException e) { warn($"image {image.ImageId} could not be removed: {e.Message}"); }
        }
        finally { _lock.Release(); }
    }

    /// <summary>Orders holding an image now (for tests).</summary>
    internal int Holders(string imageId)
    {
        _lock.Wait();
        try { return _leases.TryGetValue(imageId, out var lease) ? lease.Users : 0; }
        finally { _lock.Release(); }
    }
}
