using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;

namespace Sp.Certification;

/// <summary>
/// The certification system's root (ECDSA P-384, self-signed). It issues a TEE an intermediate CA
/// certificate only after checking the TEE's evidence against policy and its binding to the CSR's key and
/// the TEE's encryption key; the evidence and encryption key travel in the certificate (<see cref="SpOids"/>).
/// </summary>
public sealed class RootCa : IDisposable
{
    /// <summary>Root -> TEE intermediate -> order leaf: one CA below the root.</summary>
    public const int RootPathLength = 1;
    public static readonly TimeSpan RootLifetime = TimeSpan.FromDays(20 * 365);
    /// <summary>Certificates start this much before "now", for clocks a little behind.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private const int SerialSize = 16;
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";

    private readonly ECDsa _key;
    private readonly X509Certificate2 _signer;

    private RootCa(ECDsa key, X509Certificate2 certificate)
    {
        _key = key;
        Certificate = certificate;
        _signer = certificate.CopyWithPrivateKey(key);
        CertificatePem = Pem.Join([certificate]);
    }

    /// <summary>The root certificate, without its private key: what everyone pins.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem { get; }

    public static RootCa Create(string commonName, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, RootPathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        using var selfSigned = request.CreateSelfSigned(now - ClockSkew, now + RootLifetime);
        return new RootCa(key, X509CertificateLoader.LoadCertificate(selfSigned.RawData));
    }

    public static RootCa FromPem(string certificatePem, string privateKeyPem)
    {
        var certificates = Pem.ReadCertificates(certificatePem);
        if (certificates.Count != 1)
            throw new ArgumentException($"root certificate PEM: expected one certificate, got {certificates.Count}", nameof(certificatePem));
        var certificate = certificates[0];
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(privateKeyPem);
            if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
                throw new ArgumentException($"root private key does not match the certificate '{certificate.Subject}'", nameof(privateKeyPem));
            if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
                throw new ArgumentException($"certificate '{certificate.Subject}' is not a CA certificate", nameof(certificatePem));
            return new RootCa(key, certificate);
        }
        catch
        {
            key.Dispose();
            certificate.Dispose();
            throw;
        }
    }

    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>
    /// Issues the TEE's intermediate CA certificate. Throws <see cref="CertificateValidationException"/>
    /// (<see cref="CertificateReasons.BadCsr"/>) for a bad CSR, and <see cref="AttestationException"/> when the
    /// evidence is refused (its Reason says why, e.g. "report-data-mismatch"). Returns the PEM chain
    /// "TEE certificate, root certificate".
    /// </summary>
    public string IssueTeeCertificate(byte[] csrDer, byte[] encryptionPublicKey, byte[] accountAddress, Evidence evidence, AttestationPolicy policy,
        IEnumerable<IEvidenceVerifier> verifiers, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(csrDer);
        ArgumentNullException.ThrowIfNull(encryptionPublicKey);
        ArgumentNullException.ThrowIfNull(accountAddress);
        if (accountAddress.Length != SpExtensions.AccountAddressSize)
            throw new ArgumentException(
                $"TEE account: expected a {SpExtensions.AccountAddressSize}-byte address, got {accountAddress.Length} bytes", nameof(accountAddress));
        ArgumentNullException.ThrowIfNull(evidence);
        if (encryptionPublicKey.Length != SpExtensions.EncryptionKeySize)
            throw new ArgumentException(
                $"encryption public key: expected {SpExtensions.EncryptionKeySize} bytes (X25519), got {encryptionPublicKey.Length}", nameof(encryptionPublicKey));
        if (lifetime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "expected a positive lifetime");

        CertificateRequest csr;
        try
        {
            // Default options: the CSR's signature is checked, and its requested extensions are ignored.
            csr = CertificateRequest.LoadSigningRequest(csrDer, HashAlgorithmName.SHA384);
        }
        catch (CryptographicException e)
        {
            throw new CertificateValidationException(CertificateReasons.BadCsr, $"CSR: not a valid, self-signed PKCS#10 request ({e.Message})", e);
        }
        if (csr.PublicKey.Oid.Value != EcPublicKeyOid || !IsP256(csr.PublicKey))
            throw new CertificateValidationException(CertificateReasons.BadCsr,
                $"CSR: expected an ECDSA P-256 public key, got algorithm {csr.PublicKey.Oid.Value}");
        if (csr.SubjectName.RawData.AsSpan().SequenceEqual(Certificate.SubjectName.RawData))
            throw new CertificateValidationException(CertificateReasons.BadCsr, $"CSR: subject '{csr.SubjectName.Name}' is the root's own name");

        var spki = csr.PublicKey.ExportSubjectPublicKeyInfo();
        EvidenceChecker.Check(evidence, policy, verifiers, now, TeeKeyBinding.ReportData(spki, encryptionPublicKey, accountAddress));

        var request = new CertificateRequest(csr.SubjectName, csr.PublicKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        request.CertificateExtensions.Add(SpExtensions.EncodeEvidence(evidence));
        request.CertificateExtensions.Add(SpExtensions.EncodeEncryptionKey(encryptionPublicKey));
        request.CertificateExtensions.Add(SpExtensions.EncodeTeeAccount(accountAddress));

        var (notBefore, notAfter) = Validity(now - ClockSkew, now + lifetime, Certificate);
        using var tee = request.Create(_signer, notBefore, notAfter, NewSerial());
        return Pem.Join([tee, Certificate]);
    }

    /// <summary>Clamps a validity period into the issuer's (a child may not outlive its issuer).</summary>
    internal static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Validity(
        DateTimeOffset notBefore, DateTimeOffset notAfter, X509Certificate2 issuer)
    {
        var issuerNotBefore = new DateTimeOffset(issuer.NotBefore.ToUniversalTime());
        var issuerNotAfter = new DateTimeOffset(issuer.NotAfter.ToUniversalTime());
        var from = TruncateToSeconds(notBefore < issuerNotBefore ? issuerNotBefore : notBefore);
        var to = TruncateToSeconds(notAfter > issuerNotAfter ? issuerNotAfter : notAfter);
        if (to <= from)
            throw new InvalidOperationException(
                $"issuer '{issuer.Subject}' is valid only until {issuerNotAfter:u}; cannot issue a certificate from {from:u}");
        return (from, to);
    }

    internal static DateTimeOffset TruncateToSeconds(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    internal static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(SerialSize);
        serial[0] &= 0x7F; // positive INTEGER
        serial[0] |= 0x01; // and no leading zero byte to strip
        return serial;
    }

    private static bool IsP256(PublicKey key)
    {
        using var ec = key.GetECDsaPublicKey();
        return ec?.ExportParameters(false).Curve.Oid?.Value == P256Oid;
    }

    public void Dispose()
    {
        _signer.Dispose();
        Certificate.Dispose();
        _key.Dispose();
    }
}
