using Sp.Core.Json;

namespace Sp.Tee.Loader;

/// <summary>sp-tee's configuration (tee.json). Paths are relative to the file's folder.</summary>
public sealed record TeeConfig
{
    public required string NodeUrl { get; init; }
    public required string Network { get; init; }
    /// <summary>The compute provider's account: owns the TEE offer and signs the loader's transactions.</summary>
    public required string AccountPrivateKey { get; init; }
    /// <summary>Attestation provider: "sim" here (tdx / sev-snp on confidential VMs).</summary>
    public string Attestation { get; init; } = "sim";
    /// <summary>The sim platform key file (devnet only: stands in for the hardware vendor's key).</summary>
    public string? SimPlatformKey { get; init; }
    public string OfferName { get; init; } = "Devnet TEE";
    public string OfferDescription { get; init; } = "Docker-based TEE loader";
    public string ProviderName { get; init; } = "Devnet compute provider";
    /// <summary>Where decrypted inputs and outputs live while an order runs (memory-backed when possible).</summary>
    public string? WorkDir { get; init; }
    /// <summary>File that remembers this loader's offer id across restarts.</summary>
    public string StateFile { get; init; } = "tee-state.json";
    public int OrderTimeLimitSeconds { get; init; } = 600;
    public long MemoryBytes { get; init; } = 1L << 30;
    public double PollSeconds { get; init; } = 0.5;

    public static TeeConfig Load(string path) => StrictJson.ParseFile<TeeConfig>(path);
}

public sealed record TeeState(long OfferId, long SlotId);
