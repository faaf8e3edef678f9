using Sp.Ledger.Transactions;

namespace Sp.Ledger.Store;

/// <summary>
/// Durable, append-only storage of ledger entries. An append that returns is on disk; the store never updates
/// or deletes an entry. Entries are numbered 1, 2, 3, ... without gaps: an append whose Seq is not Count + 1 is
/// refused with <see cref="InvalidOperationException"/>. The store does not check hashes or signatures (the
/// service does, on every start-up), so a store can be backed by any database.
/// </summary>
public interface ILedgerStore : IDisposable
{
    /// <summary>Number of entries stored (= the Seq of the last one).</summary>
    long Count { get; }

    /// <summary>All entries in Seq order, read lazily in pages.</summary>
    IEnumerable<LedgerEntry> ReadAll();

    LedgerEntry? Last();

    void Append(LedgerEntry entry);

    /// <summary>Appends consecutive entries atomically: all of them or none. Durable on return.</summary>
    void AppendBatch(IReadOnlyList<LedgerEntry> entries);

    /// <summary>Entries <paramref name="firstSeq"/> .. <paramref name="firstSeq"/> + <paramref name="count"/> - 1
    /// in Seq order (fewer if the store ends before). Stores override this with a range query.</summary>
    IEnumerable<LedgerEntry> ReadRange(long firstSeq, int count) =>
        ReadAll().SkipWhile(e => e.Seq < firstSeq).Take(count);
}
