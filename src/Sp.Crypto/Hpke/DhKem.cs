using System.Buffers.Binary;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Utilities;

namespace Sp.Crypto.Hpke;

/// <summary>A KEM key pair in its serialized form (RFC 9180 §4: SerializePrivateKey / SerializePublicKey).</summary>
internal readonly record struct KemKeyPair(byte[] PrivateKey, byte[] PublicKey);

/// <summary>
/// RFC 9180 §4.1 DHKEM over a Diffie-Hellman group, with HKDF-SHA256. The group operations come from
/// BouncyCastle (X25519, P-256); this class only composes them as the RFC says.
/// </summary>
internal abstract class DhKem
{
    public const int Nsecret = 32;

    public static readonly DhKem X25519 = new X25519Kem();
    public static readonly DhKem P256 = new P256Kem();

    public static DhKem For(HpkeKemId id) => id switch
    {
        HpkeKemId.DhKemX25519HkdfSha256 => X25519,
        HpkeKemId.DhKemP256HkdfSha256 => P256,
        _ => throw new NotSupportedException($"HPKE KEM 0x{(ushort)id:x4} is not supported"),
    };

    protected DhKem(HpkeKemId id)
    {
        Id = id;
        SuiteId = new byte[5];
        "KEM"u8.CopyTo(SuiteId);
        BinaryPrimitives.WriteUInt16BigEndian(SuiteId.AsSpan(3), (ushort)id);
    }

    public HpkeKemId Id { get; }
    /// <summary>suite_id = "KEM" || I2OSP(kem_id, 2).</summary>
    public byte[] SuiteId { get; }
    public abstract int Nenc { get; }
    public abstract int Nsk { get; }

    public abstract KemKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm);
    public abstract byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey);
    /// <summary>DH(skX, pkY); throws on an invalid public key or an all-zero result.</summary>
    protected abstract byte[] Dh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey);

    public (byte[] SharedSecret, byte[] Enc) Encap(ReadOnlySpan<byte> pkR, ReadOnlySpan<byte> ikmE)
    {
        var (skE, pkE) = DeriveKeyPair(ikmE);
        var dh = Dh(skE, pkR);
        return (ExtractAndExpand(dh, HpkeLabels.Concat(pkE, pkR.ToArray())), pkE);
    }

    public byte[] Decap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> skR)
    {
        var dh = Dh(skR, enc);
        return ExtractAndExpand(dh, HpkeLabels.Concat(enc.ToArray(), PublicKeyOf(skR)));
    }

    public (byte[] SharedSecret, byte[] Enc) AuthEncap(ReadOnlySpan<byte> pkR, ReadOnlySpan<byte> skS, ReadOnlySpan<byte> ikmE)
    {
        var (skE, pkE) = DeriveKeyPair(ikmE);
        var dh = HpkeLabels.Concat(Dh(skE, pkR), Dh(skS, pkR));
        return (ExtractAndExpand(dh, HpkeLabels.Concat(pkE, pkR.ToArray(), PublicKeyOf(skS))), pkE);
    }

    public byte[] AuthDecap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> skR, ReadOnlySpan<byte> pkS)
    {
        var dh = HpkeLabels.Concat(Dh(skR, enc), Dh(skR, pkS));
        return ExtractAndExpand(dh, HpkeLabels.Concat(enc.ToArray(), PublicKeyOf(skR), pkS.ToArray()));
    }

    /// <summary>eae_prk = LabeledExtract("", "eae_prk", dh); shared_secret = LabeledExpand(eae_prk, "shared_secret", kem_context, Nsecret).</summary>
    private byte[] ExtractAndExpand(byte[] dh, byte[] kemContext)
    {
        var eaePrk = HpkeLabels.Extract(SuiteId, [], "eae_prk"u8, dh);
        return HpkeLabels.Expand(SuiteId, eaePrk, "shared_secret"u8, kemContext, Nsecret);
    }

    private sealed class X25519Kem() : DhKem(HpkeKemId.DhKemX25519HkdfSha256)
    {
        public override int Nenc => 32;
        public override int Nsk => 32;

        /// <summary>§7.1.3: sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", Nsk).</summary>
        public override KemKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm)
        {
            var dkpPrk = HpkeLabels.Extract(SuiteId, [], "dkp_prk"u8, ikm);
            var sk = HpkeLabels.Expand(SuiteId, dkpPrk, "sk"u8, [], Nsk);
            return new KemKeyPair(sk, PublicKeyOf(sk));
        }

        public override byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey) =>
            new X25519PrivateKeyParameters(Checked(privateKey, Nsk, "X25519 private key")).GeneratePublicKey().GetEncoded();

        protected override byte[] Dh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
        {
            var sk = new X25519PrivateKeyParameters(Checked(privateKey, Nsk, "X25519 private key"));
            var pk = new X25519PublicKeyParameters(Checked(publicKey, Nenc, "X25519 public key"));
            var shared = new byte[32];
            sk.GenerateSecret(pk, shared, 0); // BouncyCastle refuses the all-zero output (RFC 9180 §7.1.4)
            return shared;
        }
    }

    private sealed class P256Kem() : DhKem(HpkeKemId.DhKemP256HkdfSha256)
    {
        private const int ScalarSize = 32;
        private const byte Bitmask = 0xFF; // §7.1.3, P-256
        private static readonly X9ECParameters Curve = ECNamedCurveTable.GetByName("P-256");
        private static readonly ECDomainParameters Domain = new(Curve);

        public override int Nenc => 65;
        public override int Nsk => ScalarSize;

        /// <summary>§7.1.3: candidates LabeledExpand(dkp_prk, "candidate", I2OSP(counter, 1), Nsk) until one is in [1, n).</summary>
        public override KemKeyPair DeriveKeyPair(ReadOnlySpan<byte> ikm)
        {
            var dkpPrk = HpkeLabels.Extract(SuiteId, [], "dkp_prk"u8, ikm);
            for (var counter = 0; counter <= byte.MaxValue; counter++)
            {
                var bytes = HpkeLabels.Expand(SuiteId, dkpPrk, "candidate"u8, [(byte)counter], Nsk);
                bytes[0] &= Bitmask;
                var sk = new BigInteger(1, bytes);
                if (sk.SignValue != 0 && sk.CompareTo(Domain.N) < 0)
                    return new KemKeyPair(bytes, PublicKeyOf(bytes));
            }
            throw new InvalidOperationException("DeriveKeyPairError: no valid P-256 scalar in 256 candidates");
        }

        public override byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey) =>
            Domain.G.Multiply(Scalar(privateKey)).Normalize().GetEncoded(compressed: false);

        protected override byte[] Dh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
        {
            var point = Domain.Curve.DecodePoint(Checked(publicKey, Nenc, "P-256 public key")); // validates the point
            var agreement = new ECDHBasicAgreement();
            agreement.Init(new ECPrivateKeyParameters(Scalar(privateKey), Domain));
            var z = agreement.CalculateAgreement(new ECPublicKeyParameters(point, Domain));
            return BigIntegers.AsUnsignedByteArray(ScalarSize, z);
        }

        private BigInteger Scalar(ReadOnlySpan<byte> privateKey)
        {
            var d = new BigInteger(1, Checked(privateKey, Nsk, "P-256 private key"));
            if (d.SignValue == 0 || d.CompareTo(Domain.N) >= 0)
                throw new ArgumentException("P-256 private key is not in [1, n)");
            return d;
        }
    }

    private static byte[] Checked(ReadOnlySpan<byte> key, int expected, string what) =>
        key.Length == expected ? key.ToArray() : throw new ArgumentException($"{what} must be {expected} bytes, got {key.Length}");
}
