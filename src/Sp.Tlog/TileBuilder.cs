namespace Sp.Tlog;

/// <summary>
/// Builds every hash tile and entry bundle of a log from its entries, streaming: it keeps one tile's worth of
/// entries and hashes per level, so memory stays small for any log size. Pure: it reports tiles through
/// <see cref="TileReady"/> and writes nothing.
/// </summary>
public sealed class TileBuilder
{
    private readonly List<byte[]> _entries = new(TileMath.Width);
    private readonly List<List<NodeHash>> _levels = [];
    private readonly long[] _tileIndex = new long[TileId.MaxLevel + 1];
    private readonly CompactRange _tree = new();
    private bool _finished;

    /// <summary>Called for each finished hash tile or entry bundle, with its encoded bytes.</summary>
    public event Action<TileId, byte[]>? TileReady;

    /// <summary>Entries added so far.</summary>
    public long Size => _tree.Size;

    /// <summary>Adds the next entry. Full tiles are reported as soon as they are complete.</summary>
    public void Add(byte[] entry)
    {
        TileMath.CheckEntrySize(entry);
        if (_finished)
        {
            throw new InvalidOperationException("the tile builder is finished");
        }
        var leaf = MerkleHash.Leaf(entry);
        _tree.Append(leaf);
        _entries.Add(entry);
        if (_entries.Count == TileMath.Width)
        {
            TileReady?.Invoke(TileId.Entries(_tileIndex[0]), TileMath.FormatEntryBundle(_entries));
            _entries.Clear();
        }
        AddHash(0, leaf);
    }

    /// <summary>Reports the partial tiles of the final size and returns the tree root.</summary>
    public NodeHash Finish()
    {
        if (_finished)
        {
            throw new InvalidOperationException("the tile builder is already finished");
        }
        _finished = true;
        if (_entries.Count > 0)
        {
            TileReady?.Invoke(TileId.Entries(_tileIndex[0], _entries.Count), TileMath.FormatEntryBundle(_entries));
        }
        for (var level = 0; level < _levels.Count; level++)
        {
            var pending = _levels[level];
            if (pending.Count > 0)
            {
                TileReady?.Invoke(TileId.Hashes(level, _tileIndex[level], pending.Count), TileMath.FormatHashTile(pending));
            }
        }
        return _tree.Root();
    }

    private void AddHash(int level, NodeHash hash)
    {
        while (true)
        {
            if (_levels.Count == level)
            {
                _levels.Add(new List<NodeHash>(TileMath.Width));
            }
            var pending = _levels[level];
            pending.Add(hash);
            if (pending.Count < TileMath.Width)
            {
                return;
            }
            // A full tile: publish it, and its root becomes the next hash one tile level up.
            TileReady?.Invoke(TileId.Hashes(level, _tileIndex[level]), TileMath.FormatHashTile(pending));
            hash = MerkleHash.RootOf(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending));
            pending.Clear();
            _tileIndex[level]++;
            level++;
        }
    }
}
