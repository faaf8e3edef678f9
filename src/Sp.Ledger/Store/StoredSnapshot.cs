namespace Sp.Ledger.Store;

/// <summary>
/// A snapshot as a store keeps it: the height it was taken at, the digest of its state
/// (<see cref="Service.LedgerService.ComputeDigest"/>), the encoded snapshot (<see cref="Service.LedgerSnapshot"/>) and
/// the node's signature over all three and the hash of the entry at that height (<see cref="Service.LedgerSnapshot.Sign"/>;
/// null for a snapshot written before snapshots were signed, which is not used). The digest sits beside the body it
/// describes, so alone it only detects damage; the signature is what whoever can write the store cannot forge.
/// </summary>
public sealed record StoredSnapshot(long Height, string StateDigest, byte[] Body, byte[]? Signature);

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
