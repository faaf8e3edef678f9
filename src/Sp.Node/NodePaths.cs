namespace Sp.Node;

/// <summary>Files of a node's data folder (written by `sp-node init`).</summary>
public sealed record NodePaths(string Root)
{
    public string Settings => Path.Combine(Root, "node.json");
    public string Ledger => Path.Combine(Root, "ledger.db");
    public string RootCaCert => Path.Combine(Root, "root-ca.pem");
    public string RootCaKey => Path.Combine(Root, "root-ca.key.pem");
    public string SimPlatformKey => Path.Combine(Root, "sim-platform.key.pem");
    public string Policy => Path.Combine(Root, "attestation-policy.json");
    public string Blobs => Path.Combine(Root, "blobs");
    public string Log => Path.Combine(Root, "node.log");
}

public sealed record NodeSettings(string Network, long CreatedAt)
{
    /// <summary>Request, storage and sequencer limits (defaults when node.json has none).</summary>
    public NodeLimits Limits { get; init; } = new();

    /// <summary>Ledger entries between two snapshots of the state (node.json <c>snapshotEvery</c>; 0: no snapshots,
    /// every start replays the whole ledger). docs/ledger.md, "Snapshots".</summary>
    public long SnapshotEvery { get; init; } = Sp.Ledger.Service.LedgerSnapshotOptions.DefaultEvery;

    /// <summary>Refuses settings that cannot work, naming the field.</summary>
    public void Validate()
    {
        Limits.Validate();
        Failover?.Validate();
        if (SnapshotEvery < 0) throw new InvalidOperationException($"node.json: snapshotEvery: expected 0 (off) or a number of entries, got {SnapshotEvery}");
    }

    /// <summary>One of several nodes on one PostgreSQL ledger (docs/ledger.md, "Fail-over"); one node alone when absent.</summary>
    public FailoverSettings? Failover { get; init; }

    /// <summary>Where the log is also published as static files (docs/ledger.md, "The log as static files"); none when absent.</summary>
    public StaticLog.StaticLogSettings? Publish { get; init; }

    /// <summary>Witnesses asked to cosign each checkpoint (none when absent: the checkpoint carries the log's signature only).</summary>
    public WitnessingSettings? Witnessing { get; init; }
}
