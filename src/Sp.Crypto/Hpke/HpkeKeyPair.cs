using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Sp.Crypto.Hpke;

/// <summary>An X25519 key pair for <see cref="Hpke"/> (DHKEM(X25519, HKDF-SHA256)): 32-byte keys.</summary>
public sealed class HpkeKeyPair
{
    public const int KeySize = 32;

    private HpkeKeyPair(byte[] privateKey, byte[] publicKey)
    {
        PrivateKey = privateKey;
        PublicKey = publicKey;
    }

    public byte[] PublicKey { get; }
    public byte[] PrivateKey { get; }

    public static HpkeKeyPair Generate()
    {
        var sk = new X25519PrivateKeyParameters(new SecureRandom());
        return new HpkeKeyPair(sk.GetEncoded(), sk.GeneratePublicKey().GetEncoded());
    }

    public static HpkeKeyPair FromPrivateKey(byte[] privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (privateKey.Length != KeySize)
            throw new ArgumentException($"X25519 private key must be {KeySize} bytes, got {privateKey.Length}", nameof(privateKey));
        var copy = (byte[])privateKey.Clone();
        return new HpkeKeyPair(copy, DhKem.X25519.PublicKeyOf(copy));
    }
}
