using Sp.Tlog;

namespace Sp.Tlog.Tests;

internal static class Helpers
{
    /// <summary>The hash with one bit flipped.</summary>
    public static NodeHash Flip(NodeHash hash, int bit = 0)
    {
        var bytes = hash.ToArray();
        bytes[bit / 8 % NodeHash.Size] ^= (byte)(1 << (bit % 8));
        return NodeHash.FromBytes(bytes);
    }

    /// <summary>A tree of the given entries with every complete subtree's hash stored, as a log store keeps them.</summary>
    public static Dictionary<NodeId, NodeHash> StoredNodes(IEnumerable<byte[]> entries)
    {
        var nodes = new Dictionary<NodeId, NodeHash>();
        var range = new CompactRange();
        foreach (var entry in entries)
        {
            range.Append(MerkleHash.Leaf(entry), (id, hash) => nodes.Add(id, hash));
        }
        return nodes;
    }

    public static Func<IReadOnlyList<NodeId>, IReadOnlyList<NodeHash>> Fetch(Dictionary<NodeId, NodeHash> nodes) =>
        ids => [.. ids.Select(id => nodes[id])];

    public static byte[][] Entries(int count) =>
        [.. Enumerable.Range(0, count).Select(i => System.Text.Encoding.UTF8.GetBytes($"entry {i}"))];
}
