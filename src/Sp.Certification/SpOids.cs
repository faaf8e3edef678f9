namespace Sp.Certification;

/// <summary>
/// Our private OID arc and the certificate extensions under it (docs/formats-report.md). The arc is a
/// UUID-derived OID (ITU-T X.667, "2.25.{UUID as an integer}", UUID d18efde9-b0fa-4eba-b8e9-5e667df28a7b),
/// which needs no registration and cannot collide with anyone else's.
/// </summary>
public static class SpOids
{
    public const string Arc = "2.25.278551107237522917628819659726043384443";

    /// <summary>TEE certificate: the attestation evidence the CA checked (type + raw bytes).</summary>
    public const string TeeEvidence = Arc + ".1";

    /// <summary>TEE certificate: the TEE's encryption public key (X25519, 32 raw bytes).</summary>
    public const string TeeEncryptionKey = Arc + ".2";

    /// <summary>Order certificate: the order id and SHA-256 of the JCS form of its WorkloadInfo.</summary>
    public const string OrderWorkload = Arc + ".3";

    /// <summary>TEE certificate: the ledger account (20-byte address) of the TEE's in-memory account key, the only
    /// key the ledger accepts for the TEE's transactions (order.start, order.report, order.finish).</summary>
    public const string TeeAccount = Arc + ".4";
}
