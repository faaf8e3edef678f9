using System.Buffers.Binary;

namespace Sp.Crypto.Hpke;

/// <summary>The values a key schedule produces besides the context, exposed for test vectors.</summary>
internal sealed record HpkeSetup(byte[] Enc, byte[] SharedSecret, byte[] KeyScheduleContext, byte[] Secret, HpkeContext Context);

/// <summary>
/// RFC 9180 cipher suite: a DHKEM with HKDF-SHA256, HKDF-SHA256, and an AEAD; all four modes (§5.1).
/// The sender's ephemeral key comes from ikmE through DeriveKeyPair, so a test can fix it; callers pass
/// 32 fresh random bytes otherwise (§7.1.3 GenerateKeyPair = DeriveKeyPair(random(Nsk))).
/// </summary>
internal sealed class HpkeSuite
{
    public HpkeSuite(HpkeKemId kem, HpkeKdfId kdf, HpkeAeadId aead)
    {
        if (kdf != HpkeKdfId.HkdfSha256) throw new NotSupportedException($"HPKE KDF 0x{(ushort)kdf:x4} is not supported");
        Kem = DhKem.For(kem);
        Kdf = kdf;
        Aead = aead;
        _ = HpkeContext.KeySize(aead);
        SuiteId = new byte[10];
        "HPKE"u8.CopyTo(SuiteId);
        BinaryPrimitives.WriteUInt16BigEndian(SuiteId.AsSpan(4), (ushort)kem);
        BinaryPrimitives.WriteUInt16BigEndian(SuiteId.AsSpan(6), (ushort)kdf);
        BinaryPrimitives.WriteUInt16BigEndian(SuiteId.AsSpan(8), (ushort)aead);
    }

    public DhKem Kem { get; }
    public HpkeKdfId Kdf { get; }
    public HpkeAeadId Aead { get; }
    /// <summary>suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2).</summary>
    public byte[] SuiteId { get; }

    /// <summary>SetupBaseS / SetupPSKS / SetupAuthS / SetupAuthPSKS, chosen by <paramref name="mode"/>.</summary>
    public HpkeSetup SetupSender(HpkeMode mode, ReadOnlySpan<byte> pkR, ReadOnlySpan<byte> info, ReadOnlySpan<byte> ikmE,
        ReadOnlySpan<byte> psk = default, ReadOnlySpan<byte> pskId = default, ReadOnlySpan<byte> skS = default)
    {
        var (sharedSecret, enc) = IsAuth(mode) ? Kem.AuthEncap(pkR, skS, ikmE) : Kem.Encap(pkR, ikmE);
        return KeySchedule(mode, enc, sharedSecret, info, psk, pskId);
    }

    /// <summary>SetupBaseR / SetupPSKR / SetupAuthR / SetupAuthPSKR, chosen by <paramref name="mode"/>.</summary>
    public HpkeSetup SetupRecipient(HpkeMode mode, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> skR, ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> psk = default, ReadOnlySpan<byte> pskId = default, ReadOnlySpan<byte> pkS = default)
    {
        var sharedSecret = IsAuth(mode) ? Kem.AuthDecap(enc, skR, pkS) : Kem.Decap(enc, skR);
        return KeySchedule(mode, enc.ToArray(), sharedSecret, info, psk, pskId);
    }

    private static bool IsAuth(HpkeMode mode) => mode is HpkeMode.Auth or HpkeMode.AuthPsk;

    /// <summary>§5.1 KeySchedule.</summary>
    private HpkeSetup KeySchedule(HpkeMode mode, byte[] enc, byte[] sharedSecret, ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> psk, ReadOnlySpan<byte> pskId)
    {
        VerifyPskInputs(mode, psk, pskId);
        // psk_id_hash = LabeledExtract("", "psk_id_hash", psk_id); info_hash = LabeledExtract("", "info_hash", info)
        var pskIdHash = HpkeLabels.Extract(SuiteId, [], "psk_id_hash"u8, pskId);
        var infoHash = HpkeLabels.Extract(SuiteId, [], "info_hash"u8, info);
        // key_schedule_context = mode || psk_id_hash || info_hash
        var context = HpkeLabels.Concat([(byte)mode], pskIdHash, infoHash);
        // secret = LabeledExtract(shared_secret, "secret", psk)
        var secret = HpkeLabels.Extract(SuiteId, sharedSecret, "secret"u8, psk);
        var key = HpkeLabels.Expand(SuiteId, secret, "key"u8, context, HpkeContext.KeySize(Aead));
        var baseNonce = HpkeLabels.Expand(SuiteId, secret, "base_nonce"u8, context, HpkeContext.Nn);
        var exporterSecret = HpkeLabels.Expand(SuiteId, secret, "exp"u8, context, HpkeLabels.Nh);
        return new HpkeSetup(enc, sharedSecret, context, secret, new HpkeContext(Aead, SuiteId, key, baseNonce, exporterSecret));
    }

    /// <summary>§5.1 VerifyPSKInputs: a PSK and its id come together, and only in the PSK modes.</summary>
    private static void VerifyPskInputs(HpkeMode mode, ReadOnlySpan<byte> psk, ReadOnlySpan<byte> pskId)
    {
        var gotPsk = !psk.IsEmpty;
        if (gotPsk != !pskId.IsEmpty) throw new ArgumentException("HPKE: psk and psk_id must both be given or both be empty");
        var pskMode = mode is HpkeMode.Psk or HpkeMode.AuthPsk;
        if (gotPsk != pskMode)
            throw new ArgumentException(pskMode ? $"HPKE mode {mode} needs a psk" : $"HPKE mode {mode} takes no psk");
    }
}
