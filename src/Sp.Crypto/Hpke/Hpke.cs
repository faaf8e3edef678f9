using System.Security.Cryptography;

namespace Sp.Crypto.Hpke;

/// <summary>
/// RFC 9180 single-shot HPKE in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM
/// (suite 0x0020/0x0001/0x0002). A sealed message is enc (the 32-byte ephemeral public key) || ciphertext
/// with its 16-byte tag.
/// </summary>
/// <remarks>
/// BouncyCastle's C# release (2.7.0) has no HPKE (only the Java one does), so the RFC's composition is written
/// here over .NET's HKDF and AES-GCM and BouncyCastle's X25519; it is checked against the RFC's vectors.
/// </remarks>
public static class Hpke
{
    public const int EncSize = 32;
    public const int TagSize = HpkeContext.Nt;
    private static readonly HpkeSuite Suite = new(HpkeKemId.DhKemX25519HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes256Gcm);

    /// <summary>Encrypts to <paramref name="recipientPublicKey"/>; returns enc || ciphertext || tag.</summary>
    /// <exception cref="ArgumentException">The public key is not 32 bytes or is a low-order point.</exception>
    public static byte[] Seal(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        if (recipientPublicKey.Length != HpkeKeyPair.KeySize)
            throw new ArgumentException($"recipient public key must be {HpkeKeyPair.KeySize} bytes, got {recipientPublicKey.Length}", nameof(recipientPublicKey));
        Span<byte> ikmE = stackalloc byte[HpkeKeyPair.KeySize];
        RandomNumberGenerator.Fill(ikmE);
        HpkeSetup setup;
        try
        {
            setup = Suite.SetupSender(HpkeMode.Base, recipientPublicKey, info, ikmE);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException("recipient public key is not usable for X25519 (low-order point)", nameof(recipientPublicKey), e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikmE);
        }
        var ciphertext = setup.Context.Seal(aad, plaintext);
        var sealedMessage = new byte[EncSize + ciphertext.Length];
        setup.Enc.CopyTo(sealedMessage, 0);
        ciphertext.CopyTo(sealedMessage, EncSize);
        return sealedMessage;
    }

    /// <summary>Decrypts a message from <see cref="Seal"/>; null on any failure (wrong key, info, aad, or bytes).</summary>
    public static byte[]? Open(ReadOnlySpan<byte> recipientPrivateKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedMessage)
    {
        if (recipientPrivateKey.Length != HpkeKeyPair.KeySize || sealedMessage.Length < EncSize + TagSize) return null;
        try
        {
            var setup = Suite.SetupRecipient(HpkeMode.Base, sealedMessage[..EncSize], recipientPrivateKey, info);
            return setup.Context.Open(aad, sealedMessage[EncSize..]);
        }
        catch (Exception)
        {
            return null; // one outcome for every failure: nothing to learn from which step refused
        }
    }
}
