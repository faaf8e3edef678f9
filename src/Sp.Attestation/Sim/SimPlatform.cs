using System.Security.Cryptography;
using Sp.Core;

namespace Sp.Attestation;

/// <summary>
/// The per-installation platform key (ECDSA P-256) that signs `sim` evidence. It plays the part the
/// hardware vendor's chain plays for TDX and SEV-SNP, without any of its guarantees: whoever holds this key
/// can forge evidence, so a policy names the platform keys it accepts (<see cref="AttestationPolicy.SimPlatformKeys"/>).
/// </summary>
public sealed class SimPlatform : IDisposable
{
    /// <summary>The OID of the NIST P-256 curve (secp256r1).</summary>
    internal const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly ECDsa _key;

    private SimPlatform(ECDsa key)
    {
        _key = key;
        PublicKeySpki = key.ExportSubjectPublicKeyInfo();
        PublicKeyId = KeyId(PublicKeySpki);
    }

    /// <summary>DER SubjectPublicKeyInfo of the platform key, as carried in every evidence it signs.</summary>
    public byte[] PublicKeySpki { get; }

    /// <summary>Lowercase hex SHA-256 of <see cref="PublicKeySpki"/>: what policies list.</summary>
    public string PublicKeyId { get; }

    public static SimPlatform Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a PKCS#8 (or SEC1) PEM private key; it must be a P-256 key.</summary>
    public static SimPlatform FromPem(string privateKeyPem)
    {
        ArgumentNullException.ThrowIfNull(privateKeyPem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(privateKeyPem);
            var curve = key.ExportParameters(false).Curve;
            if (curve.Oid?.Value != P256Oid)
                throw new ArgumentException(
                    $"sim platform key: expected an ECDSA P-256 key (curve {P256Oid}), got curve {curve.Oid?.Value ?? curve.Oid?.FriendlyName ?? "?"}",
                    nameof(privateKeyPem));
            return new SimPlatform(key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            if (e is ArgumentException) throw;
            throw new ArgumentException($"sim platform key: not a PEM EC private key ({e.Message})", nameof(privateKeyPem), e);
        }
    }

    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The platform key id of any SPKI: lowercase hex SHA-256 of its DER bytes.</summary>
    public static string KeyId(ReadOnlySpan<byte> spki) => Hex.Lower(SHA256.HashData(spki));

    internal byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => _key.Dispose();
}
