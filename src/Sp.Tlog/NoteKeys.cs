using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Sp.Tlog;

/// <summary>
/// C2SP signed-note key conventions shared by signers and verifiers:
/// <code>
/// key hash      = first 4 bytes (big-endian uint32) of SHA-256(name || "\n" || 0x01 || public key)
/// verifier key  = name "+" hex8(key hash) "+" base64(0x01 || public key)
/// signer key    = "PRIVATE+KEY+" name "+" hex8(key hash) "+" base64(0x01 || seed)
/// </code>
/// 0x01 is the signature type byte of Ed25519. A name is non-empty UTF-8 without whitespace or '+'.
/// </summary>
public static class NoteKey
{
    /// <summary>Signature type byte of Ed25519 note keys.</summary>
    public const byte AlgorithmEd25519 = 0x01;

    /// <summary>Signature type byte of Ed25519 cosigner keys (C2SP tlog-cosignature, <c>cosignature/v1</c>).</summary>
    public const byte AlgorithmCosignatureV1 = 0x04;

    /// <summary>Size of an Ed25519 public key and of its seed.</summary>
    public const int Ed25519KeySize = 32;

    /// <summary>Size of an Ed25519 signature.</summary>
    public const int Ed25519SignatureSize = 64;

    /// <summary>Size of the key hash that prefixes every signature.</summary>
    public const int KeyHashSize = 4;

    internal const string PrivateKeyPrefix = "PRIVATE+KEY+";

    /// <summary>Whether <paramref name="name"/> is a valid key name (non-empty, no whitespace, no '+').</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('+', StringComparison.Ordinal))
        {
            return false;
        }
        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done
                || Rune.IsWhiteSpace(rune) || Rune.IsControl(rune))
            {
                return false;
            }
            rest = rest[used..];
        }
        return true;
    }

    /// <summary>The key hash of an encoded key (type byte followed by key bytes) under <paramref name="name"/>.</summary>
    public static uint KeyHash(string name, ReadOnlySpan<byte> typedKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[nameBytes.Length + 1 + typedKey.Length];
        nameBytes.CopyTo(buffer, 0);
        buffer[nameBytes.Length] = (byte)'\n';
        typedKey.CopyTo(buffer.AsSpan(nameBytes.Length + 1));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(buffer));
    }

    internal static (string Name, uint Hash, byte[] Key) ParseTriple(string text, string what, bool allowCosigner = false)
    {
        var parts = text.Split('+', 3); // base64 may itself contain '+'
        if (parts.Length != 3)
        {
            throw new MalformedNoteKeyException($"{what} must be <name>+<hash>+<base64 key>, got {parts.Length} '+'-separated fields");
        }
        var (name, hash16, key64) = (parts[0], parts[1], parts[2]);
        if (!IsValidName(name))
        {
            throw new MalformedNoteKeyException($"{what} name \"{name}\" is empty or contains whitespace");
        }
        if (hash16.Length != 8 || !uint.TryParse(hash16, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash))
        {
            throw new MalformedNoteKeyException($"{what} hash must be 8 hex digits, got \"{hash16}\"");
        }
        var key = DecodeCanonicalBase64(key64) ?? throw new MalformedNoteKeyException($"{what} key is not standard base64");
        if (key.Length != 1 + Ed25519KeySize || !(key[0] == AlgorithmEd25519 || allowCosigner && key[0] == AlgorithmCosignatureV1))
        {
            var type = key.Length > 0 ? key[0] : -1;
            var want = allowCosigner ? "0x01 (Ed25519) or 0x04 (Ed25519 cosignature/v1)" : "0x01 (Ed25519)";
            throw new MalformedNoteKeyException($"{what} key must be type {want} and {1 + Ed25519KeySize} bytes, got type {type} and {key.Length} bytes");
        }
        return (name, hash, key);
    }

    /// <summary>Standard padded base64 with nothing but alphabet characters; null if not.</summary>
    internal static byte[]? DecodeCanonicalBase64(string text)
    {
        if (text.Length == 0 || text.Length % 4 != 0)
        {
            return null;
        }
        foreach (var c in text)
        {
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/' or '='))
            {
                return null;
            }
        }
        try
        {
            var bytes = Convert.FromBase64String(text);
            return string.Equals(Convert.ToBase64String(bytes), text, StringComparison.Ordinal) ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// An Ed25519 note verifier key: checks signatures by one named key. Type 0x01 keys sign the note text; type 0x04
/// keys are witnesses' cosigner keys, whose signatures are C2SP tlog-cosignature <c>cosignature/v1</c> (a timestamp
/// and an Ed25519 signature over <see cref="Cosignature.SignedMessage"/>).
/// </summary>
public sealed class NoteVerifier
{
    private readonly Ed25519PublicKeyParameters _publicKey;

    private NoteVerifier(string name, uint keyHash, byte[] publicKey, byte algorithm = NoteKey.AlgorithmEd25519)
    {
        Name = name;
        KeyHash = keyHash;
        PublicKey = publicKey;
        Algorithm = algorithm;
        try
        {
            _publicKey = new Ed25519PublicKeyParameters(publicKey);
        }
        catch (ArgumentException e)
        {
            throw new MalformedNoteKeyException($"verifier key {name} is not a valid Ed25519 public key: {e.Message}");
        }
    }

    /// <summary>The key name (for a log key: the log's origin).</summary>
    public string Name { get; }

    /// <summary>The 4-byte key hash that names this key in signature lines.</summary>
    public uint KeyHash { get; }

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The signature type byte: <see cref="NoteKey.AlgorithmEd25519"/> or <see cref="NoteKey.AlgorithmCosignatureV1"/>.</summary>
    public byte Algorithm { get; }

    /// <summary>Whether this is a witness's cosigner key (type 0x04, cosignature/v1).</summary>
    public bool IsCosigner => Algorithm == NoteKey.AlgorithmCosignatureV1;

    /// <summary>The key in note verifier-key format <c>&lt;name&gt;+&lt;hash&gt;+&lt;base64(type||key)&gt;</c>.</summary>
    public string VerifierKey => $"{Name}+{KeyHash:x8}+{Convert.ToBase64String([Algorithm, .. PublicKey.Span])}";

    /// <summary>Parses a verifier key (type 0x01, or a cosigner key of type 0x04) and checks that its hash matches its name and key.</summary>
    public static NoteVerifier Parse(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var (name, hash, key) = NoteKey.ParseTriple(verifierKey, "verifier key", allowCosigner: true);
        var want = NoteKey.KeyHash(name, key);
        if (hash != want)
        {
            throw new MalformedNoteKeyException($"verifier key hash {hash:x8} does not match name and key, want {want:x8}");
        }
        return new NoteVerifier(name, hash, key[1..], key[0]);
    }

    /// <summary>A cosigner verifier (type 0x04, cosignature/v1) for a raw Ed25519 public key under <paramref name="name"/>.</summary>
    public static NoteVerifier CosignerFromPublicKey(string name, ReadOnlySpan<byte> publicKey)
    {
        var plain = FromPublicKey(name, publicKey);
        byte[] typed = [NoteKey.AlgorithmCosignatureV1, .. publicKey];
        return new NoteVerifier(name, NoteKey.KeyHash(name, typed), plain.PublicKey.ToArray(), NoteKey.AlgorithmCosignatureV1);
    }

    /// <summary>A verifier for a raw Ed25519 public key under <paramref name="name"/>.</summary>
    public static NoteVerifier FromPublicKey(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteKey.IsValidName(name))
        {
            throw new MalformedNoteKeyException($"key name \"{name}\" is empty or contains whitespace or '+'");
        }
        if (publicKey.Length != NoteKey.Ed25519KeySize)
        {
            throw new MalformedNoteKeyException($"Ed25519 public key must be {NoteKey.Ed25519KeySize} bytes, got {publicKey.Length}");
        }
        byte[] typed = [NoteKey.AlgorithmEd25519, .. publicKey];
        return new NoteVerifier(name, NoteKey.KeyHash(name, typed), publicKey.ToArray());
    }

    /// <summary>
    /// Whether <paramref name="signature"/> (without the key hash) signs the note text <paramref name="message"/>:
    /// 64 Ed25519 bytes for a type 0x01 key; for a cosigner key, an 8-byte big-endian timestamp and 64 Ed25519 bytes
    /// over the cosignature/v1 message of that time.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (IsCosigner)
        {
            if (signature.Length != Cosignature.TimestampSize + NoteKey.Ed25519SignatureSize)
            {
                return false;
            }
            var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
            if (timestamp > long.MaxValue)
            {
                return false; // tlog-cosignature: it MUST NOT exceed 2^63 - 1
            }
            return VerifyEd25519(Cosignature.SignedMessage(message, (long)timestamp), signature[Cosignature.TimestampSize..]);
        }
        return VerifyEd25519(message, signature);
    }

    private bool VerifyEd25519(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != NoteKey.Ed25519SignatureSize)
        {
            return false;
        }
        var verifier = new Ed25519Signer();
        verifier.Init(false, _publicKey);
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature.ToArray());
    }

    public override string ToString() => VerifierKey;
}

/// <summary>An Ed25519 note signer key. Its secret is exported only through <see cref="ToSignerKey"/>.</summary>
public sealed class NoteSigner
{
    private readonly Ed25519PrivateKeyParameters _privateKey;

    private NoteSigner(string name, ReadOnlySpan<byte> seed)
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
        Verifier = NoteVerifier.FromPublicKey(name, _privateKey.GeneratePublicKey().GetEncoded());
    }

    public string Name => Verifier.Name;

    public uint KeyHash => Verifier.KeyHash;

    /// <summary>The matching verifier (public key).</summary>
    public NoteVerifier Verifier { get; }

    /// <summary>A new random key named <paramref name="name"/>.</summary>
    public static NoteSigner Generate(string name)
    {
        Span<byte> seed = stackalloc byte[NoteKey.Ed25519KeySize];
        RandomNumberGenerator.Fill(seed);
        try
        {
            return new NoteSigner(name, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The key with the given 32-byte Ed25519 seed (RFC 8032 private key).</summary>
    public static NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed) => new(name, seed);

    /// <summary>Parses <c>PRIVATE+KEY+&lt;name&gt;+&lt;hash&gt;+&lt;base64(0x01||seed)&gt;</c> and checks its hash.</summary>
    public static NoteSigner Parse(string signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        if (!signerKey.StartsWith(NoteKey.PrivateKeyPrefix, StringComparison.Ordinal))
        {
            throw new MalformedNoteKeyException($"signer key must start with \"{NoteKey.PrivateKeyPrefix}\"");
        }
        var (name, hash, key) = NoteKey.ParseTriple(signerKey[NoteKey.PrivateKeyPrefix.Length..], "signer key");
        try
        {
            var signer = new NoteSigner(name, key.AsSpan(1));
            if (signer.KeyHash != hash)
            {
                throw new MalformedNoteKeyException($"signer key hash {hash:x8} does not match name and key, want {signer.KeyHash:x8}");
            }
            return signer;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Exports the secret key in signer-key format. Treat the result as a secret.</summary>
    public string ToSignerKey()
    {
        var typed = new byte[1 + NoteKey.Ed25519KeySize];
        typed[0] = NoteKey.AlgorithmEd25519;
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

    /// <summary>The 64-byte Ed25519 signature of <paramref name="message"/> (deterministic).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    public override string ToString() => $"signer {Name}+{KeyHash:x8}";
}
