namespace Sp.Node;

/// <summary>
/// What one request, one account and the sequencer may take from the node: node.json's <c>limits</c> member
/// (every field optional; docs/api.md, "Limits").
/// </summary>
public sealed record NodeLimits
{
    /// <summary>Largest request body of every endpoint but storage uploads (transactions, certificate requests):
    /// a longer body is answered 413 before it is read (a declared length) or once this much has arrived.</summary>
    public long RequestBytes { get; init; } = 1L << 20;

    /// <summary>Transactions waiting for the sequencer; past this the node answers 503 with Retry-After.</summary>
    public int LedgerQueue { get; init; } = 8192;

    /// <summary>Seconds the node asks a client to wait (Retry-After) when the sequencer's queue is full.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Storage objects an account may hold (created and not deleted).</summary>
    public long StorageObjectsPerAccount { get; init; } = 10_000;

    /// <summary>Bytes of storage an account may hold (written, and being written).</summary>
    public long StorageBytesPerAccount { get; init; } = 100L << 30;

    /// <summary>How far the time of a signed storage request may be from the node's clock (seconds, either way).</summary>
    public int SignatureWindowSeconds { get; init; } = 300;

    /// <summary>Refuses a value that cannot work, naming the field.</summary>
    public void Validate()
    {
        static void Positive(long v, string name)
        {
            if (v <= 0) throw new InvalidOperationException($"node.json: limits.{name}: expected > 0, got {v}");
        }
        Positive(RequestBytes, "requestBytes");
        Positive(LedgerQueue, "ledgerQueue");
        Positive(RetryAfterSeconds, "retryAfterSeconds");
        Positive(StorageObjectsPerAccount, "storageObjectsPerAccount");
        Positive(StorageBytesPerAccount, "storageBytesPerAccount");
        Positive(SignatureWindowSeconds, "signatureWindowSeconds");
    }
}
