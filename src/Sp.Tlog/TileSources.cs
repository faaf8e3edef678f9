namespace Sp.Tlog;

/// <summary>
/// Where a client reads a tiled log from: the node over HTTP, a static web server or an exported folder.
/// Paths are relative to the log URL: <c>checkpoint</c>, <c>tile/...</c>.
/// </summary>
public interface ITileSource
{
    /// <summary>The resource's bytes, or null if it does not exist (HTTP 404, missing file).</summary>
    Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken = default);
}

/// <summary>A tiled log stored as files under a folder, as <see cref="TileWriter"/> and <c>sp-node log export</c> write it.</summary>
public sealed class FolderTileSource : ITileSource
{
    public FolderTileSource(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    public async Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var file = TileWriter.ResolveInside(Directory, path);
        try
        {
            return await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }
}
