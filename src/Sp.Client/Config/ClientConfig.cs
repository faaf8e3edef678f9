using Sp.Core;
using System.Text.Json;
using Sp.Core.Json;

namespace Sp.Client.Config;

/// <summary>
/// config.json of spctl and provider-tools (both read the one in their folder). The shape echoes the original
/// tool's sections (backend, blockchain, storage, workflow) plus the pinned trust anchors.
/// Paths inside are relative to the config file's folder.
/// </summary>
public sealed record ClientConfig
{
    public required BackendSection Backend { get; init; }
    public required BlockchainSection Blockchain { get; init; }
    public StorageSection Storage { get; init; } = new();
    public WorkflowSection Workflow { get; init; } = new();
    public required TrustSection Trust { get; init; }

    public static ClientConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new UserError($"no configuration at {path}", "run `spctl setup` to create one, or pass --config <path>");
        ClientConfig config;
        try { config = StrictJson.Parse<ClientConfig>(File.ReadAllText(path), path); }
        catch (InvalidDataException e) { throw new UserError(e.Message, "fix the file or recreate it with `spctl setup`"); }
        config.Trust.CheckWitnesses(path);
        return config;
    }

    public void Save(string path)
    {
        SecretFile.Write(path, SpJson.Serialize(this, indented: true));
    }
}

public sealed record BackendSection
{
    public required string Url { get; init; }
    public required string Network { get; init; }
}

public sealed record BlockchainSection
{
    public required string AccountPrivateKey { get; init; }
}

public sealed record StorageSection
{
    /// <summary>SP_NODE (the node's embedded storage), S3 (an S3-compatible service, <see cref="S3"/>) or LOCAL
    /// (a folder given in <see cref="Path"/>). See docs/storage.md.</summary>
    public string Type { get; init; } = "SP_NODE";
    public string? Path { get; init; }
    public Sp.Storage.Blobs.S3StorageOptions? S3 { get; init; }
}

public sealed record WorkflowSection
{
    public ResultEncryption? ResultEncryption { get; init; }
}

/// <summary>The consumer's result key: an X25519 private key (base64) that results are sealed to.</summary>
public sealed record ResultEncryption
{
    public string Algo { get; init; } = "HPKE-X25519";
    public required string Key { get; init; }
    public string Encoding { get; init; } = "base64";
}

public sealed record TrustSection
{
    /// <summary>PEM file of the network's Root CA, pinned when the config was created.</summary>
    public required string RootCa { get; init; }
    /// <summary>Attestation policy file applied to TEE certificates and reports.</summary>
    public required string AttestationPolicy { get; init; }
    /// <summary>The node's transparency log verifier key (note format <c>name+hash+base64</c>), pinned when the
    /// config was created; optional, so configs from before the log still load.</summary>
    public string? LogKey { get; init; }
    /// <summary>Witnesses whose cosignatures a checkpoint must carry ("k of these n"); none: the log key's signature suffices.</summary>
    public WitnessPolicySection? Witnesses { get; init; }

    /// <summary>
    /// Refuses a witness policy that would be ignored: checkpoints are checked only under a pinned log key, so
    /// <c>trust.witnesses</c> without <c>trust.logKey</c> would silently give a user who asked for k-of-n
    /// cosignatures none. Also refuses a malformed policy now, not at the first checkpoint.
    /// </summary>
    public void CheckWitnesses(string path)
    {
        if (Witnesses is null) return;
        if (string.IsNullOrWhiteSpace(LogKey))
            throw new UserError($"{path}: trust.witnesses is set but trust.logKey is missing: a witness policy needs the node's pinned log key, without it no checkpoint is checked",
                "add the node's verifier key (its log-key.pub) as trust.logKey, or remove trust.witnesses");
        Witnesses.ToPolicy($"{path}: trust.witnesses");
    }
}

/// <summary>
/// A witness policy in a client's configuration (config.json <c>trust.witnesses</c>, tee.json <c>witnesses</c>):
/// a checkpoint is accepted only with valid cosignatures by at least <see cref="Threshold"/> of <see cref="Keys"/>
/// (witnesses' verifier keys, type 0x04: their <c>witness-key.pub</c>).
/// </summary>
public sealed record WitnessPolicySection
{
    public int Threshold { get; init; }
    public List<string> Keys { get; init; } = [];

    /// <summary>The policy, or a <see cref="UserError"/> naming <paramref name="where"/> (file and member) and what is wrong.</summary>
    public Sp.Tlog.WitnessPolicy ToPolicy(string where)
    {
        try
        {
            return Sp.Tlog.WitnessPolicy.Parse(Threshold, Keys);
        }
        catch (Sp.Tlog.MalformedNoteKeyException e)
        {
            throw new UserError($"{where}: {e.Message}", "threshold is how many of keys must cosign; keys are witnesses' verifier keys (name+hash+base64, type 0x04)");
        }
    }
}
