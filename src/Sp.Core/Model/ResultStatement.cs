namespace Sp.Core.Model;

/// <summary>
/// What the TEE says about how an order ended (docs/formats-result-statement.md). Signed by the key of the order
/// certificate: only the attested TEE that ran the order holds that key, so a compute provider cannot forge it.
/// </summary>
public sealed record ResultClaims
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string OrderId { get; init; }
    /// <summary>"Done" or "Error": the status the TEE finished the order with.</summary>
    public required string Status { get; init; }
    /// <summary>The status message the TEE gave (also the ledger's status message).</summary>
    public string Message { get; init; } = "";
    /// <summary>SHA-256 (lowercase hex) of the result archive's plaintext (result.tar.gz); null when no result was uploaded.</summary>
    public string? ResultSha256 { get; init; }
    /// <summary>Size in bytes of the result archive's plaintext; null when no result was uploaded.</summary>
    public long? ResultSize { get; init; }
    /// <summary>SHA-256 (lowercase hex) of the RFC 8785 form of the report on the ledger; null when none was published.</summary>
    public string? ReportSha256 { get; init; }
}

/// <summary>The signed form of <see cref="ResultClaims"/>, stored with <c>order.finish</c>.</summary>
public sealed record ResultStatement
{
    public required ResultClaims Claims { get; init; }
    /// <summary>PEM chain of the signing key: order certificate first, then the TEE certificate and the root.</summary>
    public required string Certificate { get; init; }
    /// <summary>Base64 ECDSA P-256 / SHA-256 signature (DER) over the signed bytes (docs/formats-result-statement.md).</summary>
    public required string Signature { get; init; }
}
