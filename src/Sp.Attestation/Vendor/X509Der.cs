using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sp.Attestation.Vendor;

/// <summary>
/// The three parts of a signed X.509 structure (certificate or CRL, RFC 5280 §4.1 / §5.1):
/// SEQUENCE { tbs, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }.
/// </summary>
internal sealed class SignedDer
{
    public const string OidEcdsaSha256 = "1.2.840.10045.4.3.2";
    public const string OidEcdsaSha384 = "1.2.840.10045.4.3.3";
    public const string OidRsaPss = "1.2.840.113549.1.1.10";

    private SignedDer(byte[] tbs, string algorithmOid, byte[] signature)
    {
        Tbs = tbs;
        AlgorithmOid = algorithmOid;
        Signature = signature;
    }

    public byte[] Tbs { get; }
    public string AlgorithmOid { get; }
    public byte[] Signature { get; }

    /// <summary>Splits <paramref name="der"/>; throws <see cref="CryptographicException"/> when it is not one DER SEQUENCE.</summary>
    public static SignedDer Split(ReadOnlyMemory<byte> der)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var seq = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbs = seq.ReadEncodedValue().ToArray();
            var alg = seq.ReadSequence();
            var oid = alg.ReadObjectIdentifier();
            var signature = seq.ReadBitString(out _);
            seq.ThrowIfNotEmpty();
            return new SignedDer(tbs, oid, signature);
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("not a DER signed structure: " + e.Message, e);
        }
    }

    /// <summary>True when <paramref name="issuerKey"/> signed this structure (ECDSA P-256/P-384 with SHA-256/384 only).</summary>
    public bool VerifiedByEcdsa(ECDsa issuerKey)
    {
        var hash = AlgorithmOid switch
        {
            OidEcdsaSha256 => HashAlgorithmName.SHA256,
            OidEcdsaSha384 => HashAlgorithmName.SHA384,
            _ => default,
        };
        return hash.Name is not null
            && issuerKey.VerifyData(Tbs, Signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>True when <paramref name="issuerKey"/> signed this structure with RSASSA-PSS, SHA-384, salt 48 (AMD KDS).</summary>
    public bool VerifiedByRsaPssSha384(RSA issuerKey) =>
        AlgorithmOid == OidRsaPss
        && issuerKey.VerifyData(Tbs, Signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
}

/// <summary>A parsed X.509 CRL (RFC 5280 §5): issuer, update times and revoked serial numbers, with its signature parts.</summary>
public sealed class CertificateRevocationList
{
    private readonly HashSet<BigInteger> _revoked;
    private readonly SignedDer _signed;

    private CertificateRevocationList(SignedDer signed, X500DistinguishedName issuer, DateTimeOffset thisUpdate,
        DateTimeOffset? nextUpdate, HashSet<BigInteger> revoked)
    {
        _signed = signed;
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        _revoked = revoked;
    }

    public X500DistinguishedName Issuer { get; }
    public DateTimeOffset ThisUpdate { get; }
    public DateTimeOffset? NextUpdate { get; }
    public int RevokedCount => _revoked.Count;

    /// <summary>Parses a DER CRL, or a PEM one ("-----BEGIN X509 CRL-----"); throws <see cref="AttestationException"/> ("malformed").</summary>
    public static CertificateRevocationList Parse(byte[] data)
    {
        var der = data;
        if (data.Length > 0 && data[0] == (byte)'-')
        {
            var text = System.Text.Encoding.ASCII.GetString(data);
            if (!PemEncoding.TryFind(text, out var fields))
                throw new AttestationException(AttestationReasons.Malformed, "CRL: PEM text without a PEM block");
            der = Convert.FromBase64String(text[fields.Base64Data]);
        }
        try
        {
            var signed = SignedDer.Split(der);
            var tbs = new AsnReader(signed.Tbs, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
                tbs.ReadInteger();
            tbs.ReadSequence();
            var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
            var thisUpdate = ReadTime(tbs);
            DateTimeOffset? nextUpdate = null;
            if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime)
                                || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
                nextUpdate = ReadTime(tbs);
            var revoked = new HashSet<BigInteger>();
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var list = tbs.ReadSequence();
                while (list.HasData)
                {
                    var entry = list.ReadSequence();
                    revoked.Add(entry.ReadInteger());
                }
            }
            return new CertificateRevocationList(signed, issuer, thisUpdate, nextUpdate, revoked);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new AttestationException(AttestationReasons.Malformed, "CRL: not a DER X.509 CRL: " + e.Message);
        }
    }

    /// <summary>True when the CRL is signed (ECDSA) by <paramref name="issuer"/> and names it as issuer.</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        using var key = issuer.GetECDsaPublicKey();
        return key is not null
            && issuer.SubjectName.RawData.AsSpan().SequenceEqual(Issuer.RawData)
            && _signed.VerifiedByEcdsa(key);
    }

    public bool IsRevoked(X509Certificate2 certificate) =>
        _revoked.Contains(new BigInteger(certificate.SerialNumberBytes.Span, isUnsigned: false, isBigEndian: true));

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
