using System.Security.Cryptography.X509Certificates;
using Sp.Certification;

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

    /// <summary>
    /// The ledger's check of TEE certificates against <paramref name="root"/>: chain and validity at the entry's
    /// time, and the TEE account the certificate names (<see cref="TeeCertificateValidator.ReadLedgerAccount"/>).
    /// The node's and `ledger verify`'s replay use it.
    /// </summary>
    public static TeeCertificateReader Against(X509Certificate2 root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return (chainPem, timeMillis) =>
        {
            try
            {
                return TeeAccountReading.Of(
                    TeeCertificateValidator.ReadLedgerAccount(chainPem, root, DateTimeOffset.FromUnixTimeMilliseconds(timeMillis)));
            }
            catch (CertificateValidationException e)
            {
                return TeeAccountReading.Refused($"[{e.Reason}] {e.Message}");
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or FormatException or InvalidOperationException)
            {
                // Whatever a chain makes the checks throw is a refusal of that one transaction, never a failed batch.
                return TeeAccountReading.Refused($"[chain-invalid] {e.Message}");
            }
        };
    }
}
