using Sp.Storage.Blobs;
using Sp.Tlog;

namespace Sp.Node.StaticLog;

/// <summary>
/// Where the node publishes its log as static C2SP tlog-tiles files (node.json <c>publish</c>): a folder that a web
/// server serves, or an S3 bucket (or CDN in front of one). Paths are tlog-tiles paths (<c>checkpoint</c>,
/// <c>tile/L/N[.p/W]</c>, <c>tile/entries/N[.p/W]</c>) under the target's root.
/// </summary>
public interface IStaticLogTarget : IDisposable
{
    /// <summary>Names the target in logs and errors (a folder path, or s3://bucket/prefix at the endpoint).</summary>
    string Description { get; }

    /// <summary>The checkpoint published there last, or null when none is.</summary>
    Task<byte[]?> ReadCheckpointAsync(CancellationToken ct);

    /// <summary>Writes a tile or bundle: an immutable path (tlog-tiles), never written with other bytes.</summary>
    Task PutTileAsync(TileId tile, byte[] data, CancellationToken ct);

    /// <summary>Replaces the checkpoint (the one mutable file), after every tile it covers is in place.</summary>
    Task PutCheckpointAsync(ReadOnlyMemory<byte> note, CancellationToken ct);
}

/// <summary>node.json's <c>publish</c> member: exactly one of <see cref="Folder"/> and <see cref="S3"/>.</summary>
public sealed record StaticLogSettings
{
    /// <summary>A folder (absolute, or relative to the node's folder).</summary>
    public string? Folder { get; init; }

    /// <summary>An S3 bucket and prefix (the fields of a config.json's <c>storage.s3</c>, docs/storage.md).</summary>
    public S3StorageOptions? S3 { get; init; }

    /// <summary>The target these settings name; the caller disposes it.</summary>
    public IStaticLogTarget Open(string nodeDir) => (Folder, S3) switch
    {
        ({ } folder, null) => new FolderLogTarget(Path.GetFullPath(folder, nodeDir)),
        (null, { } s3) => new S3LogTarget(new S3BlobStore(s3)),
        _ => throw new InvalidDataException("node.json publish: expected exactly one of \"folder\" and \"s3\""),
    };
}

/// <summary>A folder: each file written to a temporary name, flushed to disk and renamed (<see cref="TileWriter.WriteFileAsync"/>).</summary>
public sealed class FolderLogTarget(string root) : IStaticLogTarget
{
    public string Description => root;

    public async Task<byte[]?> ReadCheckpointAsync(CancellationToken ct)
    {
        var path = Path.Combine(root, TileWriter.CheckpointPath);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : null;
    }

    public async Task PutTileAsync(TileId tile, byte[] data, CancellationToken ct)
    {
        var path = Path.Combine(root, tile.Path);
        if (File.Exists(path))
        {
            // Written before a crash (or by the previous run): the same bytes, or the folder is not this log's.
            if ((await File.ReadAllBytesAsync(path, ct)).AsSpan().SequenceEqual(data)) return;
            throw new InvalidDataException($"{path}: a published tile holds other bytes than this log's {tile.Path}: the folder belongs to another log or was changed; tiles are never overwritten");
        }
        await TileWriter.WriteFileAsync(root, tile.Path, data, ct);
    }

    public Task PutCheckpointAsync(ReadOnlyMemory<byte> note, CancellationToken ct) => TileWriter.WriteFileAsync(root, TileWriter.CheckpointPath, note, ct);

    public void Dispose()
    {
    }
}

/// <summary>
/// An S3 bucket: one PutObject per file, with the caching headers the node serves them with (tiles immutable for a
/// year, the checkpoint revalidated every time), so the bucket can be served as it is or through a CDN.
/// </summary>
public sealed class S3LogTarget(S3BlobStore bucket) : IStaticLogTarget
{
    public string Description => $"s3://{bucket.Options.Bucket}/{bucket.Options.Prefix} at {bucket.Options.Endpoint}";

    public Task<byte[]?> ReadCheckpointAsync(CancellationToken ct) => bucket.ReadNamedAsync(TileWriter.CheckpointPath, ct);

    // A tile's bytes are a function of the log (its path names its level, index and width): writing it again after
    // a crash writes the same bytes, so no read-before-write is needed.
    public Task PutTileAsync(TileId tile, byte[] data, CancellationToken ct) =>
        bucket.PutNamedAsync(tile.Path, data, LogEndpoints.TileContentType, LogEndpoints.ImmutableCaching, ct);

    public Task PutCheckpointAsync(ReadOnlyMemory<byte> note, CancellationToken ct) =>
        bucket.PutNamedAsync(TileWriter.CheckpointPath, note, LogEndpoints.CheckpointContentType, LogEndpoints.MutableCaching, ct);

    public void Dispose() => bucket.Dispose();
}
