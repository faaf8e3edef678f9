using Sp.Core.Json;
using Sp.Storage.Blobs;
using Sp.Tlog;

namespace Sp.Tee.Loader;

/// <summary>sp-tee's configuration (tee.json). Paths are relative to the file's folder.</summary>
public sealed record TeeConfig
{
    public required string NodeUrl { get; init; }
    public required string Network { get; init; }
    /// <summary>The compute provider's account: owns the TEE offer and signs the loader's transactions.</summary>
    public required string AccountPrivateKey { get; init; }
    /// <summary>
    /// The node's transparency log verifier key (note format <c>name+hash+base64</c>), pinned when this file is
    /// written (<c>sp-devnet up</c> does). When set, the loader keeps the newest verified checkpoint beside this file
    /// (<c>ledger/NETWORK/checkpoint</c>), proves each of its transactions in the log, and stops on a rollback, a
    /// fork or a missing entry (docs/tee.md).
    /// </summary>
    public string? LogKey { get; init; }
    /// <summary>With <see cref="LogKey"/>: the witnesses whose cosignatures each checkpoint must carry ("k of these n"; docs/formats-tlog.md).
    /// Without <see cref="LogKey"/> it is refused (<see cref="LogTrust"/>): no checkpoint would be checked.</summary>
    public Sp.Client.Config.WitnessPolicySection? Witnesses { get; init; }
    /// <summary>Attestation provider: "sim" here (tdx / sev-snp on confidential VMs).</summary>
    public string Attestation { get; init; } = "sim";
    /// <summary>The sim platform key file (devnet only: stands in for the hardware vendor's key).</summary>
    public string? SimPlatformKey { get; init; }
    public string OfferName { get; init; } = "Devnet TEE";
    public string OfferDescription { get; init; } = "Docker-based TEE loader";
    public string ProviderName { get; init; } = "Devnet compute provider";
    /// <summary>
    /// Parent of this loader's scratch folder, where decrypted inputs and outputs live while an order runs.
    /// Default /dev/shm/sp-tee (memory-backed). The loader owns a sub-folder named after its account and offer,
    /// and empties it at start-up (what a killed loader left behind).
    /// </summary>
    public string? WorkDir { get; init; }
    /// <summary>
    /// Where results are written (and the folder LOCAL inputs are read from): the <c>storage</c> section of a
    /// client's config.json (SP_NODE, the default; S3 with <c>s3</c>; LOCAL with <c>path</c>, relative to tee.json).
    /// Inputs are always read from the store their resource file names.
    /// </summary>
    public Sp.Client.Config.StorageSection Storage { get; init; } = new();
    /// <summary>
    /// Storage hosts inputs may be read from, besides the node (<c>host</c> or <c>host:port</c>; IPv6 in brackets).
    /// A resource file naming any other endpoint is refused before a connection is made; loopback, private and
    /// link-local hosts only when listed as addresses; a listed DNS name only to public addresses or listed ones.
    /// The node's URL and the endpoint of this file's own <c>storage.s3</c> are always allowed (docs/tee.md).
    /// </summary>
    public List<string> AllowedStorageHosts { get; init; } = [];

    /// <summary>Where inputs may come from: <see cref="AllowedStorageHosts"/>, the node, and this loader's own S3 endpoint.</summary>
    public StorageEndpointPolicy InputEndpoints()
    {
        var policy = new StorageEndpointPolicy(AllowedStorageHosts, "tee.json allowedStorageHosts").Allowing(NodeUrl);
        return Storage.S3?.Endpoint is { } own ? policy.Allowing(own) : policy;
    }

    /// <summary>File that remembers this loader's offer id across restarts.</summary>
    public string StateFile { get; init; } = "tee-state.json";
    /// <summary>Wall-clock limit of one solution run (lowered by the order's slot maxTimeMinutes when that is set).</summary>
    public int OrderTimeLimitSeconds { get; init; } = 600;
    /// <summary>Memory of one solution container (the order's slot ram, when set, is used instead).</summary>
    public long MemoryBytes { get; init; } = 1L << 30;
    /// <summary>Size limit of /sp/output (the order's slot diskUsage, when set, is used instead, up to this value).</summary>
    public long OutputLimitBytes { get; init; } = 1L << 30;
    /// <summary>How much of the solution's log goes into the result; the rest is counted and noted.</summary>
    public long LogCapBytes { get; init; } = 1L << 20;
    /// <summary>Total log volume after which the solution is stopped (Error "log limit").</summary>
    public long LogLimitBytes { get; init; } = 64L << 20;
    /// <summary>Processes a solution may have at once (a fork bomb ends its order with Error "process limit").</summary>
    public long PidsLimit { get; init; } = 256;
    /// <summary>Orders run at once; 0 derives it from the cores and the memory (see <see cref="Capacity"/>).</summary>
    public int MaxConcurrentOrders { get; init; }
    /// <summary>How often the queue is asked for new orders (a poll is one small HTTP request).</summary>
    public double PollSeconds { get; init; } = 0.25;
    /// <summary>How often a running order is read back: a Canceled order, or one whose deposit is spent, is stopped.</summary>
    public double OrderWatchSeconds { get; init; } = 1;
    /// <summary>The TEE offer's <c>cancelable</c> when the loader registers it: consumers may cancel running orders
    /// (they pay for the time used). Offers registered before keep what they had.</summary>
    public bool OfferCancelable { get; init; } = true;

    /// <summary>Capacity derived when <see cref="MaxConcurrentOrders"/> is 0 and nothing else is known.</summary>
    public const int DefaultCapacity = 2;

    /// <summary>
    /// Orders run at once: <see cref="MaxConcurrentOrders"/> when set; otherwise one per core, as many as the
    /// machine's memory holds at <see cref="MemoryBytes"/> each, at least one (2 on the 2-core devnet machine).
    /// </summary>
    public int Capacity(int cores, long totalMemoryBytes)
    {
        if (MaxConcurrentOrders < 0) throw new InvalidDataException($"tee.json: maxConcurrentOrders: expected >= 0, got {MaxConcurrentOrders}");
        if (MaxConcurrentOrders > 0) return MaxConcurrentOrders;
        if (cores <= 0 || totalMemoryBytes <= 0) return DefaultCapacity;
        var byMemory = MemoryBytes > 0 ? totalMemoryBytes / MemoryBytes : cores;
        return (int)Math.Max(1, Math.Min(cores, byMemory));
    }

    public void Validate()
    {
        void Positive(long v, string name) { if (v <= 0) throw new InvalidDataException($"tee.json: {name}: expected > 0, got {v}"); }
        Positive(OrderTimeLimitSeconds, "orderTimeLimitSeconds");
        Positive(MemoryBytes, "memoryBytes");
        Positive(OutputLimitBytes, "outputLimitBytes");
        Positive(LogLimitBytes, "logLimitBytes");
        Positive(PidsLimit, "pidsLimit");
        if (LogCapBytes < 0) throw new InvalidDataException($"tee.json: logCapBytes: expected >= 0, got {LogCapBytes}");
        if (MaxConcurrentOrders < 0) throw new InvalidDataException($"tee.json: maxConcurrentOrders: expected >= 0, got {MaxConcurrentOrders}");
        if (PollSeconds <= 0) throw new InvalidDataException($"tee.json: pollSeconds: expected > 0, got {PollSeconds}");
        if (OrderWatchSeconds <= 0) throw new InvalidDataException($"tee.json: orderWatchSeconds: expected > 0, got {OrderWatchSeconds}");
        InputEndpoints(); // refuses an entry that is no host, naming it
        LogTrust();
    }

    /// <summary>
    /// The pinned log key and the witness policy checkpoints must satisfy; null when no log key is pinned. A policy
    /// without a log key is refused: no checkpoint would be checked, so k-of-n cosignatures would silently be none.
    /// Errors name <paramref name="file"/> and the member.
    /// </summary>
    public (NoteVerifier Key, WitnessPolicy? Witnesses)? LogTrust(string file = "tee.json")
    {
        if (string.IsNullOrWhiteSpace(LogKey))
        {
            if (Witnesses is not null)
                throw new InvalidDataException($"{file}: witnesses is set but logKey is missing: a witness policy needs the node's pinned log key " +
                    "(its log-key.pub), without it no checkpoint is checked; add logKey or remove witnesses");
            return null;
        }
        NoteVerifier key;
        try { key = NoteVerifier.Parse(LogKey.Trim()); }
        catch (TlogException e) { throw new InvalidDataException($"{file}: logKey is not a verifier key: {e.Message}"); }
        try { return (key, Witnesses?.ToPolicy($"{file}: witnesses")); }
        catch (Sp.Core.UserError e) { throw new InvalidDataException(e.Message); }
    }

    public static TeeConfig Load(string path)
    {
        var config = StrictJson.ParseFile<TeeConfig>(path);
        config.LogTrust(path); // first, so that its errors name the file by its path
        config.Validate();
        return config;
    }
}

public sealed record TeeState(long OfferId, long SlotId);
