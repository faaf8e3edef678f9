using System.Security.Cryptography;

namespace Sp.Tlog;

/// <summary>
/// A 32-byte SHA-256 hash of a Merkle tree node: a leaf hash, an interior node hash or a tree root.
/// Immutable: the bytes are copied in and never handed out as a writable buffer.
/// </summary>
public readonly struct NodeHash : IEquatable<NodeHash>
{
    /// <summary>Size of a node hash in bytes (SHA-256).</summary>
    public const int Size = 32;

    private readonly byte[]? _bytes;

    private NodeHash(byte[] bytes) => _bytes = bytes;

    /// <summary>The hash bytes; empty for <c>default(NodeHash)</c>.</summary>
    public ReadOnlySpan<byte> Span => _bytes;

    /// <summary>True for <c>default(NodeHash)</c>, which holds no hash.</summary>
    public bool IsDefault => _bytes is null;

    /// <summary>Copies exactly <see cref="Size"/> bytes into a new hash.</summary>
    public static NodeHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a node hash is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }
        return new NodeHash(bytes.ToArray());
    }

    /// <summary>Takes ownership of a 32-byte array that no one else holds.</summary>
    internal static NodeHash Wrap(byte[] owned) => new(owned);

    /// <summary>Parses standard padded base64 of exactly 32 bytes, as in checkpoints and proofs.</summary>
    public static NodeHash FromBase64(string base64)
    {
        if (!TryFromBase64(base64, out var hash))
        {
            throw new FormatException($"expected standard base64 of a {Size}-byte hash, got \"{base64}\"");
        }
        return hash;
    }

    /// <summary>Parses canonical standard base64 (padded, no whitespace) of exactly 32 bytes.</summary>
    public static bool TryFromBase64(string? base64, out NodeHash hash)
    {
        hash = default;
        if (base64 is null || base64.Length != 44)
        {
            return false;
        }
        var buffer = new byte[Size];
        if (!Convert.TryFromBase64String(base64, buffer, out var written) || written != Size)
        {
            return false;
        }
        // Reject non-canonical encodings (non-zero trailing bits): accept only what we would write.
        if (!string.Equals(Convert.ToBase64String(buffer), base64, StringComparison.Ordinal))
        {
            return false;
        }
        hash = new NodeHash(buffer);
        return true;
    }

    /// <summary>Parses 64 hex digits.</summary>
    public static NodeHash FromHex(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        return FromBytes(bytes);
    }

    public byte[] ToArray() => Span.ToArray();

    public string ToBase64() => Convert.ToBase64String(Span);

    public string ToHex() => Convert.ToHexStringLower(Span);

    public bool Equals(NodeHash other) =>
        _bytes is null ? other._bytes is null
        : other._bytes is not null && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override bool Equals(object? obj) => obj is NodeHash other && Equals(other);

    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(_bytes, 0);

    public static bool operator ==(NodeHash left, NodeHash right) => left.Equals(right);

    public static bool operator !=(NodeHash left, NodeHash right) => !left.Equals(right);

    public override string ToString() => _bytes is null ? "(none)" : ToBase64();
}
