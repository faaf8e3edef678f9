namespace Sp.Attestation;

/// <summary>The stable <see cref="AttestationException.Reason"/> names: verifiers' and policy's.</summary>
public static class AttestationReasons
{
    // Verifiers: the evidence itself is wrong.
    public const string Malformed = "malformed";
    public const string BadSignature = "bad-signature";
    public const string TypeMismatch = "type-mismatch";

    // EvidenceChecker: no one can verify it, or policy refuses what it says.
    public const string NoVerifier = "no-verifier";
    public const string TypeNotAccepted = "type-not-accepted";
    public const string SimNotAllowed = "sim-not-allowed";
    public const string SimPlatformUnknown = "sim-platform-unknown";
    public const string MeasurementNotAllowed = "measurement-not-allowed";
    public const string DebugNotAllowed = "debug-not-allowed";
    public const string ReportDataMismatch = "report-data-mismatch";
    public const string FieldMismatch = "field-mismatch";
    public const string TcbTooLow = "tcb-too-low";

    // Vendor formats (TDX, SEV-SNP): docs/formats-attestation.md lists where each is raised.
    public const string Unsupported = "unsupported";
    public const string BadQuoteSignature = "bad-quote-signature";
    public const string BadQeReportSignature = "bad-qe-report-signature";
    public const string AttestationKeyBinding = "attestation-key-binding";
    public const string BadReportSignature = "bad-report-signature";
    public const string UntrustedRoot = "untrusted-root";
    public const string IncompleteChain = "incomplete-chain";
    public const string Chain = "chain";
    public const string CertificateExpired = "certificate-expired";
    public const string MissingVcek = "missing-vcek";
    public const string VcekMismatch = "vcek-mismatch";
    public const string BadCollateralSignature = "bad-collateral-signature";
    public const string CollateralExpired = "collateral-expired";
    public const string CollateralMismatch = "collateral-mismatch";
    public const string Revoked = "revoked";
}
