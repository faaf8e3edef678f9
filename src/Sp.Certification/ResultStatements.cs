using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;
using Sp.Core;
using Sp.Core.Json;
using Sp.Core.Model;

namespace Sp.Certification;

/// <param name="IsValid">Every check passed.</param>
/// <param name="Errors">What failed, one line each.</param>
/// <param name="OrderCertificateSha256">SHA-256 (hex) of the signing order certificate's DER, when it could be read.</param>
/// <param name="TeeAccount">The ledger account the signing TEE's certificate names ("0x…"), when it could be read.</param>
public sealed record ResultStatementValidation(
    bool IsValid, IReadOnlyList<string> Errors, ResultClaims? Claims, bool Simulated, string? OrderCertificateSha256,
    string? TeeAccount = null);

/// <summary>
/// The TEE's signed result statement (docs/formats-result-statement.md):
/// <code>
/// signed bytes = "sp-result-statement/v1\n" || JCS(claims)
/// signature    = ECDSA-P256-SHA256(order certificate key, signed bytes), DER
/// </code>
/// It is valid when the order certificate chains through its TEE certificate to the pinned root (as of its issue
/// time; the TEE's evidence passes policy), the signature verifies under the order certificate's key, and the claims
/// name the order the certificate is for. What the claims must equal (the archive downloaded, the report on the
/// ledger) is the caller's to compare: see <see cref="CheckAgainst"/>.
/// </summary>
public static class ResultStatements
{
    public static ReadOnlySpan<byte> Label => "sp-result-statement/v1\n"u8;

    public static byte[] SignedBytes(ResultClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return [.. Label, .. Jcs.Canonicalize(claims, SpJson.Options)];
    }

    /// <summary>SHA-256 (lowercase hex) of the RFC 8785 form of a report as the TEE published it.</summary>
    public static string ReportDigest(OrderReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Hex.Lower(SHA256.HashData(Jcs.Canonicalize(report.AsPublished(), SpJson.Options)));
    }

    public static ResultStatementValidation Validate(ResultStatement statement, X509Certificate2 pinnedRoot, AttestationPolicy policy,
        IEnumerable<IEvidenceVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(pinnedRoot);
        ArgumentNullException.ThrowIfNull(policy);
        if (statement.Claims is null) return Invalid("claims: missing");
        if (statement.Claims.Version != ResultClaims.CurrentVersion)
            return Invalid($"claims.version: expected {ResultClaims.CurrentVersion}, got {statement.Claims.Version}");
        List<X509Certificate2> certificates;
        try { certificates = Pem.ReadCertificates(statement.Certificate ?? ""); }
        catch (CertificateValidationException e) { return Invalid($"certificate: {e.Message}"); }
        try
        {
            if (certificates.Count is < 2 or > 3)
                return Invalid($"certificate: expected the chain order, TEE, root (3 certificates), got {certificates.Count}");
            var errors = new List<string>();
            var chain = ReportValidator.CheckOrderChain(certificates, pinnedRoot, policy, verifiers, errors);
            var order = certificates[0];
            if (chain.OrderId is { } certified && certified != statement.Claims.OrderId)
                errors.Add($"claims.orderId: the order certificate is for order '{certified}', the statement says '{statement.Claims.OrderId}'");
            if (!VerifySignature(order, statement, out var why)) errors.Add($"signature: {why}");
            string? teeAccount = null;
            try { teeAccount = SpExtensions.DecodeTeeAccountAddress(certificates[1]); }
            catch (CertificateValidationException e) { errors.Add($"TEE certificate: {e.Message}"); }
            return new ResultStatementValidation(errors.Count == 0, errors, statement.Claims, chain.Simulated,
                Hex.Lower(SHA256.HashData(order.RawData)), teeAccount);
        }
        finally
        {
            foreach (var c in certificates) c.Dispose();
        }
    }

    /// <summary>
    /// The claims against what the ledger holds: the order id, the report the TEE published (a Done order's
    /// statement must be signed under that report's own order certificate and name its digest), and the status.
    /// Returns what differs, one line each (empty when all agree).
    /// </summary>
    public static IReadOnlyList<string> CheckAgainst(ResultStatementValidation validation, long orderId, OrderReport? report)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var errors = new List<string>();
        var claims = validation.Claims;
        if (claims is null) return ["claims: missing"];
        var id = orderId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (claims.OrderId != id) errors.Add($"claims.orderId: expected \"{id}\", got \"{claims.OrderId}\"");
        if (claims.Status is not ("Done" or "Error")) errors.Add($"claims.status: expected Done or Error, got '{claims.Status}'");
        if (report is not null)
        {
            var digest = ReportDigest(report);
            if (claims.ReportSha256 is { } named && named != digest)
                errors.Add($"claims.reportSha256: {named} is not the digest of the order's report on the ledger ({digest})");
        }
        if (claims.Status == "Done")
        {
            if (report is null) errors.Add("a Done result needs the order's report: none is published");
            else
            {
                if (claims.ReportSha256 is null) errors.Add("claims.reportSha256: missing for a Done result");
                if (validation.OrderCertificateSha256 != OrderCertificateDigest(report))
                    errors.Add("the statement is not signed under the order certificate of the order's report (another TEE or another run signed it)");
            }
        }
        return errors;
    }

    /// <summary>
    /// The claims against the order as the ledger has it: the statement says the order's own status (a canceled order
    /// keeps whichever the TEE gave), it was signed by the TEE that took the order (or, for Error only, by the offer's
    /// current TEE after a restart), and a Done order's report says the TEE ran the image the consumer declared.
    /// Returns what differs, one line each.
    /// </summary>
    public static IReadOnlyList<string> CheckAgainstOrder(ResultStatementValidation validation, string orderStatus, string? takenBy,
        string? offerTeeAccount, string? declaredSolutionHash, OrderReport? report)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var errors = new List<string>();
        var claims = validation.Claims;
        if (claims is null) return ["claims: missing"];
        if (orderStatus != "Canceled" && claims.Status != orderStatus)
            errors.Add($"claims.status: the TEE says {claims.Status}, the order is {orderStatus}");
        var signer = validation.TeeAccount;
        var bySameTee = signer is not null && signer == takenBy;
        var byRestartedTee = claims.Status == "Error" && signer is not null && signer == offerTeeAccount;
        if (!bySameTee && !byRestartedTee)
            errors.Add($"the statement is signed by TEE account {signer ?? "unknown"}, not by the TEE that took the order ({takenBy ?? "none"})");
        if (claims.Status == "Done")
        {
            var image = report?.WorkloadInfo?.RuntimeInfo?.FirstOrDefault(e => e.Type == "Image")?.Hash?.Value;
            if (declaredSolutionHash is null || !string.Equals(image, declaredSolutionHash, StringComparison.OrdinalIgnoreCase))
                errors.Add($"the TEE ran image {image ?? "none"}, the order declares solution {declaredSolutionHash ?? "none"}");
        }
        return errors;
    }

    /// <summary>SHA-256 (hex) of the DER of a report's order certificate; null when it cannot be read.</summary>
    public static string? OrderCertificateDigest(OrderReport report)
    {
        try
        {
            var certificates = Pem.ReadCertificates(report.Certificate);
            try { return Hex.Lower(SHA256.HashData(certificates[0].RawData)); }
            finally { foreach (var c in certificates) c.Dispose(); }
        }
        catch (CertificateValidationException) { return null; }
    }

    private static bool VerifySignature(X509Certificate2 order, ResultStatement statement, out string why)
    {
        byte[] signature;
        try { signature = Convert.FromBase64String(statement.Signature ?? ""); }
        catch (FormatException)
        {
            why = "not base64";
            return false;
        }
        using var key = order.GetECDsaPublicKey();
        if (key is null)
        {
            why = $"order certificate '{order.Subject}' has no ECDSA key";
            return false;
        }
        byte[] signed;
        try { signed = SignedBytes(statement.Claims); }
        catch (FormatException e)
        {
            why = $"the claims cannot be canonicalised ({e.Message})";
            return false;
        }
        if (!key.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            why = "does not verify under the order certificate's key (the claims were altered or signed by another key)";
            return false;
        }
        why = "";
        return true;
    }

    private static ResultStatementValidation Invalid(string error) => new(false, [error], null, false, null);
}
