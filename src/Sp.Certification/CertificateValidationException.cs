namespace Sp.Certification;

/// <summary>
/// A certificate, chain or CSR was refused. <see cref="Reason"/> is a stable name: one of
/// <see cref="CertificateReasons"/>, or, when the embedded evidence was refused, the
/// <see cref="Sp.Attestation.AttestationException.Reason"/> (then the inner exception is that AttestationException).
/// </summary>
public sealed class CertificateValidationException(string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;
}

public static class CertificateReasons
{
    public const string MalformedPem = "malformed-pem";
    public const string BadCsr = "bad-csr";
    public const string ChainInvalid = "chain-invalid";
    public const string ForeignRoot = "foreign-root";
    public const string NotATeeCertificate = "not-a-tee-certificate";
    public const string EvidenceMissing = "evidence-missing";
    public const string EncryptionKeyMissing = "encryption-key-missing";
    public const string MalformedExtension = "malformed-extension";
    public const string NotOurKey = "not-our-key";
    public const string AccountMissing = "account-missing";
}
