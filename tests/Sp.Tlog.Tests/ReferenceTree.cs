using System.Security.Cryptography;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>
/// RFC 9162 §2.1 followed literally (MTH, PATH, PROOF/SUBPROOF), with SHA-256 called directly so it shares no
/// code with the library. Only MTH is memoised, which does not change what it computes.
/// </summary>
internal sealed class ReferenceTree
{
    private readonly byte[][] _entries;
    private readonly Dictionary<(int, int), byte[]> _mth = [];

    public ReferenceTree(IEnumerable<byte[]> entries) => _entries = [.. entries];

    public int Count => _entries.Length;

    public static byte[] LeafHash(byte[] entry) => SHA256.HashData([0x00, .. entry]);

    public NodeHash Root(int n) => NodeHash.FromBytes(Mth(0, n));

    public NodeHash Leaf(int index) => NodeHash.FromBytes(Mth(index, index + 1));

    /// <summary>PATH(m, D[n]).</summary>
    public NodeHash[] InclusionProof(int m, int n) => [.. Path(m, 0, n).Select(h => NodeHash.FromBytes(h))];

    /// <summary>PROOF(m, D[n]).</summary>
    public NodeHash[] ConsistencyProof(int m, int n) => [.. SubProof(m, 0, n, true).Select(h => NodeHash.FromBytes(h))];

    private byte[] Mth(int lo, int hi)
    {
        if (_mth.TryGetValue((lo, hi), out var cached))
        {
            return cached;
        }
        var n = hi - lo;
        byte[] hash;
        if (n == 0)
        {
            hash = SHA256.HashData(ReadOnlySpan<byte>.Empty);
        }
        else if (n == 1)
        {
            hash = LeafHash(_entries[lo]);
        }
        else
        {
            var k = K(n);
            hash = SHA256.HashData([0x01, .. Mth(lo, lo + k), .. Mth(lo + k, hi)]);
        }
        _mth[(lo, hi)] = hash;
        return hash;
    }

    private List<byte[]> Path(int m, int lo, int hi)
    {
        var n = hi - lo;
        if (n == 1)
        {
            return [];
        }
        var k = K(n);
        if (m < k)
        {
            var path = Path(m, lo, lo + k);
            path.Add(Mth(lo + k, hi));
            return path;
        }
        var right = Path(m - k, lo + k, hi);
        right.Add(Mth(lo, lo + k));
        return right;
    }

    private List<byte[]> SubProof(int m, int lo, int hi, bool b)
    {
        var n = hi - lo;
        if (m == n)
        {
            return b ? [] : [Mth(lo, hi)];
        }
        var k = K(n);
        if (m <= k)
        {
            var proof = SubProof(m, lo, lo + k, b);
            proof.Add(Mth(lo + k, hi));
            return proof;
        }
        var rest = SubProof(m - k, lo + k, hi, false);
        rest.Add(Mth(lo, lo + k));
        return rest;
    }

    /// <summary>The largest power of two smaller than n.</summary>
    private static int K(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }
        return k;
    }
}
