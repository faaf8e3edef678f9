using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;

namespace Sp.Certification;

/// <summary>
/// DER codecs of our three certificate extensions (all non-critical), each a versioned SEQUENCE:
/// <code>
/// SpTeeEvidence      ::= SEQUENCE { version INTEGER (1), type UTF8String, data OCTET STRING }
/// SpTeeEncryptionKey ::= SEQUENCE { algorithm UTF8String ("X25519"), key OCTET STRING (SIZE (32)) }
/// SpOrderWorkload    ::= SEQUENCE { version INTEGER (1), orderId UTF8String, workloadDigest OCTET STRING (SIZE (32)) }
/// SpTeeAccount       ::= SEQUENCE { version INTEGER (1), address OCTET STRING (SIZE (20)) }
/// </code>
/// Decoding is DER-strict and rejects trailing bytes.
/// </summary>
public static class SpExtensions
{
    public const int Version = 1;
    public const string X25519 = "X25519";
    public const int EncryptionKeySize = 32;
    public const int WorkloadDigestSize = 32;
    public const int AccountAddressSize = 20;

    public static X509Extension EncodeEvidence(Evidence evidence)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, evidence.Type);
            writer.WriteOctetString(evidence.Data);
        }
        return new X509Extension(SpOids.TeeEvidence, writer.Encode(), critical: false);
    }

    public static Evidence DecodeEvidence(X509Certificate2 certificate)
    {
        var raw = Find(certificate, SpOids.TeeEvidence, CertificateReasons.EvidenceMissing, "attestation evidence");
        return Decode(raw, "evidence extension", reader =>
        {
            ReadVersion(reader, "evidence extension");
            var type = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            var data = reader.ReadOctetString();
            return new Evidence(type, data);
        });
    }

    public static X509Extension EncodeEncryptionKey(ReadOnlySpan<byte> key)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, X25519);
            writer.WriteOctetString(key);
        }
        return new X509Extension(SpOids.TeeEncryptionKey, writer.Encode(), critical: false);
    }

    public static byte[] DecodeEncryptionKey(X509Certificate2 certificate)
    {
        var raw = Find(certificate, SpOids.TeeEncryptionKey, CertificateReasons.EncryptionKeyMissing, "encryption key");
        return Decode(raw, "encryption key extension", reader =>
        {
            var algorithm = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            if (algorithm != X25519) throw Bad($"encryption key extension: algorithm expected {X25519}, got '{algorithm}'");
            var key = reader.ReadOctetString();
            if (key.Length != EncryptionKeySize)
                throw Bad($"encryption key extension: expected a {EncryptionKeySize}-byte key, got {key.Length} bytes");
            return key;
        });
    }

    public static X509Extension EncodeOrderWorkload(string orderId, ReadOnlySpan<byte> workloadDigest)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, orderId);
            writer.WriteOctetString(workloadDigest);
        }
        return new X509Extension(SpOids.OrderWorkload, writer.Encode(), critical: false);
    }

    public static (string OrderId, byte[] WorkloadDigest) DecodeOrderWorkload(X509Certificate2 certificate)
    {
        var raw = Find(certificate, SpOids.OrderWorkload, CertificateReasons.MalformedExtension, "order workload");
        return Decode(raw, "order workload extension", reader =>
        {
            ReadVersion(reader, "order workload extension");
            var orderId = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            var digest = reader.ReadOctetString();
            if (digest.Length != WorkloadDigestSize)
                throw Bad($"order workload extension: expected a {WorkloadDigestSize}-byte digest, got {digest.Length} bytes");
            return (orderId, digest);
        });
    }

    public static X509Extension EncodeTeeAccount(ReadOnlySpan<byte> address)
    {
        if (address.Length != AccountAddressSize)
            throw new ArgumentException($"TEE account: expected a {AccountAddressSize}-byte address, got {address.Length} bytes", nameof(address));
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteOctetString(address);
        }
        return new X509Extension(SpOids.TeeAccount, writer.Encode(), critical: false);
    }

    /// <summary>The TEE's ledger account address (20 bytes).</summary>
    public static byte[] DecodeTeeAccount(X509Certificate2 certificate)
    {
        var raw = Find(certificate, SpOids.TeeAccount, CertificateReasons.AccountMissing, "TEE account");
        return Decode(raw, "TEE account extension", reader =>
        {
            ReadVersion(reader, "TEE account extension");
            var address = reader.ReadOctetString();
            if (address.Length != AccountAddressSize)
                throw Bad($"TEE account extension: expected a {AccountAddressSize}-byte address, got {address.Length} bytes");
            return address;
        });
    }

    /// <summary>The TEE's ledger account as the ledger writes it: "0x" and 40 lowercase hex digits.</summary>
    public static string DecodeTeeAccountAddress(X509Certificate2 certificate) =>
        "0x" + Convert.ToHexStringLower(DecodeTeeAccount(certificate));

    private static byte[] Find(X509Certificate2 certificate, string oid, string missingReason, string what)
    {
        var matches = certificate.Extensions.Where(e => e.Oid?.Value == oid).ToList();
        return matches.Count switch
        {
            1 => matches[0].RawData,
            0 => throw new CertificateValidationException(missingReason,
                $"certificate '{certificate.Subject}' has no {what} extension ({oid})"),
            _ => throw Bad($"certificate '{certificate.Subject}' has {matches.Count} {what} extensions ({oid}), expected one"),
        };
    }

    private static T Decode<T>(byte[] raw, string what, Func<AsnReader, T> body)
    {
        try
        {
            var outer = new AsnReader(raw, AsnEncodingRules.DER);
            var reader = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var value = body(reader);
            reader.ThrowIfNotEmpty();
            return value;
        }
        catch (AsnContentException e)
        {
            throw Bad($"{what}: not valid DER ({e.Message})");
        }
    }

    private static void ReadVersion(AsnReader reader, string what)
    {
        if (!reader.TryReadInt32(out var version) || version != Version)
            throw Bad($"{what}: version expected {Version}");
    }

    private static CertificateValidationException Bad(string message) => new(CertificateReasons.MalformedExtension, message);
}
