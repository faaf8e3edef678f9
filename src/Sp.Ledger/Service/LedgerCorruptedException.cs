namespace Sp.Ledger.Service;

/// <summary>The stored ledger does not replay: an entry was altered, reordered, lost or is invalid.</summary>
public sealed class LedgerCorruptedException : Exception
{
    public LedgerCorruptedException(long seq, string reason, Exception? inner = null)
        : base($"ledger entry {seq} is corrupt: {reason}", inner)
    {
        Seq = seq;
        Reason = reason;
    }

    /// <summary>The first entry that failed to replay.</summary>
    public long Seq { get; }
    public string Reason { get; }
}

/// <summary>An accepted transaction could not be written; the state was left unchanged.</summary>
public sealed class LedgerStorageException(long seq, Exception inner)
    : Exception($"ledger entry {seq} could not be persisted; the transaction was not applied: {inner.Message}", inner)
{
    public long Seq { get; } = seq;
}

/// <summary>
/// The sequencer's queue already holds <see cref="Limit"/> transactions: this one was not queued (nothing stored,
/// nothing changed), so the same signed transaction may be submitted again later.
/// </summary>
public sealed class LedgerQueueFullException(int limit)
    : Exception($"the ledger's queue is full ({limit} transactions waiting to be sequenced); the transaction was not queued")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// This node follows another node's sequencer (fail-over, docs/ledger.md): the transaction was not queued (nothing
/// stored, nothing changed); submit it to the leader (sp-node forwards it there itself).
/// </summary>
public sealed class LedgerNotLeaderException()
    : Exception("this node is a follower: another node sequences the ledger; the transaction was not queued");
