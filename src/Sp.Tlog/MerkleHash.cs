using System.Buffers;
using System.Security.Cryptography;

namespace Sp.Tlog;

/// <summary>
/// RFC 6962 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256:
/// <code>
/// empty root = SHA-256("")
/// leaf hash  = SHA-256(0x00 || entry)
/// node hash  = SHA-256(0x01 || left || right)
/// </code>
/// </summary>
public static class MerkleHash
{
    /// <summary>Domain-separation prefix of a leaf hash.</summary>
    public const byte LeafPrefix = 0x00;

    /// <summary>Domain-separation prefix of an interior node hash.</summary>
    public const byte NodePrefix = 0x01;

    private const int StackLeafLimit = 1024;

    /// <summary>The root of the empty tree, SHA-256 of the empty string.</summary>
    public static NodeHash Empty { get; } = NodeHash.Wrap(SHA256.HashData(ReadOnlySpan<byte>.Empty));

    /// <summary>SHA-256(0x00 || entry).</summary>
    public static NodeHash Leaf(ReadOnlySpan<byte> entry)
    {
        var length = entry.Length + 1;
        byte[]? rented = null;
        var buffer = length <= StackLeafLimit ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            buffer[0] = LeafPrefix;
            entry.CopyTo(buffer[1..]);
            return NodeHash.Wrap(SHA256.HashData(buffer));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>SHA-256(0x01 || left || right).</summary>
    public static NodeHash Node(NodeHash left, NodeHash right)
    {
        RequireHash(left, nameof(left));
        RequireHash(right, nameof(right));
        Span<byte> buffer = stackalloc byte[1 + (2 * NodeHash.Size)];
        buffer[0] = NodePrefix;
        left.Span.CopyTo(buffer[1..]);
        right.Span.CopyTo(buffer[(1 + NodeHash.Size)..]);
        return NodeHash.Wrap(SHA256.HashData(buffer));
    }

    /// <summary>
    /// The RFC 6962 tree hash MTH over consecutive leaf hashes (any count, perfect or not). For the hash of
    /// a complete subtree <c>[level, index]</c> pass the <c>2^level</c> leaf hashes starting at
    /// <c>index &lt;&lt; level</c>, or use <see cref="SubtreeHash"/>.
    /// </summary>
    public static NodeHash RootOf(ReadOnlySpan<NodeHash> leafHashes)
    {
        var range = new CompactRange();
        foreach (var leaf in leafHashes)
        {
            range.Append(leaf);
        }
        return range.Root();
    }

    /// <summary>
    /// The hash of the complete subtree <paramref name="node"/>, computed from the level-0 hashes of the
    /// whole tree (<paramref name="leafHashes"/>[i] is the hash of leaf i).
    /// </summary>
    public static NodeHash SubtreeHash(NodeId node, ReadOnlySpan<NodeHash> leafHashes)
    {
        var (begin, end) = node.Coverage();
        if (end > leafHashes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(node), $"node {node} covers leaves [{begin}, {end}) but only {leafHashes.Length} leaf hashes were given");
        }
        return RootOf(leafHashes[(int)begin..(int)end]);
    }

    private static void RequireHash(NodeHash hash, string name)
    {
        if (hash.IsDefault)
        {
            throw new ArgumentException("a node hash is required, got default(NodeHash)", name);
        }
    }
}
