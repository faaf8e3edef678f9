using System.Collections.Concurrent;

namespace Sp.Tlog;

/// <summary>
/// Reads a C2SP tiled log through an <see cref="ITileSource"/> and computes proofs and roots from its hash
/// tiles. Tiles are not trusted: whatever is computed from them must be checked against a verified checkpoint
/// (<see cref="ProofVerifier"/>, <see cref="TileLogAuditor"/>). A partial tile that is gone (the log grew) is
/// read from the full tile instead, as tlog-tiles clients do. Tiles read are cached (they never change).
/// </summary>
public sealed class TileReader
{
    private readonly ITileSource _source;
    private readonly ConcurrentDictionary<TileId, NodeHash[]> _hashTiles = new();

    public TileReader(ITileSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    /// <summary>Reads <c>checkpoint</c> and verifies it with the log key (and other known keys, e.g. witnesses).</summary>
    public async Task<SignedCheckpoint> ReadCheckpointAsync(NoteVerifier logKey, IEnumerable<NoteVerifier>? otherKnown = null, CancellationToken cancellationToken = default)
    {
        var bytes = await _source.ReadAsync(TileWriter.CheckpointPath, cancellationToken).ConfigureAwait(false)
            ?? throw new TileException(TileWriter.CheckpointPath, "not found");
        return Checkpoint.Open(bytes, logKey, otherKnown);
    }

    /// <summary>The hashes of a hash tile (exactly <c>tile.Width</c> of them).</summary>
    public async Task<NodeHash[]> ReadHashTileAsync(TileId tile, CancellationToken cancellationToken = default)
    {
        if (tile.IsEntryBundle)
        {
            throw new ArgumentException($"{tile.Path} is an entry bundle, not a hash tile", nameof(tile));
        }
        if (_hashTiles.TryGetValue(tile, out var cached))
        {
            return cached;
        }
        var data = await ReadWithFallbackAsync(tile, cancellationToken).ConfigureAwait(false);
        var hashes = data.FromFull
            ? TileMath.ParseHashTile(tile.Full(), data.Bytes)[..tile.Width]
            : TileMath.ParseHashTile(tile, data.Bytes);
        _hashTiles.TryAdd(tile, hashes);
        return hashes;
    }

    /// <summary>The entries of an entry bundle (exactly <c>tile.Width</c> of them).</summary>
    public async Task<byte[][]> ReadEntryBundleAsync(TileId tile, CancellationToken cancellationToken = default)
    {
        if (!tile.IsEntryBundle)
        {
            throw new ArgumentException($"{tile.Path} is a hash tile, not an entry bundle", nameof(tile));
        }
        var data = await ReadWithFallbackAsync(tile, cancellationToken).ConfigureAwait(false);
        return data.FromFull
            ? TileMath.ParseEntryBundle(tile.Full(), data.Bytes)[..tile.Width]
            : TileMath.ParseEntryBundle(tile, data.Bytes);
    }

    /// <summary>Raw bytes of a tile or bundle exactly as published at its path (null if missing); no fallback.</summary>
    public Task<byte[]?> ReadRawAsync(TileId tile, CancellationToken cancellationToken = default) =>
        _source.ReadAsync(tile.Path, cancellationToken);

    /// <summary>The hashes of complete subtrees of the tree of <paramref name="treeSize"/> leaves, in order.</summary>
    public async Task<NodeHash[]> ReadNodeHashesAsync(IReadOnlyList<NodeId> ids, long treeSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new NodeHash[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            var tile = TileMath.TileForNode(ids[i], treeSize, out var offset, out var count);
            var hashes = await ReadHashTileAsync(tile, cancellationToken).ConfigureAwait(false);
            if (offset + count > hashes.Length)
            {
                throw new TileException(tile.Path, $"node {ids[i]} needs hashes [{offset}, {offset + count}) but the tile has {hashes.Length}");
            }
            result[i] = count == 1 ? hashes[offset] : MerkleHash.RootOf(hashes.AsSpan(offset, count));
        }
        return result;
    }

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves.</summary>
    public async Task<NodeHash[]> InclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default)
    {
        var nodes = Proofs.InclusionNodes(index, treeSize);
        return nodes.Rehash(await ReadNodeHashesAsync(nodes.Ids, treeSize, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The consistency proof from <paramref name="size1"/> to <paramref name="size2"/>, read from the tiles of <paramref name="size2"/>.</summary>
    public async Task<NodeHash[]> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default)
    {
        var nodes = Proofs.ConsistencyNodes(size1, size2);
        return nodes.Rehash(await ReadNodeHashesAsync(nodes.Ids, size2, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The root of the tree of <paramref name="treeSize"/> leaves, computed from its tiles.</summary>
    public async Task<NodeHash> RootAsync(long treeSize, CancellationToken cancellationToken = default)
    {
        var ids = CompactRange.Nodes(treeSize);
        var hashes = await ReadNodeHashesAsync(ids, treeSize, cancellationToken).ConfigureAwait(false);
        return CompactRange.FromHashes(treeSize, hashes).Root();
    }

    /// <summary>
    /// Reads entry <paramref name="index"/> of the tree of <paramref name="treeSize"/> leaves and proves it included
    /// under <paramref name="checkpoint"/>; returns the entry bytes.
    /// </summary>
    public async Task<byte[]> ReadProvedEntryAsync(long index, Checkpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var treeSize = checkpoint.TreeSize;
        if (index < 0 || index >= treeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"entry {index} is not in the tree of size {treeSize}");
        }
        var bundleIndex = index / TileMath.Width;
        var width = (int)Math.Min(TileMath.Width, treeSize - (bundleIndex * TileMath.Width));
        var entries = await ReadEntryBundleAsync(TileId.Entries(bundleIndex, width), cancellationToken).ConfigureAwait(false);
        var entry = entries[index % TileMath.Width];
        var proof = await InclusionProofAsync(index, treeSize, cancellationToken).ConfigureAwait(false);
        ProofVerifier.VerifyInclusion(MerkleHash.Leaf(entry), index, treeSize, proof, checkpoint.RootHash);
        return entry;
    }

    /// <summary>Forgets cached tiles.</summary>
    public void ClearCache() => _hashTiles.Clear();

    private async Task<(byte[] Bytes, bool FromFull)> ReadWithFallbackAsync(TileId tile, CancellationToken cancellationToken)
    {
        var data = await _source.ReadAsync(tile.Path, cancellationToken).ConfigureAwait(false);
        if (data is not null)
        {
            return (data, false);
        }
        if (tile.IsPartial)
        {
            data = await _source.ReadAsync(tile.Full().Path, cancellationToken).ConfigureAwait(false);
            if (data is not null)
            {
                return (data, true);
            }
        }
        throw new TileException(tile.Path, tile.IsPartial ? $"not found, nor the full tile {tile.Full().Path}" : "not found");
    }
}

/// <summary>What <see cref="TileLogAuditor.AuditAsync"/> checked.</summary>
public sealed record TileAuditResult(long Entries, int HashTiles, int EntryBundles, NodeHash RootHash);

/// <summary>
/// Checks a whole tiled log against a verified checkpoint: reads every entry bundle, recomputes every hash tile
/// and the root from the entries, and requires the published tiles to match byte for byte.
/// </summary>
public static class TileLogAuditor
{
    /// <summary>
    /// Audits the tree of <c>checkpoint.TreeSize</c> entries. <paramref name="onEntry"/> sees each entry in order
    /// (index, bytes), e.g. to check its signature and replay it. Throws <see cref="TileException"/> for a tile
    /// that differs from its recomputation, <see cref="RootMismatchException"/> for a wrong root.
    /// </summary>
    public static async Task<TileAuditResult> AuditAsync(TileReader reader, Checkpoint checkpoint, Action<long, byte[]>? onEntry = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var built = new List<(TileId Tile, byte[] Data)>();
        var builder = new TileBuilder();
        builder.TileReady += (tile, data) => built.Add((tile, data));
        int hashTiles = 0, bundles = 0;
        foreach (var bundle in TileMath.EntryBundles(checkpoint.TreeSize))
        {
            var entries = await reader.ReadEntryBundleAsync(bundle, cancellationToken).ConfigureAwait(false);
            bundles++;
            foreach (var entry in entries)
            {
                onEntry?.Invoke(builder.Size, entry);
                builder.Add(entry);
            }
            hashTiles += await CompareAsync(reader, built, cancellationToken).ConfigureAwait(false);
        }
        var root = builder.Finish();
        hashTiles += await CompareAsync(reader, built, cancellationToken).ConfigureAwait(false);
        if (root != checkpoint.RootHash)
        {
            throw new RootMismatchException($"root recomputed from the {checkpoint.TreeSize} entries", root, checkpoint.RootHash);
        }
        return new TileAuditResult(builder.Size, hashTiles, bundles, root);
    }

    private static async Task<int> CompareAsync(TileReader reader, List<(TileId Tile, byte[] Data)> built, CancellationToken cancellationToken)
    {
        var compared = 0;
        foreach (var (tile, data) in built)
        {
            if (tile.IsEntryBundle)
            {
                continue; // bundles were parsed strictly; their entries feed the recomputed hashes
            }
            var published = await reader.ReadHashTileAsync(tile, cancellationToken).ConfigureAwait(false);
            var recomputed = TileMath.ParseHashTile(tile, data);
            for (var i = 0; i < recomputed.Length; i++)
            {
                if (published[i] != recomputed[i])
                {
                    throw new TileException(tile.Path, $"hash {i} is {published[i]}, recomputed from the entries {recomputed[i]}");
                }
            }
            compared++;
        }
        built.Clear();
        return compared;
    }
}
