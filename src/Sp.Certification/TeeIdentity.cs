using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Core.Json;
using Sp.Core.Model;

namespace Sp.Certification;

/// <summary>
/// The TEE's signing identity, held only in the TEE's memory: an ECDSA P-256 key, its CSR, the certificate
/// chain the CA issued for it, and the per-order certificates it signs for reports.
/// </summary>
public sealed class TeeIdentity : IDisposable
{
    /// <summary>How long an order certificate is valid (clamped to the TEE certificate's own validity).</summary>
    public static readonly TimeSpan OrderCertificateLifetime = TimeSpan.FromDays(10 * 365);

    private readonly ECDsa _key;
    private X509Certificate2? _signer;
    private string? _chainPem;
    private string? _evidenceType;

    private TeeIdentity(ECDsa key)
    {
        _key = key;
        SigningKeySpki = key.ExportSubjectPublicKeyInfo();
    }

    public static TeeIdentity Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>DER SubjectPublicKeyInfo of the signing key: what <see cref="TeeKeyBinding"/> binds.</summary>
    public byte[] SigningKeySpki { get; }

    /// <summary>The chain "TEE certificate, root" given to <see cref="AttachCertificateChain"/>.</summary>
    public string ChainPem => _chainPem ?? throw NotAttached();

    /// <summary>A DER PKCS#10 request for the signing key, signed by it.</summary>
    public byte[] CreateCsr(string commonName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        return new CertificateRequest(name.Build(), _key, HashAlgorithmName.SHA256).CreateSigningRequest();
    }

    /// <summary>
    /// Takes the chain the CA returned ("TEE certificate, root"). Its first certificate must carry our signing
    /// key (<see cref="CertificateReasons.NotOurKey"/> otherwise) and be a CA certificate with embedded evidence.
    /// </summary>
    public void AttachCertificateChain(string chainPem)
    {
        var certificates = Pem.ReadCertificates(chainPem);
        try
        {
            var tee = certificates[0];
            if (!tee.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(SigningKeySpki))
                throw new CertificateValidationException(CertificateReasons.NotOurKey,
                    $"certificate '{tee.Subject}' is not for this TEE's signing key");
            if (tee.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
                throw new CertificateValidationException(CertificateReasons.NotATeeCertificate,
                    $"certificate '{tee.Subject}' is not a CA certificate; the TEE cannot issue order certificates with it");
            var evidence = SpExtensions.DecodeEvidence(tee);
            _signer?.Dispose();
            _signer = tee.CopyWithPrivateKey(_key);
            _evidenceType = evidence.Type;
            _chainPem = Pem.Join(certificates);
        }
        finally
        {
            foreach (var c in certificates) c.Dispose();
        }
    }

    /// <summary>
    /// Issues the order certificate (subject CN = order id; extension = order id + SHA-256 of the JCS form of
    /// <paramref name="workloadInfo"/>) and returns the report: chain "order, TEE, root" + workload info.
    /// WorkloadInfo.AttestationType is filled from the TEE certificate's evidence when absent.
    /// </summary>
    public OrderReport BuildReport(WorkloadInfo workloadInfo, DateTimeOffset now)
    {
        using var signer = IssueOrder(workloadInfo, now);
        return signer.Report;
    }

    /// <summary>
    /// Issues the order certificate as <see cref="BuildReport"/> does and keeps its key (in memory, for the order's
    /// life) so that the TEE can sign the order's result statement with it (<see cref="OrderSigner.SignResult"/>).
    /// </summary>
    public OrderSigner IssueOrder(WorkloadInfo workloadInfo, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(workloadInfo);
        ArgumentException.ThrowIfNullOrWhiteSpace(workloadInfo.OrderId);
        var signer = _signer ?? throw NotAttached();
        if (workloadInfo.AttestationType is { } declared && declared != _evidenceType)
            throw new ArgumentException(
                $"workloadInfo.attestationType: expected '{_evidenceType}' (this TEE's evidence), got '{declared}'", nameof(workloadInfo));
        var info = workloadInfo with { AttestationType = _evidenceType };
        var digest = SHA256.HashData(Jcs.Canonicalize(info));

        // The order certificate's key signs one thing, the order's result statement; it never leaves this process.
        var orderKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(info.OrderId);
        var request = new CertificateRequest(name.Build(), orderKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(signer, true, false));
        request.CertificateExtensions.Add(SpExtensions.EncodeOrderWorkload(info.OrderId, digest));
        try
        {
            var (notBefore, notAfter) = RootCa.Validity(now, now + OrderCertificateLifetime, signer);
            using var order = request.Create(signer, notBefore, notAfter, RootCa.NewSerial());
            return new OrderSigner(new OrderReport { Certificate = Pem.Join([order]) + _chainPem, WorkloadInfo = info }, orderKey);
        }
        catch
        {
            orderKey.Dispose();
            throw;
        }
    }

    /// <summary>The order certificate (first of the report's chain), as PEM.</summary>
    public static string OrderCertificatePem(OrderReport report) => Pem.OrderCertificatePem(report);

    private static InvalidOperationException NotAttached() =>
        new("the TEE has no certificate yet: call AttachCertificateChain with the chain the CA issued");

    public void Dispose()
    {
        _signer?.Dispose();
        _key.Dispose();
    }
}

/// <summary>An order's certificate (in its report) and the key it certifies, held only in the TEE's memory.</summary>
public sealed class OrderSigner : IDisposable
{
    private readonly ECDsa _key;

    internal OrderSigner(OrderReport report, ECDsa key)
    {
        Report = report;
        _key = key;
    }

    /// <summary>The report: chain "order, TEE, root" and the workload info the order certificate certifies.</summary>
    public OrderReport Report { get; }

    /// <summary>Signs how the order ended (docs/formats-result-statement.md) under the order certificate.</summary>
    public ResultStatement SignResult(ResultClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var signature = _key.SignData(ResultStatements.SignedBytes(claims), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new ResultStatement { Claims = claims, Certificate = Report.Certificate, Signature = Convert.ToBase64String(signature) };
    }

    public void Dispose() => _key.Dispose();
}
