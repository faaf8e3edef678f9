using System.Text.Json.Serialization;

namespace Sp.Core.Model;

/// <summary>
/// What `spctl files upload` writes: where the ciphertext lives and how to open it. It is a secret, like a
/// key file. Top-level names follow the original tool so files look familiar.
/// </summary>
public sealed record ResourceFile
{
    public required HashInfo Hash { get; init; }
    /// <summary>Plaintext bytes (the archive's size for a directory).</summary>
    public required long Size { get; init; }
    public required EncryptionInfo Encryption { get; init; }
    public required StorageResource Resource { get; init; }
    /// <summary>Original file or directory name, used by `files download`.</summary>
    public string? Filename { get; init; }
    /// <summary>"file" or "directory" (a directory is stored as a deterministic tar archive).</summary>
    public string Kind { get; init; } = ResourceKinds.File;
}

public static class ResourceKinds
{
    public const string File = "file";
    public const string Directory = "directory";
}

public sealed record HashInfo
{
    public string Algo { get; init; } = "sha256";
    public string Encoding { get; init; } = "hex";
    [JsonPropertyName("hash")]
    public required string Value { get; init; }

    public static HashInfo Sha256(ReadOnlySpan<byte> digest) => new() { Value = Hex.Lower(digest) };
}

public sealed record EncryptionInfo
{
    public string Algo { get; init; } = "AES";
    /// <summary>Our authenticated stream format (docs/formats-stream.md): chunked AES-256-GCM.</summary>
    public string Cipher { get; init; } = "aes-256-gcm-stream";
    public required string Key { get; init; }
    public string Encoding { get; init; } = "base64";
}

public sealed record StorageResource
{
    public string Type { get; init; } = "STORAGE_PROVIDER";
    /// <summary>"SP_NODE" (the node's embedded storage) or "LOCAL" (a folder).</summary>
    public required string StorageType { get; init; }
    public required string Filepath { get; init; }
    public Dictionary<string, string> Credentials { get; init; } = new();
}
