namespace Sp.Node;

/// <summary>
/// What one request and the sequencer may take from the node: node.json's <c>limits</c> member
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
    }
}
