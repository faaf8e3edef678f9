using System.Text;

namespace Sp.Tlog;

/// <summary>What <see cref="TileWriter"/> wrote.</summary>
public sealed record TileWriteResult(long TreeSize, NodeHash RootHash, int HashTiles, int EntryBundles);

/// <summary>
/// Writes a log as a static C2SP tlog-tiles tree (for <c>sp-node log export DIR</c>): every hash tile and entry
/// bundle of the checkpoint's tree size, then <c>checkpoint</c> last, so a reader of the folder never sees a
/// checkpoint whose tiles are missing. Each file is written to a temporary name and renamed into place.
/// </summary>
public static class TileWriter
{
    /// <summary>Name of the checkpoint file under the log URL.</summary>
    public const string CheckpointPath = "checkpoint";

    /// <summary>
    /// Writes the tiles of <paramref name="entries"/> and the signed <paramref name="checkpoint"/> note. The
    /// checkpoint's tree size and root must match the entries (its signature is not checked here).
    /// </summary>
    public static async Task<TileWriteResult> WriteAsync(string directory, ReadOnlyMemory<byte> checkpoint, IAsyncEnumerable<byte[]> entries, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(entries);
        var (text, _) = Note.ParseUnverified(checkpoint.Span);
        var expected = Checkpoint.Parse(text);
        var root = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(root);

        var pending = new List<(TileId Tile, byte[] Data)>();
        var builder = new TileBuilder();
        builder.TileReady += (tile, data) => pending.Add((tile, data));
        int hashTiles = 0, bundles = 0;
        await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (builder.Size == expected.TreeSize)
            {
                throw new ArgumentException($"more entries than the checkpoint's tree size {expected.TreeSize}", nameof(entries));
            }
            builder.Add(entry);
            (hashTiles, bundles) = await FlushAsync(root, pending, hashTiles, bundles, cancellationToken).ConfigureAwait(false);
        }
        if (builder.Size != expected.TreeSize)
        {
            throw new ArgumentException($"got {builder.Size} entries, the checkpoint's tree size is {expected.TreeSize}", nameof(entries));
        }
        var rootHash = builder.Finish();
        if (rootHash != expected.RootHash)
        {
            throw new RootMismatchException($"root of the {builder.Size} exported entries", rootHash, expected.RootHash);
        }
        (hashTiles, bundles) = await FlushAsync(root, pending, hashTiles, bundles, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(root, CheckpointPath, checkpoint, cancellationToken).ConfigureAwait(false);
        return new TileWriteResult(builder.Size, rootHash, hashTiles, bundles);
    }

    /// <summary>Synchronous-enumerable overload of <see cref="WriteAsync(string, ReadOnlyMemory{byte}, IAsyncEnumerable{byte[]}, CancellationToken)"/>.</summary>
    public static Task<TileWriteResult> WriteAsync(string directory, ReadOnlyMemory<byte> checkpoint, IEnumerable<byte[]> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return WriteAsync(directory, checkpoint, ToAsync(entries), cancellationToken);
    }

    /// <summary>Overload taking the checkpoint note as text.</summary>
    public static Task<TileWriteResult> WriteAsync(string directory, string checkpoint, IEnumerable<byte[]> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteAsync(directory, Encoding.UTF8.GetBytes(checkpoint), entries, cancellationToken);
    }

    /// <summary>Maps a log-relative path to a file under <paramref name="directory"/>, refusing anything that escapes it.</summary>
    internal static string ResolveInside(string directory, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var valid = path == CheckpointPath || TileId.TryParsePath(path, out _);
        if (!valid)
        {
            throw new ArgumentException($"not a tlog-tiles path: \"{path}\" (want \"{CheckpointPath}\" or tile/<L>/<N>[.p/<W>])", nameof(path));
        }
        return Path.Combine(directory, path.Replace('/', Path.DirectorySeparatorChar));
    }

    private static async Task<(int, int)> FlushAsync(string root, List<(TileId Tile, byte[] Data)> pending, int hashTiles, int bundles, CancellationToken cancellationToken)
    {
        foreach (var (tile, data) in pending)
        {
            await WriteFileAsync(root, tile.Path, data, cancellationToken).ConfigureAwait(false);
            if (tile.IsEntryBundle)
            {
                bundles++;
            }
            else
            {
                hashTiles++;
            }
        }
        pending.Clear();
        return (hashTiles, bundles);
    }

    /// <summary>
    /// Writes one file of a static log (<c>checkpoint</c> or a tile path) under <paramref name="root"/>: to a
    /// temporary name, flushed to disk, then renamed into place, so a reader sees the old file or the new one, never a part.
    /// </summary>
    public static async Task WriteFileAsync(string root, string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var file = ResolveInside(root, path);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = file + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true); // on disk before the rename: after a power cut no checkpoint names a tile that is not
        }
        File.Move(temp, file, overwrite: true);
    }

    private static async IAsyncEnumerable<byte[]> ToAsync(IEnumerable<byte[]> entries)
    {
        foreach (var entry in entries)
        {
            yield return entry;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
