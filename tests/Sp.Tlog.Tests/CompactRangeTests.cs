using Sp.Tlog;

namespace Sp.Tlog.Tests;

public sealed class CompactRangeTests
{
    private static readonly byte[][] Entries = Helpers.Entries(300);
    private static readonly ReferenceTree Reference = new(Entries);

    [Fact]
    public void Root_After_Every_Append_Matches_Reference()
    {
        var range = new CompactRange();
        Assert.Equal(MerkleHash.Empty, range.Root());
        for (var i = 0; i < Entries.Length; i++)
        {
            range.Append(MerkleHash.Leaf(Entries[i]));
            Assert.Equal(i + 1, range.Size);
            Assert.Equal(Reference.Root(i + 1), range.Root());
        }
    }

    [Fact]
    public void Reported_Nodes_Are_Every_Complete_Subtree_Once()
    {
        var seen = new Dictionary<NodeId, NodeHash>();
        var range = new CompactRange();
        foreach (var entry in Entries)
        {
            range.Append(MerkleHash.Leaf(entry), (id, hash) => seen.Add(id, hash));
        }
        // A tree of n leaves has n + (n >> 1) + (n >> 2) + ... complete subtrees.
        var want = 0L;
        for (long n = Entries.Length; n > 0; n >>= 1)
        {
            want += n;
        }
        Assert.Equal(want, seen.Count);
        var leafHashes = Entries.Select(e => MerkleHash.Leaf(e)).ToArray();
        foreach (var (id, hash) in seen)
        {
            Assert.Equal(MerkleHash.SubtreeHash(id, leafHashes), hash);
        }
    }

    [Fact]
    public void Resumes_From_Stored_Border_Nodes()
    {
        var stored = Helpers.StoredNodes(Entries);
        for (var size = 0; size < Entries.Length; size += 37)
        {
            var ids = CompactRange.Nodes(size);
            var range = CompactRange.FromHashes(size, [.. ids.Select(id => stored[id])]);
            Assert.Equal(Reference.Root(size), range.Root());
            range.Append(MerkleHash.Leaf(Entries[size]));
            Assert.Equal(Reference.Root(size + 1), range.Root());
            Assert.Equal(Reference.Root(size), Proofs.Root(size, Helpers.Fetch(stored)));
        }
        Assert.Throws<ArgumentException>(() => CompactRange.FromHashes(3, [MerkleHash.Empty]));
    }

    [Fact]
    public void Subtree_Hash_Checks_Coverage()
    {
        var leafHashes = Entries.Take(8).Select(e => MerkleHash.Leaf(e)).ToArray();
        Assert.Equal(Reference.Root(8), MerkleHash.SubtreeHash(new NodeId(3, 0), leafHashes));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleHash.SubtreeHash(new NodeId(3, 1), leafHashes));
    }
}
