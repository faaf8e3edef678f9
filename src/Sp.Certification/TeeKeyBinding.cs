using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sp.Certification;

/// <summary>
/// The 64 bytes of report data with which a TEE binds its two public keys into its evidence
/// (docs/formats-report.md):
/// <code>
/// report data = SHA-512("sp-tee-key-binding/v1" || u32be(len(spki)) || spki || u32be(len(enc)) || enc)
/// </code>
/// where spki is the DER SubjectPublicKeyInfo of the TEE signing key (the key in its CSR and certificate)
/// and enc the raw encryption public key (X25519, 32 bytes).
/// </summary>
public static class TeeKeyBinding
{
    public const int Size = 64;
    public static ReadOnlySpan<byte> Label => "sp-tee-key-binding/v1"u8;

    public static byte[] ReportData(ReadOnlySpan<byte> signingKeySpki, ReadOnlySpan<byte> encryptionPublicKey)
    {
        if (signingKeySpki.IsEmpty) throw new ArgumentException("signing key SPKI: expected DER bytes, got none", nameof(signingKeySpki));
        if (encryptionPublicKey.IsEmpty) throw new ArgumentException("encryption public key: expected bytes, got none", nameof(encryptionPublicKey));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        Span<byte> length = stackalloc byte[4];
        hash.AppendData(Label);
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)signingKeySpki.Length);
        hash.AppendData(length);
        hash.AppendData(signingKeySpki);
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)encryptionPublicKey.Length);
        hash.AppendData(length);
        hash.AppendData(encryptionPublicKey);
        return hash.GetHashAndReset();
    }
}
