namespace Sp.Ledger.Store;

/// <summary>
/// A snapshot as a store keeps it: the height it was taken at, the state digest recorded for that height
/// (<see cref="Service.LedgerService.ComputeDigest"/>) and the encoded snapshot (<see cref="Service.LedgerSnapshot"/>).
/// </summary>
public sealed record StoredSnapshot(long Height, string StateDigest, byte[] Body);

/// <summary>
/// A store that also keeps the latest snapshot of the marketplace state, beside its entries (SQLite and PostgreSQL:
/// table <c>ledger_snapshot</c>, one row). Writing replaces the previous snapshot in one transaction, so a crash
/// leaves either the old snapshot or the new one, never a mix.
/// </summary>
public interface ILedgerSnapshotStore
{
    /// <summary>The latest snapshot written, or null when there is none.</summary>
    StoredSnapshot? ReadSnapshot();

    /// <summary>Replaces the snapshot atomically; durable on return.</summary>
    void WriteSnapshot(StoredSnapshot snapshot);
}
