namespace Sp.Attestation.Vendor;

/// <summary>Stable names for the ways vendor evidence can fail (<see cref="AttestationException.Reason"/>).</summary>
public static class AttestationReasons
{
    /// <summary>The bytes are truncated, sizes do not add up, or a field holds an impossible value.</summary>
    public const string Malformed = "malformed";
    /// <summary>A well-formed structure of a version, key type or TEE type this verifier does not handle.</summary>
    public const string Unsupported = "unsupported";
    /// <summary>TDX: the quote signature over header and TD report body does not verify with the attestation key.</summary>
    public const string BadQuoteSignature = "bad-quote-signature";
    /// <summary>TDX: the QE report signature does not verify with the PCK leaf key.</summary>
    public const string BadQeReportSignature = "bad-qe-report-signature";
    /// <summary>TDX: the QE report data is not SHA-256(attestation key || QE auth data) followed by zeros.</summary>
    public const string AttestationKeyBinding = "attestation-key-binding";
    /// <summary>SEV-SNP: the report signature does not verify with the VCEK.</summary>
    public const string BadReportSignature = "bad-report-signature";
    /// <summary>The chain ends at a self-signed root that is not the pinned vendor root, or at no known root.</summary>
    public const string UntrustedRoot = "untrusted-root";
    /// <summary>A certificate in the chain is missing (the chain stops before a pinned root).</summary>
    public const string IncompleteChain = "incomplete-chain";
    /// <summary>A certificate signature in the chain does not verify, or the chain is otherwise invalid.</summary>
    public const string Chain = "chain";
    /// <summary>A certificate of the chain is not valid at the verification time.</summary>
    public const string CertificateExpired = "certificate-expired";
    /// <summary>SEV-SNP: no VCEK was given, or the report is signed by a key type (VLEK) we do not pin.</summary>
    public const string MissingVcek = "missing-vcek";
    /// <summary>SEV-SNP: the VCEK is not the certificate of this chip / TCB (HWID or TCB extensions differ).</summary>
    public const string VcekMismatch = "vcek-mismatch";
    /// <summary>Collateral (TCB Info, QE Identity, CRL) signature does not verify to the pinned root.</summary>
    public const string BadCollateralSignature = "bad-collateral-signature";
    /// <summary>Collateral is not valid at the verification time (issueDate/nextUpdate, thisUpdate/nextUpdate).</summary>
    public const string CollateralExpired = "collateral-expired";
    /// <summary>Collateral does not apply to this platform (FMSPC, PCE ID, QE identity, TDX module).</summary>
    public const string CollateralMismatch = "collateral-mismatch";
    /// <summary>A certificate of the chain is listed in a CRL.</summary>
    public const string Revoked = "revoked";
}
