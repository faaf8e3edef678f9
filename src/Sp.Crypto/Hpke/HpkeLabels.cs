using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sp.Crypto.Hpke;

/// <summary>RFC 9180 §4: LabeledExtract and LabeledExpand over HKDF-SHA256 (the only KDF we offer).</summary>
internal static class HpkeLabels
{
    public const int Nh = 32; // SHA-256 output size
    private static ReadOnlySpan<byte> Version => "HPKE-v1"u8;

    /// <summary>LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm).</summary>
    public static byte[] Extract(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm)
    {
        var labeledIkm = Concat(Version, suiteId, label, ikm);
        var prk = new byte[Nh];
        HKDF.Extract(HashAlgorithmName.SHA256, labeledIkm, salt, prk);
        CryptographicOperations.ZeroMemory(labeledIkm);
        return prk;
    }

    /// <summary>LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).</summary>
    public static byte[] Expand(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, int length)
    {
        if (length is < 0 or > 255 * Nh or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"HKDF-SHA256 expands to at most {255 * Nh} bytes");
        Span<byte> l = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(l, (ushort)length);
        var labeledInfo = Concat(l, Version, suiteId, label, info);
        var okm = new byte[length];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, labeledInfo);
        return okm;
    }

    public static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        var total = 0;
        foreach (var p in parts) total += p.Length;
        var result = new byte[total];
        var offset = 0;
        foreach (var p in parts) { p.CopyTo(result, offset); offset += p.Length; }
        return result;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length];
        a.CopyTo(result); b.CopyTo(result.AsSpan(a.Length)); c.CopyTo(result.AsSpan(a.Length + b.Length));
        d.CopyTo(result.AsSpan(a.Length + b.Length + c.Length));
        return result;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d, ReadOnlySpan<byte> e)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length + e.Length];
        var o = 0;
        a.CopyTo(result.AsSpan(o)); o += a.Length;
        b.CopyTo(result.AsSpan(o)); o += b.Length;
        c.CopyTo(result.AsSpan(o)); o += c.Length;
        d.CopyTo(result.AsSpan(o)); o += d.Length;
        e.CopyTo(result.AsSpan(o));
        return result;
    }
}
