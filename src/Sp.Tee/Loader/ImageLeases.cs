using Sp.Tee.Runtime;

namespace Sp.Tee.Loader;

/// <summary>
/// Solution images are loaded for an order and removed after it (Alice's code does not stay on the machine).
/// Orders running at once may use the same image (same id): it is removed only when the last of them is done,
/// and a load never races a removal (both happen under one lock).
/// </summary>
public sealed class ImageLeases(IContainerRuntime runtime, Action<string> warn)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);

    public async Task<LoadedImage> AcquireAsync(string archivePath, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var image = await runtime.LoadImageAsync(archivePath, ct);
            _users[image.ImageId] = _users.GetValueOrDefault(image.ImageId) + 1;
            return image;
        }
        finally { _lock.Release(); }
    }

    public async Task ReleaseAsync(LoadedImage image)
    {
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            var left = _users.GetValueOrDefault(image.ImageId) - 1;
            if (left > 0)
            {
                _users[image.ImageId] = left;
                return;
            }
            _users.Remove(image.ImageId);
            try { await runtime.RemoveImageAsync(image, CancellationToken.None); }
            catch (Docker.DotNet.DockerApiException e) { warn($"image {image.ImageId} could not be removed: {e.Message}"); }
        }
        finally { _lock.Release(); }
    }

    /// <summary>Orders holding an image now (for tests).</summary>
    internal int Holders(string imageId)
    {
        _lock.Wait();
        try { return _users.GetValueOrDefault(imageId); }
        finally { _lock.Release(); }
    }
}
