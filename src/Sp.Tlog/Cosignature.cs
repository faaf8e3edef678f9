using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Sp.Tlog;

/// <summary>
/// C2SP tlog-cosignature, Ed25519 (<c>cosignature/v1</c>): a witness's note signature line on a checkpoint,
/// <code>
/// — &lt;name&gt; base64(key ID (4) || timestamp (8, big-endian, POSIX seconds) || Ed25519 signature (64))
/// key ID         = SHA-256(name || "\n" || 0x04 || public key)[:4]
/// signed message = "cosignature/v1\n" "time " decimal(timestamp) "\n" checkpoint text
/// </code>
/// It states that, at that time, the checkpoint was the largest consistent tree the witness had seen of that log.
/// </summary>
public static class Cosignature
{
    public const string Header = "cosignature/v1\n";
    public const int TimestampSize = 8;

    /// <summary>The bytes a cosigner signs for the checkpoint text <paramref name="checkpointText"/> at <paramref name="timestamp"/>.</summary>
    public static byte[] SignedMessage(ReadOnlySpan<byte> checkpointText, long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        var prefix = Encoding.ASCII.GetBytes($"{Header}time {timestamp.ToString(CultureInfo.InvariantCulture)}\n");
        return [.. prefix, .. checkpointText];
    }

    /// <summary>The timestamp (POSIX seconds) of a cosignature line; null if it is not a cosignature's length.</summary>
    public static long? TimestampOf(NoteSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var bytes = NoteKey.DecodeCanonicalBase64(signature.Base64);
        if (bytes is null || bytes.Length != NoteKey.KeyHashSize + TimestampSize + NoteKey.Ed25519SignatureSize) return null;
        var t = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(NoteKey.KeyHashSize));
        return t > long.MaxValue ? null : (long)t;
    }
}

/// <summary>A witness's Ed25519 cosigner key (type 0x04). Its secret is exported only through <see cref="ToSignerKey"/>.</summary>
public sealed class Cosigner
{
    private readonly Ed25519PrivateKeyParameters _privateKey;

    private Cosigner(string name, ReadOnlySpan<byte> seed)
    {
        if (!NoteKey.IsValidName(name))
        {
            throw new MalformedNoteKeyException($"key name \"{name}\" is empty or contains whitespace or '+'");
        }
        if (seed.Length != NoteKey.Ed25519KeySize)
        {
            throw new MalformedNoteKeyException($"Ed25519 seed must be {NoteKey.Ed25519KeySize} bytes, got {seed.Length}");
        }
        _privateKey = new Ed25519PrivateKeyParameters(seed);
        Verifier = NoteVerifier.CosignerFromPublicKey(name, _privateKey.GeneratePublicKey().GetEncoded());
    }

    public string Name => Verifier.Name;

    public uint KeyHash => Verifier.KeyHash;

    /// <summary>The matching cosigner verifier key (type 0x04), what clients put in their witness policy.</summary>
    public NoteVerifier Verifier { get; }

    /// <summary>A new random cosigner key named <paramref name="name"/>.</summary>
    public static Cosigner Generate(string name)
    {
        Span<byte> seed = stackalloc byte[NoteKey.Ed25519KeySize];
        RandomNumberGenerator.Fill(seed);
        try
        {
            return new Cosigner(name, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public static Cosigner FromSeed(string name, ReadOnlySpan<byte> seed) => new(name, seed);

    /// <summary>Parses <c>PRIVATE+KEY+&lt;name&gt;+&lt;hash&gt;+&lt;base64(0x04||seed)&gt;</c> and checks its hash.</summary>
    public static Cosigner Parse(string signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        if (!signerKey.StartsWith(NoteKey.PrivateKeyPrefix, StringComparison.Ordinal))
        {
            throw new MalformedNoteKeyException($"cosigner key must start with \"{NoteKey.PrivateKeyPrefix}\"");
        }
        var (name, hash, key) = NoteKey.ParseTriple(signerKey[NoteKey.PrivateKeyPrefix.Length..], "cosigner key", allowCosigner: true);
        try
        {
            if (key[0] != NoteKey.AlgorithmCosignatureV1)
            {
                throw new MalformedNoteKeyException($"cosigner key must be type 0x04 (Ed25519 cosignature/v1), got type {key[0]}");
            }
            var cosigner = new Cosigner(name, key.AsSpan(1));
            if (cosigner.KeyHash != hash)
            {
                throw new MalformedNoteKeyException($"cosigner key hash {hash:x8} does not match name and key, want {cosigner.KeyHash:x8}");
            }
            return cosigner;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Exports the secret key in signer-key format with type 0x04. Treat the result as a secret.</summary>
    public string ToSignerKey()
    {
        var typed = new byte[1 + NoteKey.Ed25519KeySize];
        typed[0] = NoteKey.AlgorithmCosignatureV1;
        _privateKey.Encode(typed, 1);
        try
        {
            return $"{NoteKey.PrivateKeyPrefix}{Name}+{KeyHash:x8}+{Convert.ToBase64String(typed)}";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(typed);
        }
    }

    /// <summary>The cosignature line (ending in a newline) on the checkpoint text <paramref name="checkpointText"/> at <paramref name="timestamp"/>.</summary>
    public string SignatureLine(string checkpointText, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(checkpointText);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestamp); // tlog-witness: the timestamp MUST NOT be zero
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        signer.BlockUpdate(Cosignature.SignedMessage(Encoding.UTF8.GetBytes(checkpointText), timestamp));
        var body = new byte[NoteKey.KeyHashSize + Cosignature.TimestampSize + NoteKey.Ed25519SignatureSize];
        BinaryPrimitives.WriteUInt32BigEndian(body, KeyHash);
        BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(NoteKey.KeyHashSize), (ulong)timestamp);
        signer.GenerateSignature().CopyTo(body, NoteKey.KeyHashSize + Cosignature.TimestampSize);
        return $"{Note.SignaturePrefix}{Name} {Convert.ToBase64String(body)}\n";
    }

    public override string ToString() => $"cosigner {Name}+{KeyHash:x8}";
}
