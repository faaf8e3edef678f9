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

            string? orderId = null;
            try
            {
                (orderId, var digest) = SpExtensions.DecodeOrderWorkload(order);
                CheckWorkload(report.WorkloadInfo, orderId, digest, order, evidenceType, errors);
            }
            catch (CertificateValidationException e) { errors.Add($"order certificate: {e.Message}"); }

            var simulated = evidence?.Simulated ?? evidenceType == EvidenceTypes.Sim;
            return new ReportValidation(errors.Count == 0, errors, evidence, simulated, orderId);
        }
        finally
        {
            foreach (var c in certificates) c.Dispose();
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
