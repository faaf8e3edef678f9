using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sp.Crypto.Hpke;

/// <summary>
/// RFC 9180 §5.2 encryption context: key, base_nonce, sequence number and exporter secret. One context
/// serves one direction; the sequence number advances on every successful Seal or Open.
/// </summary>
internal sealed class HpkeContext
{
    public const int Nn = 12;
    public const int Nt = 16;

    private readonly byte[] _suiteId;
    private ulong _sequence;

    public HpkeContext(HpkeAeadId aead, byte[] suiteId, byte[] key, byte[] baseNonce, byte[] exporterSecret)
    {
        Aead = aead;
        _suiteId = suiteId;
        Key = key;
        BaseNonce = baseNonce;
        ExporterSecret = exporterSecret;
    }

    public HpkeAeadId Aead { get; }
    public byte[] Key { get; }
    public byte[] BaseNonce { get; }
    public byte[] ExporterSecret { get; }
    public ulong Sequence => _sequence;

    public static int KeySize(HpkeAeadId aead) => aead switch
    {
        HpkeAeadId.Aes128Gcm => 16,
        HpkeAeadId.Aes256Gcm => 32,
        HpkeAeadId.ChaCha20Poly1305 => 32,
        _ => throw new NotSupportedException($"HPKE AEAD 0x{(ushort)aead:x4} is not supported"),
    };

    /// <summary>Seal(aad, pt): ct = AEAD.Seal(key, ComputeNonce(seq), aad, pt), ciphertext || 16-byte tag.</summary>
    public byte[] Seal(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var nonce = ComputeNonce();
        var sealedMessage = new byte[plaintext.Length + Nt];
        var ciphertext = sealedMessage.AsSpan(0, plaintext.Length);
        var tag = sealedMessage.AsSpan(plaintext.Length);
        switch (Aead)
        {
            case HpkeAeadId.ChaCha20Poly1305:
                using (var c = new ChaCha20Poly1305(Key)) c.Encrypt(nonce, plaintext, ciphertext, tag, aad);
                break;
            default:
                using (var g = new AesGcm(Key, Nt)) g.Encrypt(nonce, plaintext, ciphertext, tag, aad);
                break;
        }
        IncrementSequence();
        return sealedMessage;
    }

    /// <summary>Open(aad, ct): null when authentication fails; the sequence number then stays where it was.</summary>
    public byte[]? Open(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedMessage)
    {
        if (sealedMessage.Length < Nt) return null;
        var nonce = ComputeNonce();
        var plaintext = new byte[sealedMessage.Length - Nt];
        var ciphertext = sealedMessage[..^Nt];
        var tag = sealedMessage[^Nt..];
        try
        {
            switch (Aead)
            {
                case HpkeAeadId.ChaCha20Poly1305:
                    using (var c = new ChaCha20Poly1305(Key)) c.Decrypt(nonce, ciphertext, tag, plaintext, aad);
                    break;
                default:
                    using (var g = new AesGcm(Key, Nt)) g.Decrypt(nonce, ciphertext, tag, plaintext, aad);
                    break;
            }
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        IncrementSequence();
        return plaintext;
    }

    /// <summary>§5.3: Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L).</summary>
    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length) =>
        HpkeLabels.Expand(_suiteId, ExporterSecret, "sec"u8, exporterContext, length);

    /// <summary>ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn).</summary>
    private byte[] ComputeNonce()
    {
        var nonce = new byte[Nn];
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(Nn - sizeof(ulong)), _sequence);
        for (var i = 0; i < Nn; i++) nonce[i] ^= BaseNonce[i];
        return nonce;
    }

    private void IncrementSequence()
    {
        // Nn = 12 allows 2^96 - 1 messages; a ulong counter ends first. Refuse to wrap (MessageLimitReachedError).
        if (_sequence == ulong.MaxValue) throw new CryptographicException("HPKE message limit reached");
        _sequence++;
    }
}
