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
}
