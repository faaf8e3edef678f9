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
    /// <summary>Witnesses asked to cosign each checkpoint (none when absent: the checkpoint carries the log's signature only).</summary>
    public WitnessingSettings? Witnessing { get; init; }
}
