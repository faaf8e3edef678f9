using Sp.Tlog;

namespace Sp.Ledger.Log;

/// <summary>
/// The log's Merkle tree kept as every complete subtree's hash (Go's tlog calls them "stored hashes"), per tree
/// level in chunks of 256 hashes (8 KiB): about 64 bytes per leaf. The hashes of tree levels 0, 8, 16, ... are
/// exactly the C2SP hash tiles, and any node of the tree of any size up to <see cref="Size"/> is one lookup, so
/// roots, inclusion and consistency proofs for any past size need no other storage. Thread-safe: one writer
/// (<see cref="Append"/>) and any number of readers.
/// </summary>
public sealed class MerkleLog
{
    private const int HashesPerChunk = TileMath.Width;
    private const int ChunkBytes = HashesPerChunk * NodeHash.Size;

    private readonly List<List<byte[]>> _levels = [];   // _levels[l][c] = hashes [c*256, c*256+256) of tree level l
    private readonly List<long> _counts = [];           // hashes stored per tree level
    private CompactRange _tree = new();
    private readonly Lock _lock = new();

    /// <summary>Number of leaves.</summary>
    public long Size
    {
        get { lock (_lock) return _tree.Size; }
    }

    /// <summary>The root of the current tree.</summary>
    public NodeHash Root
    {
        get { lock (_lock) return _tree.Root(); }
    }

    /// <summary>Size and root read together.</summary>
    public (long Size, NodeHash Root) Head
    {
        get { lock (_lock) return (_tree.Size, _tree.Root()); }
    }

    /// <summary>
    /// Every stored hash, level by level (<c>int32</c> level count, then per level an <c>int64</c> count and that
    /// many 32-byte hashes, little-endian): what <see cref="Restore"/> takes back. A ledger snapshot keeps it, so a
    /// restart does not rehash every entry.
    /// </summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_lock)
        {
            writer.Write(_levels.Count);
            for (var l = 0; l < _levels.Count; l++)
            {
                var count = _counts[l];
                writer.Write(count);
                var left = count * NodeHash.Size;
                foreach (var chunk in _levels[l])
                {
                    var n = (int)Math.Min(left, ChunkBytes);
                    writer.Write(chunk, 0, n);
                    left -= n;
                }
            }
        }
    }

    /// <summary>
    /// Fills this empty tree from <see cref="WriteTo"/>'s bytes for a tree of <paramref name="size"/> leaves. The
    /// level counts must be those of that size (level l holds size &gt;&gt; l hashes); nothing changes when they are not
    /// (<see cref="InvalidDataException"/>). The hashes themselves are taken as given: the caller checks them (a
    /// leaf against its entry, the root against a signed checkpoint).
    /// </summary>
    public void Restore(long size, BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var levelCount = reader.ReadInt32();
        var want = size == 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)size);
        if (levelCount != want) throw new InvalidDataException($"a tree of {size} leaves has {want} levels of stored hashes, the snapshot has {levelCount}");
        var levels = new List<List<byte[]>>(levelCount);
        var counts = new List<long>(levelCount);
        for (var l = 0; l < levelCount; l++)
        {
            var count = reader.ReadInt64();
            if (count != size >> l) throw new InvalidDataException($"level {l} of a tree of {size} leaves holds {size >> l} hashes, the snapshot has {count}");
            var chunks = new List<byte[]>((int)((count + HashesPerChunk - 1) / HashesPerChunk));
            for (var left = count * NodeHash.Size; left > 0;)
            {
                var n = (int)Math.Min(left, ChunkBytes);
                var chunk = new byte[ChunkBytes];
                if (reader.Read(chunk, 0, n) != n) throw new EndOfStreamException($"the snapshot's tree ends inside level {l}");
                chunks.Add(chunk);
                left -= n;
            }
            levels.Add(chunks);
            counts.Add(count);
        }
        var nodes = CompactRange.Nodes(size);
        lock (_lock)
        {
            if (_tree.Size != 0) throw new InvalidOperationException("only an empty tree can be restored");
            _levels.AddRange(levels);
            _counts.AddRange(counts);
            _tree = CompactRange.FromHashes(size, nodes.Select(NodeHashOfLocked).ToList());
        }
    }

    /// <summary>Empties the tree (a start-up that gave up on a restored tree replays every entry into it instead).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _levels.Clear();
            _counts.Clear();
            _tree = new CompactRange();
        }
    }

    private NodeHash NodeHashOfLocked(NodeId id)
    {
        var chunk = _levels[id.Level][(int)(id.Index / HashesPerChunk)];
        return NodeHash.FromBytes(chunk.AsSpan((int)(id.Index % HashesPerChunk) * NodeHash.Size, NodeHash.Size));
    }

    /// <summary>Appends the next leaf, given its entry bytes.</summary>
    public void AppendEntry(ReadOnlySpan<byte> entry) => Append(MerkleHash.Leaf(entry));

    /// <summary>Appends the next leaf, given its leaf hash.</summary>
    public void Append(NodeHash leafHash)
    {
        if (leafHash.IsDefault) throw new ArgumentException("a leaf hash is required", nameof(leafHash));
        lock (_lock) _tree.Append(leafHash, Store);
    }

    private void Store(NodeId id, NodeHash hash)
    {
        if (_levels.Count == id.Level)
        {
            _levels.Add([]);
            _counts.Add(0);
        }
        if (_counts[id.Level] != id.Index) throw new InvalidOperationException($"node {id} stored out of order");
        var offset = (int)(id.Index % HashesPerChunk);
        var chunks = _levels[id.Level];
        if (offset == 0) chunks.Add(new byte[ChunkBytes]);
        hash.Span.CopyTo(chunks[^1].AsSpan(offset * NodeHash.Size));
        _counts[id.Level]++;
    }

    /// <summary>
    /// The bytes of hash tile <paramref name="tile"/> (tree level 8·L), or null when the tree is not (yet) big enough
    /// for a tile of that width. A tile's content never changes once the tree has it.
    /// </summary>
    public byte[]? ReadHashTile(TileId tile)
    {
        if (tile.IsEntryBundle) throw new ArgumentException($"{tile.Path} is an entry bundle", nameof(tile));
        var level = tile.Level * TileMath.Height;
        lock (_lock)
        {
            if (level >= _levels.Count) return null;
            if (_counts[level] - (tile.Index * HashesPerChunk) < tile.Width) return null;
            return _levels[level][(int)tile.Index].AsSpan(0, tile.Width * NodeHash.Size).ToArray();
        }
    }

    /// <summary>The hash of complete subtree <paramref name="id"/> (it must lie inside the current tree).</summary>
    public NodeHash NodeHashOf(NodeId id)
    {
        lock (_lock)
        {
            if (id.Level >= _levels.Count || id.Index >= _counts[id.Level])
                throw new ArgumentOutOfRangeException(nameof(id), $"node {id} is not a complete subtree of the tree of size {_tree.Size}");
            var chunk = _levels[id.Level][(int)(id.Index / HashesPerChunk)];
            return NodeHash.FromBytes(chunk.AsSpan((int)(id.Index % HashesPerChunk) * NodeHash.Size, NodeHash.Size));
        }
    }

    /// <summary>Hashes of several subtrees (the shape <see cref="Proofs"/> fetches).</summary>
    public IReadOnlyList<NodeHash> NodeHashes(IReadOnlyList<NodeId> ids) => ids.Select(NodeHashOf).ToArray();

    /// <summary>The root of the tree of the first <paramref name="size"/> leaves.</summary>
    public NodeHash RootAt(long size)
    {
        CheckSize(size);
        return Proofs.Root(size, NodeHashes);
    }

    /// <summary>RFC 9162 inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public NodeHash[] InclusionProof(long index, long size)
    {
        CheckSize(size);
        return Proofs.Inclusion(index, size, NodeHashes);
    }

    /// <summary>RFC 9162 consistency proof between two sizes.</summary>
    public NodeHash[] ConsistencyProof(long size1, long size2)
    {
        CheckSize(size2);
        return Proofs.Consistency(size1, size2, NodeHashes);
    }

    private void CheckSize(long size)
    {
        var current = Size;
        if (size < 0 || size > current) throw new ArgumentOutOfRangeException(nameof(size), $"tree size {size} is not in [0, {current}]");
    }
}
