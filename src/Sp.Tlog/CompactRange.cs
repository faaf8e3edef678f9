using System.Numerics;

namespace Sp.Tlog;

/// <summary>
/// The compact representation of a log tree of <see cref="Size"/> leaves: the hashes of the complete
/// subtrees that cover <c>[0, Size)</c>, largest (leftmost) first, one per set bit of the size. Appending a
/// leaf costs amortised O(1) hashes and the root costs O(log n), so a sequencer can keep this in memory
/// and persist only the nodes that <see cref="Append"/> reports.
/// </summary>
public sealed class CompactRange
{
    private readonly List<NodeHash> _hashes;

    /// <summary>An empty tree.</summary>
    public CompactRange()
    {
        _hashes = [];
    }

    private CompactRange(long size, List<NodeHash> hashes)
    {
        Size = size;
        _hashes = hashes;
    }

    /// <summary>Number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>Hashes of the subtrees listed by <see cref="Nodes(long)"/> for <see cref="Size"/>.</summary>
    public IReadOnlyList<NodeHash> Hashes => _hashes;

    /// <summary>
    /// The complete subtrees covering <c>[0, size)</c>, left to right (decreasing levels): the nodes a
    /// store must keep to resume appending with <see cref="FromHashes"/>.
    /// </summary>
    public static IReadOnlyList<NodeId> Nodes(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var ids = new List<NodeId>(BitOperations.PopCount((ulong)size));
        long begin = 0;
        for (var level = 63 - BitOperations.LeadingZeroCount((ulong)size); level >= 0; level--)
        {
            if ((size & (1L << level)) != 0)
            {
                ids.Add(new NodeId(level, begin >> level));
                begin += 1L << level;
            }
        }
        return ids;
    }

    /// <summary>Resumes a tree of <paramref name="size"/> leaves from the hashes of <see cref="Nodes(long)"/>.</summary>
    public static CompactRange FromHashes(long size, IReadOnlyList<NodeHash> hashes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(hashes);
        var want = BitOperations.PopCount((ulong)size);
        if (hashes.Count != want)
        {
            throw new ArgumentException($"a compact range of size {size} has {want} hashes, got {hashes.Count}", nameof(hashes));
        }
        if (hashes.Any(h => h.IsDefault))
        {
            throw new ArgumentException("compact range hashes must not be default(NodeHash)", nameof(hashes));
        }
        return new CompactRange(size, [.. hashes]);
    }

    /// <summary>A copy that can be appended to independently.</summary>
    public CompactRange Clone() => new(Size, [.. _hashes]);

    /// <summary>
    /// Appends the next leaf (its <see cref="MerkleHash.Leaf"/> hash). <paramref name="onNode"/>, if given,
    /// sees the leaf and then every complete subtree that this leaf completes, bottom-up: exactly the
    /// hashes a log store keeps (Go's tlog calls them "stored hashes").
    /// </summary>
    public void Append(NodeHash leafHash, Action<NodeId, NodeHash>? onNode = null)
    {
        if (leafHash.IsDefault)
        {
            throw new ArgumentException("a leaf hash is required, got default(NodeHash)", nameof(leafHash));
        }
        var index = Size;
        var level = 0;
        var hash = leafHash;
        onNode?.Invoke(new NodeId(0, index), hash);
        while ((index & 1) == 1)
        {
            var left = _hashes[^1];
            _hashes.RemoveAt(_hashes.Count - 1);
            hash = MerkleHash.Node(left, hash);
            index >>= 1;
            level++;
            onNode?.Invoke(new NodeId(level, index), hash);
        }
        _hashes.Add(hash);
        Size++;
    }

    /// <summary>The RFC 6962 root of the first <see cref="Size"/> leaves.</summary>
    public NodeHash Root()
    {
        if (_hashes.Count == 0)
        {
            return MerkleHash.Empty;
        }
        var root = _hashes[^1];
        for (var i = _hashes.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Node(_hashes[i], root);
        }
        return root;
    }
}
