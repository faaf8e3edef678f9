using System.Buffers.Binary;

namespace Sp.Tlog;

/// <summary>Tile geometry of C2SP tlog-tiles (tile height 8) and the tile wire formats.</summary>
public static class TileMath
{
    /// <summary>Tree levels per tile level.</summary>
    public const int Height = 8;

    /// <summary>Hashes (or entries) in a full tile: 2^<see cref="Height"/>.</summary>
    public const int Width = 1 << Height;

    /// <summary>Largest entry an entry bundle can hold (its length prefix is a big-endian uint16).</summary>
    public const int MaxEntrySize = ushort.MaxValue;

    private const int EntryLengthSize = sizeof(ushort);

    /// <summary>
    /// Every hash tile a tree of <paramref name="treeSize"/> leaves publishes: at each level, the full tiles
    /// and the one partial tile its size needs, lowest level first.
    /// </summary>
    public static IEnumerable<TileId> HashTiles(long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        for (var level = 0; level <= TileId.MaxLevel && (treeSize >> (Height * level)) > 0; level++)
        {
            var count = treeSize >> (Height * level);
            for (long n = 0; n * Width < count; n++)
            {
                yield return TileId.Hashes(level, n, (int)Math.Min(Width, count - (n * Width)));
            }
        }
    }

    /// <summary>Every entry bundle of a tree of <paramref name="treeSize"/> leaves.</summary>
    public static IEnumerable<TileId> EntryBundles(long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        for (long n = 0; n * Width < treeSize; n++)
        {
            yield return TileId.Entries(n, (int)Math.Min(Width, treeSize - (n * Width)));
        }
    }

    /// <summary>
    /// The hash tiles and entry bundles a tree of <paramref name="newSize"/> leaves publishes that one of
    /// <paramref name="oldSize"/> did not (a path once published never changes: a partial tile that grew is a new
    /// path, <c>N.p/W</c> with a larger W, or the full <c>N</c>). What a static copy of the log must add as it grows.
    /// </summary>
    public static IEnumerable<TileId> TilesAddedBetween(long oldSize, long newSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(oldSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(newSize, oldSize);
        for (var level = 0; level <= TileId.MaxLevel && (newSize >> (Height * level)) > 0; level++)
        {
            foreach (var n in AddedAt(oldSize >> (Height * level), newSize >> (Height * level)))
            {
                yield return TileId.Hashes(level, n.Index, n.Width);
            }
        }
        foreach (var n in AddedAt(oldSize, newSize))
        {
            yield return TileId.Entries(n.Index, n.Width);
        }
    }

    /// <summary>Tiles of a row of <paramref name="newCount"/> hashes not in a row of <paramref name="oldCount"/>.</summary>
    private static IEnumerable<(long Index, int Width)> AddedAt(long oldCount, long newCount)
    {
        for (var n = oldCount / Width; n * Width < newCount; n++)
        {
            var width = (int)Math.Min(Width, newCount - (n * Width));
            var oldWidth = Math.Min(Width, oldCount - (n * Width));
            if (width != oldWidth)
            {
                yield return (n, width);
            }
        }
    }

    /// <summary>
    /// The hash tile of a tree of <paramref name="treeSize"/> leaves from which <paramref name="node"/>'s hash is
    /// computed, and which of its hashes: <c>MerkleHash.RootOf(tileHashes[offset..offset+count])</c>.
    /// </summary>
    public static TileId TileForNode(NodeId node, long treeSize, out int offset, out int count)
    {
        var (_, end) = node.Coverage();
        if (end > treeSize || end <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(node), $"node {node} is not a complete subtree of a tree of size {treeSize}");
        }
        var tileLevel = node.Level / Height;
        var subLevel = node.Level % Height;
        var first = node.Index << subLevel; // index of the first hash at tree level Height·tileLevel
        var tileIndex = first / Width;
        var available = (treeSize >> (Height * tileLevel)) - (tileIndex * Width);
        offset = (int)(first % Width);
        count = 1 << subLevel;
        return TileId.Hashes(tileLevel, tileIndex, (int)Math.Min(Width, available));
    }

    /// <summary>Decodes a hash tile: exactly Width × 32 bytes.</summary>
    public static NodeHash[] ParseHashTile(TileId tile, ReadOnlySpan<byte> data)
    {
        if (tile.IsEntryBundle)
        {
            throw new ArgumentException($"{tile.Path} is an entry bundle, not a hash tile", nameof(tile));
        }
        var want = tile.Width * NodeHash.Size;
        if (data.Length != want)
        {
            throw new TileException(tile.Path, $"wrong hash tile size {data.Length} bytes, want {want}");
        }
        var hashes = new NodeHash[tile.Width];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = NodeHash.FromBytes(data.Slice(i * NodeHash.Size, NodeHash.Size));
        }
        return hashes;
    }

    /// <summary>Encodes hashes as a hash tile (their concatenation).</summary>
    public static byte[] FormatHashTile(IReadOnlyList<NodeHash> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var data = new byte[hashes.Count * NodeHash.Size];
        for (var i = 0; i < hashes.Count; i++)
        {
            hashes[i].Span.CopyTo(data.AsSpan(i * NodeHash.Size));
        }
        return data;
    }

    /// <summary>Decodes an entry bundle of exactly <c>tile.Width</c> entries, each a big-endian uint16 length and bytes.</summary>
    public static byte[][] ParseEntryBundle(TileId tile, ReadOnlySpan<byte> data)
    {
        if (!tile.IsEntryBundle)
        {
            throw new ArgumentException($"{tile.Path} is a hash tile, not an entry bundle", nameof(tile));
        }
        var entries = new byte[tile.Width][];
        var at = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            if (data.Length - at < EntryLengthSize)
            {
                throw new TileException(tile.Path, $"entry bundle ends inside the length of entry {i}, want {tile.Width} entries");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            at += EntryLengthSize;
            if (data.Length - at < length)
            {
                throw new TileException(tile.Path, $"entry {i} claims {length} bytes but only {data.Length - at} remain");
            }
            entries[i] = data.Slice(at, length).ToArray();
            at += length;
        }
        if (at != data.Length)
        {
            throw new TileException(tile.Path, $"{data.Length - at} trailing bytes after {tile.Width} entries");
        }
        return entries;
    }

    /// <summary>Encodes entries as an entry bundle.</summary>
    public static byte[] FormatEntryBundle(IReadOnlyList<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var total = 0;
        foreach (var entry in entries)
        {
            CheckEntrySize(entry);
            total += EntryLengthSize + entry.Length;
        }
        var data = new byte[total];
        var at = 0;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(at), (ushort)entry.Length);
            at += EntryLengthSize;
            entry.CopyTo(data, at);
            at += entry.Length;
        }
        return data;
    }

    internal static void CheckEntrySize(byte[] entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Length > MaxEntrySize)
        {
            throw new ArgumentException($"log entry is {entry.Length} bytes, an entry bundle holds at most {MaxEntrySize}", nameof(entry));
        }
    }
}
