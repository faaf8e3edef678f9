namespace Sp.Attestation;

/// <summary>The verifiers every component installs. Adding a TEE type is one line here.</summary>
public static class EvidenceVerifiers
{
    /// <summary>A fresh list each time, so a caller may add or remove verifiers without affecting others.</summary>
    public static List<IEvidenceVerifier> Default =>
    [
        new SimEvidenceVerifier(),
        new Tdx.TdxVerifier(),
        new SevSnp.SevSnpVerifier(),
    ];
}
