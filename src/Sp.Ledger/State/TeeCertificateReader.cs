namespace Sp.Ledger.State;

/// <summary>What a TEE certificate chain attests for the ledger: the TEE's account, or why the chain is refused.</summary>
public readonly record struct TeeAccountReading(string? Account, string? Refusal)
{
    public static TeeAccountReading Of(string account) => new(account, null);
    public static TeeAccountReading Refused(string reason) => new(null, reason);
}

/// <summary>
/// Reads the ledger account of a TEE from its certificate chain (PEM), checked against the network's Root CA as of
/// <c>timeMillis</c> (the ledger entry's time). The state machine calls it for <c>offer.create</c> and
/// <c>tee.certificate</c>: only the account a TEE certificate names may then move that offer's orders. It must be
/// deterministic (same chain and time, same answer), or a replay would diverge.
/// </summary>
public delegate TeeAccountReading TeeCertificateReader(string chainPem, long timeMillis);

public static class TeeCertificateReaders
{
    /// <summary>A ledger with no certificate authority configured accepts no TEE certificate.</summary>
    public static readonly TeeCertificateReader None = (_, _) =>
        TeeAccountReading.Refused("this ledger has no certificate authority to check TEE certificates against");
}
