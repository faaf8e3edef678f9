namespace Sp.Attestation;

/// <summary>Attestation evidence as produced by a TEE: its type ("sim", "tdx", "sev-snp") and raw bytes.</summary>
public sealed record Evidence(string Type, byte[] Data);

public static class EvidenceTypes
{
    public const string Sim = "sim";
    public const string Tdx = "tdx";
    public const string SevSnp = "sev-snp";
}

/// <summary>
/// What a verifier established about a piece of evidence: its signatures and chain hold, and these are the
/// claims it carries. Policy (which measurements, debug, sim) is applied afterwards, to this value.
/// </summary>
public sealed record VerifiedEvidence
{
    public required string Type { get; init; }
    /// <summary>The 64 bytes of report data the TEE bound into the evidence.</summary>
    public required byte[] ReportData { get; init; }
    /// <summary>The primary measurement, lowercase hex (sim: loader hash; TDX: MRTD; SEV-SNP: MEASUREMENT).</summary>
    public required string Measurement { get; init; }
    public bool Debug { get; init; }
    /// <summary>True when no hardware isolation stands behind the evidence (the `sim` provider).</summary>
    public bool Simulated { get; init; }
    /// <summary>Further named fields for display (RTMRs, TCB versions, chip id, platform key, ...), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; } = [];
}

/// <summary>Obtains evidence binding 64 bytes of report data (sim, or configfs-tsm on real hardware).</summary>
public interface IEvidenceProvider
{
    string Type { get; }
    Evidence GetEvidence(ReadOnlySpan<byte> reportData);
}

/// <summary>Checks one evidence format's signatures and chain; throws <see cref="AttestationException"/>.</summary>
public interface IEvidenceVerifier
{
    string Type { get; }
    VerifiedEvidence Verify(Evidence evidence, DateTimeOffset now);
}

/// <summary>An evidence or policy check failed; <see cref="Reason"/> is a stable name for the failure.</summary>
public sealed class AttestationException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
