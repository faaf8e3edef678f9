using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sp.Certification;

/// <summary>
/// The 64 bytes of report data with which a TEE binds its three public keys into its evidence
/// (docs/formats-report.md):
/// <code>
/// report data = SHA-512("sp-tee-key-binding/v2" || u32be(len(spki)) || spki || u32be(len(enc)) || enc
///                                               || u32be(len(account)) || account)
/// </code>
/// where spki is the DER SubjectPublicKeyInfo of the TEE signing key (the key in its CSR and certificate),
/// enc the raw encryption public key (X25519, 32 bytes) and account the 20-byte ledger address of the TEE's
/// in-memory account key (the only key the ledger accepts for the TEE's order transactions).
/// </summary>
public static class TeeKeyBinding
{
    public const int Size = 64;
    public static ReadOnlySpan<byte> Label => "sp-tee-key-binding/v2"u8;

    public static byte[] ReportData(ReadOnlySpan<byte> signingKeySpki, ReadOnlySpan<byte> encryptionPublicKey, ReadOnlySpan<byte> accountAddress)
    {
        if (signingKeySpki.IsEmpty) throw new ArgumentException("signing key SPKI: expected DER bytes, got none", nameof(signingKeySpki));
        if (encryptionPublicKey.IsEmpty) throw new ArgumentException("encryption public key: expected bytes, got none", nameof(encryptionPublicKey));
        if (accountAddress.Length != SpExtensions.AccountAddressSize)
            throw new ArgumentException($"account address: expected {SpExtensions.AccountAddressSize} bytes, got {accountAddress.Length}", nameof(accountAddress));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        hash.AppendData(Label);
        AppendField(hash, signingKeySpki);
        AppendField(hash, encryptionPublicKey);
        AppendField(hash, accountAddress);
        return hash.GetHashAndReset();
    }

    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)field.Length);
        hash.AppendData(length);
        hash.AppendData(field);
    }
}
