using System.Globalization;
using System.Text;

namespace Sp.Tlog;

/// <summary>
/// A C2SP tlog-checkpoint body, the text of a signed note:
/// <code>
/// origin "\n"                       (the log's identity; also the name of the log key)
/// tree size (ASCII decimal) "\n"
/// base64(root hash) "\n"
/// *(extension line "\n")            (opaque, non-empty)
/// </code>
/// </summary>
public sealed class Checkpoint : IEquatable<Checkpoint>
{
    public Checkpoint(string origin, long treeSize, NodeHash rootHash, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (origin.Length == 0 || origin.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("checkpoint origin must be one non-empty line", nameof(origin));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        if (rootHash.IsDefault)
        {
            throw new ArgumentException("checkpoint root hash is required", nameof(rootHash));
        }
        var lines = extensions?.ToArray() ?? [];
        foreach (var line in lines)
        {
            if (string.IsNullOrEmpty(line) || line.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException("checkpoint extension lines must be non-empty single lines", nameof(extensions));
            }
        }
        Origin = origin;
        TreeSize = treeSize;
        RootHash = rootHash;
        Extensions = lines;
    }

    public string Origin { get; }

    public long TreeSize { get; }

    public NodeHash RootHash { get; }

    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The note text (body) of this checkpoint.</summary>
    public string ToText()
    {
        var text = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(TreeSize.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(RootHash.ToBase64()).Append('\n');
        foreach (var line in Extensions)
        {
            text.Append(line).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Parses a checkpoint body, accepting only its canonical form.</summary>
    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new MalformedCheckpointException("the text must end with a newline");
        }
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new MalformedCheckpointException($"need origin, tree size and root hash lines, got {lines.Length} lines");
        }
        if (lines[0].Length == 0)
        {
            throw new MalformedCheckpointException("line 1 (origin) is empty");
        }
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || lines[1] != size.ToString(CultureInfo.InvariantCulture))
        {
            throw new MalformedCheckpointException($"line 2 (tree size) must be a decimal number without leading zeros, got \"{lines[1]}\"");
        }
        if (!NodeHash.TryFromBase64(lines[2], out var root))
        {
            throw new MalformedCheckpointException($"line 3 (root hash) must be standard base64 of {NodeHash.Size} bytes, got \"{lines[2]}\"");
        }
        for (var i = 3; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                throw new MalformedCheckpointException($"line {i + 1} (extension) is empty");
            }
        }
        return new Checkpoint(lines[0], size, root, lines[3..]);
    }

    /// <summary>Signs this checkpoint as a note with the log key (whose name must be the origin) and any cosigners.</summary>
    public string Sign(NoteSigner logKey, params IReadOnlyList<NoteSigner> cosigners)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        ArgumentNullException.ThrowIfNull(cosigners);
        if (logKey.Name != Origin)
        {
            throw new ArgumentException($"log key name \"{logKey.Name}\" must equal the checkpoint origin \"{Origin}\"", nameof(logKey));
        }
        return Note.Sign(ToText(), [logKey, .. cosigners]);
    }

    /// <summary>
    /// Verifies a signed checkpoint: the note must carry a valid signature by <paramref name="logKey"/>, other
    /// known keys' signatures (<paramref name="otherKnown"/>, e.g. witnesses) must be valid, unknown ones are
    /// ignored, and the origin must be the log key's name.
    /// </summary>
    public static SignedCheckpoint Open(ReadOnlySpan<byte> note, NoteVerifier logKey, IEnumerable<NoteVerifier>? otherKnown = null)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        if (logKey.IsCosigner)
        {
            throw new MalformedNoteKeyException($"{logKey.Name}+{logKey.KeyHash:x8} is a witness's cosigner key (type 0x04), not a log key (type 0x01)");
        }
        var known = new List<NoteVerifier> { logKey };
        if (otherKnown is not null)
        {
            known.AddRange(otherKnown);
        }
        var opened = Note.Open(note, known);
        if (!opened.IsSignedBy(logKey))
        {
            throw new UnverifiedNoteException($"no signature by the log key {logKey.Name}+{logKey.KeyHash:x8}");
        }
        var checkpoint = Parse(opened.Text);
        if (checkpoint.Origin != logKey.Name)
        {
            throw new MalformedCheckpointException($"origin \"{checkpoint.Origin}\" is not the log key's name \"{logKey.Name}\"");
        }
        return new SignedCheckpoint(checkpoint, note.ToArray(), opened);
    }

    public bool Equals(Checkpoint? other) =>
        other is not null && Origin == other.Origin && TreeSize == other.TreeSize
        && RootHash == other.RootHash && Extensions.SequenceEqual(other.Extensions);

    public override bool Equals(object? obj) => Equals(obj as Checkpoint);

    public override int GetHashCode() => HashCode.Combine(Origin, TreeSize, RootHash);

    public override string ToString() => $"{Origin} @ {TreeSize} {RootHash}";
}

/// <summary>A checkpoint whose note was verified with the log key, with the exact note bytes (keep them as evidence).</summary>
public sealed class SignedCheckpoint
{
    internal SignedCheckpoint(Checkpoint checkpoint, byte[] noteBytes, OpenedNote note)
    {
        Checkpoint = checkpoint;
        NoteBytes = noteBytes;
        Note = note;
    }

    public Checkpoint Checkpoint { get; }

    /// <summary>The signed note exactly as received.</summary>
    public ReadOnlyMemory<byte> NoteBytes { get; }

    public OpenedNote Note { get; }
}
