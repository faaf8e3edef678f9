using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;
using Sp.Certification;
using Sp.Client.Config;
using Sp.Core.Model;
using Sp.Core;

namespace Sp.Client;

/// <summary>The trust anchors pinned in a client's config folder: the Root CA and the attestation policy.</summary>
public sealed class Trust
{
    private Trust(X509Certificate2 root, AttestationPolicy policy)
    {
        Root = root;
        Policy = policy;
    }

    public X509Certificate2 Root { get; }
    public AttestationPolicy Policy { get; }

    public static Trust Load(string rootCaPath, string? policyPath)
    {
        if (!File.Exists(rootCaPath)) throw new UserError($"pinned Root CA {rootCaPath} not found", "pass --root-ca FILE or recreate the config with `spctl setup`");
        X509Certificate2 root;
        try { root = X509Certificate2.CreateFromPem(File.ReadAllText(rootCaPath)); }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        { throw new UserError($"{rootCaPath}: not a PEM certificate ({e.Message})"); }
        var policy = policyPath is not null && File.Exists(policyPath) ? AttestationPolicy.Load(policyPath) : AttestationPolicy.Production();
        return new Trust(root, policy);
    }

    public static Trust FromConfig(ClientConfig config, string configDir) =>
        Load(Path.Combine(configDir, config.Trust.RootCa), Path.Combine(configDir, config.Trust.AttestationPolicy));

    /// <summary>Validates a TEE offer's certificate chain and evidence; returns its encryption key.</summary>
    public ValidatedTee ValidateTee(string chainPem, DateTimeOffset now)
    {
        try { return TeeCertificateValidator.Validate(chainPem, Root, Policy, EvidenceVerifiers.Default, now); }
        catch (Exception e) when (e is CertificateValidationException or AttestationException)
        {
            throw new UserError($"the TEE's certificate did not validate: {e.Message}", "inputs are sealed only to a TEE whose chain and evidence verify");
        }
    }

    public ReportValidation ValidateReport(OrderReport report) =>
        ReportValidator.Validate(report, Root, Policy, EvidenceVerifiers.Default);

    public ResultStatementValidation ValidateResultStatement(ResultStatement statement) =>
        ResultStatements.Validate(statement, Root, Policy, EvidenceVerifiers.Default);

    /// <summary>The ledger's check of TEE certificates against this root (the node's and `ledger verify`'s replay).</summary>
    public Sp.Ledger.State.TeeCertificateReader LedgerTeeCertificates => Sp.Ledger.State.TeeCertificateReaders.Against(Root);
}
