using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;
using Sp.Core;
using Sp.Core.Json;
using Sp.Core.Model;

namespace Sp.Certification;

public sealed record ReportValidation(
    bool IsValid, IReadOnlyList<string> Errors, VerifiedEvidence? Evidence, bool Simulated, string? OrderId);

/// <summary>
/// Validates an order report offline, with the pinned root alone.
/// <para>
/// Time: a report is a historical record, so the chain order -> TEE -> root is verified as of the order
/// certificate's issue time (its notBefore), not "now": a report stays valid after the TEE certificate
/// expires, as long as the TEE certificate was valid when it signed the order certificate (and the order
/// certificate cannot claim an earlier time than its issuer's notBefore). The embedded evidence is re-checked
/// against the caller's policy at that same time.
/// </para>
/// </summary>
public static class ReportValidator
{
    private const int OrderCertificate = 0, TeeCertificate = 1, RootCertificate = 2;

    public static ReportValidation Validate(OrderReport report, X509Certificate2 pinnedRoot, AttestationPolicy policy,
        IEnumerable<IEvidenceVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(pinnedRoot);
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new List<string>();
        List<X509Certificate2> certificates;
        try { certificates = Pem.ReadCertificates(report.Certificate ?? ""); }
        catch (CertificateValidationException e) { return Invalid([$"certificate: {e.Message}"]); }

        try
        {
            if (certificates.Count is < 2 or > 3)
                return Invalid([$"certificate: expected the chain order, TEE, root (3 certificates), got {certificates.Count}"]);
            var chain = CheckOrderChain(certificates, pinnedRoot, policy, verifiers, errors);
            if (chain.WorkloadDigest is { } digest)
                CheckWorkload(report.WorkloadInfo, chain.OrderId!, digest, certificates[OrderCertificate], chain.EvidenceType, errors);
            return new ReportValidation(errors.Count == 0, errors, chain.Evidence, chain.Simulated, chain.OrderId);
        }
        finally
        {
            foreach (var c in certificates) c.Dispose();
        }
    }

    /// <summary>What <see cref="CheckOrderChain"/> found; null parts could not be read (the errors say why).</summary>
    internal sealed record OrderChain(string? OrderId, byte[]? WorkloadDigest, VerifiedEvidence? Evidence, string? EvidenceType)
    {
        public bool Simulated => Evidence?.Simulated ?? EvidenceType == EvidenceTypes.Sim;
    }

    /// <summary>
    /// The checks every statement signed under an order certificate shares (reports, result statements): the chain
    /// "order, TEE[, root]" to the pinned root as of the order certificate's issue time, the order certificate is an
    /// end entity, the TEE's evidence passes policy and binds its keys. Adds what fails to <paramref name="errors"/>.
    /// </summary>
    internal static OrderChain CheckOrderChain(IReadOnlyList<X509Certificate2> certificates, X509Certificate2 pinnedRoot,
        AttestationPolicy policy, IEnumerable<IEvidenceVerifier> verifiers, List<string> errors)
    {
        var order = certificates[OrderCertificate];
        var tee = certificates[TeeCertificate];
        if (certificates.Count > RootCertificate && !certificates[RootCertificate].RawData.AsSpan().SequenceEqual(pinnedRoot.RawData))
            errors.Add($"chain: {TeeCertificateValidator.ForeignRoot(certificates[RootCertificate], pinnedRoot).Message}");

        var issuedAt = new DateTimeOffset(order.NotBefore.ToUniversalTime());
        try { ChainValidation.BuildChain([order, tee], pinnedRoot, issuedAt); }
        catch (CertificateValidationException e) { errors.Add($"chain: {e.Message}"); }

        if (order.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
            errors.Add($"order certificate '{order.Subject}': is a CA certificate, expected an end-entity certificate");

        VerifiedEvidence? evidence = null;
        string? evidenceType = null;
        try
        {
            evidenceType = SpExtensions.DecodeEvidence(tee).Type;
            evidence = TeeCertificateValidator.CheckTee(tee, policy, verifiers, issuedAt).Evidence;
        }
        catch (CertificateValidationException e) { errors.Add($"TEE certificate [{e.Reason}]: {e.Message}"); }

        try
        {
            var (orderId, digest) = SpExtensions.DecodeOrderWorkload(order);
            return new OrderChain(orderId, digest, evidence, evidenceType);
        }
        catch (CertificateValidationException e)
        {
            errors.Add($"order certificate: {e.Message}");
            return new OrderChain(null, null, evidence, evidenceType);
        }
    }

    private static void CheckWorkload(WorkloadInfo? info, string orderId, byte[] certifiedDigest, X509Certificate2 order,
        string? evidenceType, List<string> errors)
    {
        if (info is null)
        {
            errors.Add("workloadInfo: missing");
            return;
        }
        byte[] actual;
        try { actual = SHA256.HashData(Jcs.Canonicalize(info)); }
        catch (FormatException e)
        {
            errors.Add($"workloadInfo: cannot be canonicalised ({e.Message})");
            return;
        }
        if (!CryptographicOperations.FixedTimeEquals(actual, certifiedDigest))
            errors.Add($"workloadInfo: its digest {Hex.Lower(actual)} differs from the one the order certificate certifies " +
                       $"({Hex.Lower(certifiedDigest)}); the workload info was edited or belongs to another order");
        if (info.OrderId != orderId)
            errors.Add($"workloadInfo.orderId: the order certificate is for order '{orderId}', the workload info says '{info.OrderId}'");
        if (order.GetNameInfo(X509NameType.SimpleName, forIssuer: false) != orderId)
            errors.Add($"order certificate: subject '{order.Subject}' does not name order '{orderId}'");
        if (info.AttestationType is { } declared && evidenceType is not null && declared != evidenceType)
            errors.Add($"workloadInfo.attestationType: says '{declared}', the TEE certificate's evidence is '{evidenceType}'");
    }

    private static ReportValidation Invalid(IReadOnlyList<string> errors) => new(false, errors, null, false, null);
}
