namespace Sp.Ledger.Store;

/// <summary>
/// A store shared by several nodes, of which one at a time (the holder of the sequencer lease) appends
/// (docs/ledger.md, "Fail-over"). The others read what it appends. <see cref="Service.LedgerService"/> over a store
/// that is not the writer follows it and refuses submissions until <see cref="TryAcquireLease"/> wins.
/// </summary>
public interface ILedgerLeaseStore
{
    /// <summary>True once this store holds the lease; false while another node may be the writer (it only reads).</summary>
    bool IsWriter { get; }

    /// <summary>Tries, without waiting, to become the writer; <paramref name="leaderUrl"/> is recorded for the
    /// followers to forward writes to. True when this store is (now) the writer.</summary>
    bool TryAcquireLease(string? leaderUrl);

    /// <summary>The current lease: its fencing token and the leader's address (null when none was recorded).</summary>
    (long Epoch, string? LeaderUrl) ReadLease();

    /// <summary>The writer checks it still holds the lease; throws <see cref="LedgerLeaseLostException"/> otherwise.</summary>
    void CheckLease();
}

/// <summary>The store is no longer the ledger's writer (its session, and with it the lease, is gone, or a newer
/// fencing token was taken): nothing more may be appended through it.</summary>
public sealed class LedgerLeaseLostException : Exception
{
    public LedgerLeaseLostException(string message) : base(message)
    {
    }

    public LedgerLeaseLostException(string message, Exception inner) : base(message, inner)
    {
    }
}
