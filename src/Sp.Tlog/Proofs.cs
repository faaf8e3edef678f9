using System.Numerics;

namespace Sp.Tlog;

/// <summary>
/// Which node hashes make up an inclusion or consistency proof (RFC 9162 §2.1.3 and §2.1.4), without
/// any storage: the caller fetches the hashes of <see cref="ProofNodes.Ids"/> (from a database, from
/// tiles, from memory) and turns them into the proof with <see cref="ProofNodes.Rehash"/>.
/// </summary>
public static class Proofs
{
    /// <summary>Nodes of the inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public static ProofNodes InclusionNodes(long index, long size)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf index {index} is out of range for tree size {size}, want 0 <= index < size");
        }
        // RFC 9162 PATH(m, D[lo:hi]), unrolled top-down; each step contributes the MTH of the sibling range.
        var ranges = new List<(long Begin, long End)>();
        long lo = 0, hi = size;
        while (hi - lo > 1)
        {
            var k = SplitPoint(hi - lo);
            if (index < lo + k)
            {
                ranges.Add((lo + k, hi));
                hi = lo + k;
            }
            else
            {
                ranges.Add((lo, lo + k));
                lo += k;
            }
        }
        ranges.Reverse(); // proofs list the sibling nearest the leaf first
        return ProofNodes.FromRanges(ranges);
    }

    /// <summary>Nodes of the consistency proof between tree sizes <paramref name="size1"/> and <paramref name="size2"/>.</summary>
    public static ProofNodes ConsistencyNodes(long size1, long size2)
    {
        if (size1 < 0 || size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"consistency needs 0 <= size1 <= size2, got size1 {size1} and size2 {size2}");
        }
        var ranges = new List<(long Begin, long End)>();
        if (size1 == 0 || size1 == size2)
        {
            return ProofNodes.FromRanges(ranges);
        }
        // RFC 9162 SUBPROOF(m, D[lo:hi], b), unrolled top-down.
        long lo = 0, hi = size2, m = size1;
        var complete = true; // b: the subtree D[lo:lo+m] is a subtree the old root already commits to
        while (m != hi - lo)
        {
            var k = SplitPoint(hi - lo);
            if (m <= k)
            {
                ranges.Add((lo + k, hi));
                hi = lo + k;
            }
            else
            {
                ranges.Add((lo, lo + k));
                lo += k;
                m -= k;
                complete = false;
            }
        }
        if (!complete)
        {
            ranges.Add((lo, hi));
        }
        ranges.Reverse();
        return ProofNodes.FromRanges(ranges);
    }

    /// <summary>
    /// Computes an inclusion proof by fetching node hashes through <paramref name="fetch"/>, which gets the
    /// IDs of <see cref="ProofNodes.Ids"/> and must return their hashes in the same order.
    /// </summary>
    public static NodeHash[] Inclusion(long index, long size, Func<IReadOnlyList<NodeId>, IReadOnlyList<NodeHash>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var nodes = InclusionNodes(index, size);
        return nodes.Rehash(fetch(nodes.Ids));
    }

    /// <summary>Computes a consistency proof by fetching node hashes through <paramref name="fetch"/>.</summary>
    public static NodeHash[] Consistency(long size1, long size2, Func<IReadOnlyList<NodeId>, IReadOnlyList<NodeHash>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var nodes = ConsistencyNodes(size1, size2);
        return nodes.Rehash(fetch(nodes.Ids));
    }

    /// <summary>Root of the tree of <paramref name="size"/> leaves from stored node hashes.</summary>
    public static NodeHash Root(long size, Func<IReadOnlyList<NodeId>, IReadOnlyList<NodeHash>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var ids = CompactRange.Nodes(size);
        var hashes = fetch(ids);
        ProofNodes.CheckFetched(ids.Count, hashes);
        return CompactRange.FromHashes(size, hashes).Root();
    }

    /// <summary>Number of hashes in the inclusion proof of <paramref name="index"/> in a tree of <paramref name="size"/> leaves, without allocating.</summary>
    public static int InclusionProofLength(long index, long size)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf index {index} is out of range for tree size {size}, want 0 <= index < size");
        }
        var (inner, border) = DecomposeInclusion(index, size);
        return inner + border;
    }

    /// <summary>Number of hashes in the consistency proof from <paramref name="size1"/> to <paramref name="size2"/>, without allocating.</summary>
    public static int ConsistencyProofLength(long size1, long size2)
    {
        if (size1 < 0 || size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"consistency needs 0 <= size1 <= size2, got size1 {size1} and size2 {size2}");
        }
        if (size1 == 0 || size1 == size2)
        {
            return 0;
        }
        // The proof is the inclusion proof of the largest complete subtree ending at size1 (whose own hash leads
        // unless size1 is a power of two, when the verifier already knows it as the old root).
        var (inner, border) = DecomposeInclusion(size1 - 1, size2);
        var shift = BitOperations.TrailingZeroCount(size1);
        return (BitOperations.IsPow2(size1) ? 0 : 1) + inner - shift + border;
    }

    /// <summary>
    /// Splits an inclusion proof into the part below the point where the leaf's path leaves the tree's right
    /// edge (inner) and the complete subtrees to the left above it (border).
    /// </summary>
    private static (int Inner, int Border) DecomposeInclusion(long index, long size)
    {
        var inner = 64 - BitOperations.LeadingZeroCount((ulong)(index ^ (size - 1)));
        var border = BitOperations.PopCount((ulong)index >> inner);
        return (inner, border);
    }

    /// <summary>RFC 9162: the largest power of two strictly smaller than <paramref name="n"/> (n &gt; 1).</summary>
    internal static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));
}

/// <summary>
/// The node IDs of one proof, in fetch order, and how to fold them into proof hashes: every proof element
/// is one complete subtree except at most one "ephemeral" element on the right edge of the tree, whose
/// hash is folded from the complete subtrees <c>[EphemeralBegin, EphemeralEnd)</c> of <see cref="Ids"/>.
/// </summary>
public sealed class ProofNodes
{
    private ProofNodes(IReadOnlyList<NodeId> ids, int ephemeralBegin, int ephemeralEnd, int proofLength)
    {
        Ids = ids;
        EphemeralBegin = ephemeralBegin;
        EphemeralEnd = ephemeralEnd;
        ProofLength = proofLength;
    }

    /// <summary>The complete subtrees whose hashes the caller must fetch, in this order.</summary>
    public IReadOnlyList<NodeId> Ids { get; }

    /// <summary>First index in <see cref="Ids"/> of the ephemeral element's parts (equal to <see cref="EphemeralEnd"/> if none).</summary>
    public int EphemeralBegin { get; }

    /// <summary>One past the last index in <see cref="Ids"/> of the ephemeral element's parts.</summary>
    public int EphemeralEnd { get; }

    /// <summary>Number of hashes in the finished proof.</summary>
    public int ProofLength { get; }

    /// <summary>Folds the fetched hashes (in <see cref="Ids"/> order) into the proof.</summary>
    public NodeHash[] Rehash(IReadOnlyList<NodeHash> hashes)
    {
        CheckFetched(Ids.Count, hashes);
        var proof = new NodeHash[ProofLength];
        var outIndex = 0;
        for (var i = 0; i < EphemeralBegin; i++)
        {
            proof[outIndex++] = hashes[i];
        }
        if (EphemeralEnd > EphemeralBegin)
        {
            // MTH of a range ending at the tree edge: right-fold its complete subtrees.
            var hash = hashes[EphemeralEnd - 1];
            for (var i = EphemeralEnd - 2; i >= EphemeralBegin; i--)
            {
                hash = MerkleHash.Node(hashes[i], hash);
            }
            proof[outIndex++] = hash;
        }
        for (var i = EphemeralEnd; i < Ids.Count; i++)
        {
            proof[outIndex++] = hashes[i];
        }
        return proof;
    }

    internal static void CheckFetched(int want, IReadOnlyList<NodeHash> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count != want)
        {
            throw new ArgumentException($"wrong number of fetched node hashes {hashes.Count}, want {want}", nameof(hashes));
        }
        for (var i = 0; i < hashes.Count; i++)
        {
            if (hashes[i].IsDefault)
            {
                throw new ArgumentException($"fetched node hash {i} is default(NodeHash)", nameof(hashes));
            }
        }
    }

    internal static ProofNodes FromRanges(List<(long Begin, long End)> ranges)
    {
        var ids = new List<NodeId>(ranges.Count + 4);
        int ephemeralBegin = -1, ephemeralEnd = -1;
        foreach (var (begin, end) in ranges)
        {
            var width = end - begin;
            if (BitOperations.IsPow2(width))
            {
                var level = BitOperations.Log2((ulong)width);
                ids.Add(new NodeId(level, begin >> level));
                continue;
            }
            // Not a complete subtree: only possible for the one range that ends at the tree's right edge.
            ephemeralBegin = ids.Count;
            var at = begin;
            for (var level = BitOperations.Log2((ulong)width); level >= 0; level--)
            {
                if ((width & (1L << level)) != 0)
                {
                    ids.Add(new NodeId(level, at >> level));
                    at += 1L << level;
                }
            }
            ephemeralEnd = ids.Count;
        }
        if (ephemeralBegin < 0)
        {
            ephemeralBegin = ephemeralEnd = ids.Count;
        }
        return new ProofNodes(ids, ephemeralBegin, ephemeralEnd, ranges.Count);
    }
}
