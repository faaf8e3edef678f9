using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Sp.Core.Json;
using Sp.Ledger.Log;
using Sp.Ledger.State;
using Sp.Tlog;

namespace Sp.Ledger.Service;

/// <summary>
/// The encoded snapshot of the marketplace state at a height, with the log's tree at the same height
/// (docs/ledger.md, "Snapshots"). Version 1, all integers little-endian:
/// <code>
/// magic    8 bytes  "SPLSNAP\n"
/// version  int32    FormatVersion
/// height   int64    the state's Height
/// state    int32 length + that many bytes: RFC 8785 JSON of the state (the bytes the state digest hashes)
/// tree     byte 0 (none) or 1, then MerkleLog.WriteTo of a tree of `height` leaves
/// checksum 32 bytes SHA-256 of everything before it
/// </code>
/// The encoding is deterministic: the same state and tree give the same bytes.
/// </summary>
public static class LedgerSnapshot
{
    /// <summary>The one version this build writes and reads; a snapshot of another version is not used.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "SPLSNAP\n"u8;
    private const int HeaderSize = 8 + 4 + 8;
    private const int ChecksumSize = 32;

    /// <summary>The snapshot of <paramref name="state"/> and, when given, of <paramref name="tree"/> (same height).</summary>
    public static byte[] Encode(MarketState state, MerkleLog? tree)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (tree is not null && tree.Size != state.Height)
            throw new InvalidOperationException($"snapshot: the log tree has {tree.Size} leaves but the state is at height {state.Height}");
        var json = StateBytes(state);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(state.Height);
            w.Write(json.Length);
            w.Write(json);
            w.Write((byte)(tree is null ? 0 : 1));
            tree?.WriteTo(w);
        }
        var sum = SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        ms.Write(sum);
        return ms.ToArray();
    }

    /// <summary>The state's canonical JSON: what <see cref="LedgerService.ComputeDigest"/> hashes.</summary>
    public static byte[] StateBytes(MarketState state) => Jcs.Canonicalize(JsonSerializer.SerializeToNode(state, SpJson.Options));

    /// <summary>A snapshot read back: its state, and its tree to restore into the log's (empty) tree.</summary>
    public sealed class Decoded
    {
        internal Decoded(long height, MarketState state, byte[]? tree)
        {
            Height = height;
            State = state;
            _tree = tree;
        }

        private readonly byte[]? _tree;

        public long Height { get; }
        public MarketState State { get; }
        public bool HasTree => _tree is not null;

        /// <summary>Fills the empty <paramref name="tree"/> with the snapshot's; throws <see cref="SnapshotUnusableException"/>.</summary>
        public void RestoreTree(MerkleLog tree)
        {
            ArgumentNullException.ThrowIfNull(tree);
            if (_tree is not { } bytes) throw new SnapshotUnusableException("it holds no log tree");
            try
            {
                using var r = new BinaryReader(new MemoryStream(bytes, writable: false));
                tree.Restore(Height, r);
                if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("bytes follow the tree");
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new SnapshotUnusableException($"its log tree does not read: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Reads a snapshot: magic, version, checksum, then the state. Throws <see cref="SnapshotUnusableException"/>
    /// naming what is wrong (another version, a torn or altered body, a state that does not read).
    /// </summary>
    /// <param name="teeCertificates">The network's TEE certificate rule, which the state carries but does not store.</param>
    public static Decoded Decode(ReadOnlySpan<byte> body, TeeCertificateReader teeCertificates)
    {
        if (body.Length < HeaderSize + ChecksumSize || !body[..Magic.Length].SequenceEqual(Magic))
            throw new SnapshotUnusableException($"it is not a ledger snapshot ({body.Length} bytes, no \"SPLSNAP\" header)");
        var version = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        if (version != FormatVersion)
            throw new SnapshotUnusableException($"it has format version {version}; this build reads version {FormatVersion}", formatMismatch: true);
        var content = body[..^ChecksumSize];
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(body[^ChecksumSize..]))
            throw new SnapshotUnusableException($"its checksum does not match its {body.Length} bytes (torn or altered)");
        var height = BinaryPrimitives.ReadInt64LittleEndian(body[12..]);
        var rest = content[HeaderSize..];
        if (rest.Length < 4) throw new SnapshotUnusableException("it ends before its state");
        var stateLength = BinaryPrimitives.ReadInt32LittleEndian(rest);
        if (stateLength < 0 || stateLength > rest.Length - 5) throw new SnapshotUnusableException($"its state length {stateLength} does not fit its {body.Length} bytes");
        var stateJson = rest.Slice(4, stateLength);
        var treeFlag = rest[4 + stateLength];
        var treeBytes = rest[(5 + stateLength)..];
        if (treeFlag > 1 || (treeFlag == 0 && treeBytes.Length > 0)) throw new SnapshotUnusableException("its tree section is malformed");
        MarketState state;
        try
        {
            state = JsonSerializer.Deserialize<MarketState>(stateJson, ReadOptions(teeCertificates))
                ?? throw new JsonException("the state is null");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new SnapshotUnusableException($"its state does not read: {e.Message}", e);
        }
        if (state.Height != height) throw new SnapshotUnusableException($"its header says height {height} but its state is at height {state.Height}");
        return new Decoded(height, state, treeFlag == 1 ? treeBytes.ToArray() : null);
    }

    /// <summary>
    /// Domain separation of the snapshot signature. The node's log key also signs checkpoints (signed notes), whose
    /// text may hold no control character but newline: with its NUL byte this message is never a note's text, so a
    /// snapshot signature can never pass for a checkpoint signature, nor the reverse.
    /// </summary>
    private static ReadOnlySpan<byte> SignatureContext => "sp-ledger snapshot signature v1\0"u8;

    /// <summary>
    /// The bytes the node's log key signs for a snapshot: the context, then one line each for the log's origin (the
    /// key's name), the network, the height, the state digest, the hash of ledger entry <paramref name="height"/> and
    /// the SHA-256 (hex) of the encoded snapshot. Whoever can write the store but does not hold the key cannot make
    /// another state, height or body pass for the one the node wrote.
    /// </summary>
    public static byte[] SigningMessage(string origin, string network, long height, string stateDigest, string entryHash, ReadOnlySpan<byte> body)
    {
        var lines = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{origin}\n{network}\n{height}\n{stateDigest}\n{entryHash}\n{Core.Hex.Lower(SHA256.HashData(body))}\n");
        return [.. SignatureContext, .. System.Text.Encoding.UTF8.GetBytes(lines)];
    }

    /// <summary>The Ed25519 signature (64 bytes) of <see cref="SigningMessage"/> by the node's log key.</summary>
    public static byte[] Sign(NoteSigner key, string network, long height, string stateDigest, string entryHash, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Sign(SigningMessage(key.Name, network, height, stateDigest, entryHash, body));
    }

    /// <summary>Whether <paramref name="signature"/> is the log key's signature of <see cref="SigningMessage"/>.</summary>
    public static bool VerifySignature(NoteVerifier key, string network, long height, string stateDigest, string entryHash,
        ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        return !key.IsCosigner && key.Verify(SigningMessage(key.Name, network, height, stateDigest, entryHash, body), signature);
    }

    // SpJson's options, plus: the state's read-only collections are filled in place, and a state is created with the
    // network's TEE certificate rule (not data, so not in the JSON).
    private static JsonSerializerOptions ReadOptions(TeeCertificateReader teeCertificates) =>
        new(SpJson.Options)
        {
            PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
            TypeInfoResolver = (SpJson.Options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(info =>
            {
                if (info.Type == typeof(MarketState))
                    info.CreateObject = () => new MarketState { Network = "", TeeCertificates = teeCertificates };
            }),
        };
}

/// <summary>A snapshot that cannot be used: the node replays the whole ledger instead.</summary>
public sealed class SnapshotUnusableException : Exception
{
    public SnapshotUnusableException(string reason, Exception? inner = null, bool formatMismatch = false) : base(reason, inner)
    {
        FormatMismatch = formatMismatch;
    }

    /// <summary>Written by another version of the format (not damage).</summary>
    public bool FormatMismatch { get; }
}

/// <summary>Snapshots of a <see cref="LedgerService"/> (docs/ledger.md, "Snapshots").</summary>
public sealed record LedgerSnapshotOptions
{
    /// <summary>Default of <see cref="Every"/>: at most this many entries are replayed at a start after a crash.</summary>
    public const long DefaultEvery = 10_000;

    /// <summary>Entries between two snapshots; 0 turns snapshots off (none written, none used).</summary>
    public long Every { get; init; } = DefaultEvery;

    /// <summary>The transparency log's tree, kept in each snapshot and restored from it; it must follow the service
    /// (the service's <c>replayed</c> callback and <c>Committed</c>).</summary>
    public MerkleLog? Tree { get; init; }

    /// <summary>The node's log key (the one that signs its checkpoints): it signs every snapshot written
    /// (<see cref="LedgerSnapshot.Sign"/>), and a stored snapshot whose signature does not verify under its public key
    /// is not used.</summary>
    public required NoteSigner Key { get; init; }
}

/// <summary>How a <see cref="LedgerService"/> started.</summary>
/// <param name="Replayed">Entries replayed (all of them, or those after the snapshot).</param>
/// <param name="SnapshotHeight">The height of the snapshot it started from; 0 for a full replay.</param>
/// <param name="SnapshotRefused">Why the stored snapshot was not used (a full replay happened instead).</param>
/// <param name="SnapshotsOn">Snapshots are on (options given, <see cref="LedgerSnapshotOptions.Every"/> &gt; 0, a store that keeps them).</param>
public sealed record LedgerStart(long Replayed, long SnapshotHeight, string? SnapshotRefused, bool SnapshotsOn);
