using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Sp.Tlog;

/// <summary>One signature line of a note: <c>— &lt;name&gt; base64(key hash || signature)</c>.</summary>
public sealed record NoteSignature(string Name, uint KeyHash, string Base64);

/// <summary>A note whose signatures were checked by <see cref="Note.Open(ReadOnlySpan{byte}, IEnumerable{NoteVerifier})"/>.</summary>
public sealed class OpenedNote
{
    internal OpenedNote(string text, IReadOnlyList<NoteSignature> verified, IReadOnlyList<NoteSignature> unverified)
    {
        Text = text;
        VerifiedSignatures = verified;
        UnverifiedSignatures = unverified;
    }

    /// <summary>The signed text, ending with a newline.</summary>
    public string Text { get; }

    /// <summary>Signatures by known keys, all valid (at least one).</summary>
    public IReadOnlyList<NoteSignature> VerifiedSignatures { get; }

    /// <summary>Signatures by keys the caller does not know (for example witness cosignatures), not checked.</summary>
    public IReadOnlyList<NoteSignature> UnverifiedSignatures { get; }

    /// <summary>Whether a valid signature by <paramref name="verifier"/> is among <see cref="VerifiedSignatures"/>.</summary>
    public bool IsSignedBy(NoteVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return VerifiedSignatures.Any(s => s.Name == verifier.Name && s.KeyHash == verifier.KeyHash);
    }
}

/// <summary>
/// C2SP signed-note: a UTF-8 text ending in a newline, a blank line, then one signature line per key:
/// <code>
/// note           = text "\n" 1*signature-line
/// signature-line = "— " name " " base64(key hash (4 bytes, big-endian) || signature) "\n"
/// </code>
/// The signature is Ed25519 over the text bytes (including its final newline). Readers ignore signatures by
/// keys they do not know, and accept a note only with at least one valid signature by a known key; a known
/// key's invalid signature rejects the note.
/// </summary>
public static class Note
{
    /// <summary>Start of every signature line: U+2014 EM DASH and a space.</summary>
    public const string SignaturePrefix = "\u2014 ";

    /// <summary>Most signature lines a reader processes before giving up (as Go's note package).</summary>
    public const int MaxSignatures = 100;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Signs <paramref name="text"/> with every signer, in order, and returns the note.</summary>
    public static string Sign(string text, params IReadOnlyList<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count == 0)
        {
            throw new ArgumentException("at least one signer is required", nameof(signers));
        }
        var textBytes = StrictUtf8.GetBytes(text);
        CheckText(textBytes, requireFinalNewline: true);
        var note = new StringBuilder(text).Append('\n');
        var seen = new HashSet<(string, uint)>();
        foreach (var signer in signers)
        {
            ArgumentNullException.ThrowIfNull(signer);
            if (!seen.Add((signer.Name, signer.KeyHash)))
            {
                throw new ArgumentException($"signer {signer.Name}+{signer.KeyHash:x8} is listed twice", nameof(signers));
            }
            var signature = new byte[NoteKey.KeyHashSize + NoteKey.Ed25519SignatureSize];
            BinaryPrimitives.WriteUInt32BigEndian(signature, signer.KeyHash);
            signer.Sign(textBytes).CopyTo(signature, NoteKey.KeyHashSize);
            note.Append(SignaturePrefix).Append(signer.Name).Append(' ').Append(Convert.ToBase64String(signature)).Append('\n');
        }
        return note.ToString();
    }

    /// <summary>Parses and verifies a note given as a string.</summary>
    public static OpenedNote Open(string note, IEnumerable<NoteVerifier> known)
    {
        ArgumentNullException.ThrowIfNull(note);
        return Open(Encoding.UTF8.GetBytes(note), known);
    }

    /// <summary>
    /// Parses <paramref name="note"/> and checks its signatures against <paramref name="known"/>. Throws
    /// <see cref="MalformedNoteException"/>, <see cref="InvalidNoteSignatureException"/> (a known key's signature
    /// is wrong) or <see cref="UnverifiedNoteException"/> (no known key signed it).
    /// </summary>
    public static OpenedNote Open(ReadOnlySpan<byte> note, IEnumerable<NoteVerifier> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var verifiers = new Dictionary<(string, uint), NoteVerifier>();
        foreach (var verifier in known)
        {
            ArgumentNullException.ThrowIfNull(verifier);
            if (!verifiers.TryAdd((verifier.Name, verifier.KeyHash), verifier)
                && !verifiers[(verifier.Name, verifier.KeyHash)].PublicKey.Span.SequenceEqual(verifier.PublicKey.Span))
            {
                throw new ArgumentException($"ambiguous known keys: two different keys named {verifier.Name}+{verifier.KeyHash:x8}", nameof(known));
            }
        }

        CheckText(note, requireFinalNewline: false);
        var split = note.LastIndexOf("\n\n"u8);
        if (split < 0)
        {
            throw new MalformedNoteException("no blank line before the signatures");
        }
        var textBytes = note[..(split + 1)];
        var signatureBlock = note[(split + 2)..];
        if (signatureBlock.IsEmpty || signatureBlock[^1] != (byte)'\n')
        {
            throw new MalformedNoteException("the signature block is empty or does not end with a newline");
        }

        var verified = new List<NoteSignature>();
        var unverified = new List<NoteSignature>();
        var seenVerified = new HashSet<(string, uint)>();
        var seenUnverified = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        while (!signatureBlock.IsEmpty)
        {
            var end = signatureBlock.IndexOf((byte)'\n');
            var line = Encoding.UTF8.GetString(signatureBlock[..end]);
            signatureBlock = signatureBlock[(end + 1)..];
            if (++count > MaxSignatures)
            {
                throw new MalformedNoteException($"more than {MaxSignatures} signatures");
            }
            var signature = ParseSignatureLine(line, out var keyHash, out var signatureBytes);
            if (!verifiers.TryGetValue((signature.Name, keyHash), out var verifier))
            {
                if (seenUnverified.Add(line))
                {
                    unverified.Add(signature);
                }
                continue;
            }
            if (!seenVerified.Add((signature.Name, keyHash)))
            {
                continue; // Go's note package also keeps only the first signature per key
            }
            if (!verifier.Verify(textBytes, signatureBytes))
            {
                throw new InvalidNoteSignatureException(signature.Name, keyHash);
            }
            verified.Add(signature);
        }

        if (verified.Count == 0)
        {
            var names = unverified.Count == 0 ? "none" : string.Join(", ", unverified.Select(s => $"{s.Name}+{s.KeyHash:x8}"));
            var knownNames = verifiers.Count == 0 ? "none" : string.Join(", ", verifiers.Keys.Select(k => $"{k.Item1}+{k.Item2:x8}"));
            throw new UnverifiedNoteException($"signed by {names}; known keys: {knownNames}");
        }
        return new OpenedNote(StrictUtf8.GetString(textBytes), verified, unverified);
    }

    /// <summary>Splits a note into text and signature lines without checking any signature (for inspection only).</summary>
    public static (string Text, IReadOnlyList<NoteSignature> Signatures) ParseUnverified(ReadOnlySpan<byte> note)
    {
        CheckText(note, requireFinalNewline: false);
        var split = note.LastIndexOf("\n\n"u8);
        if (split < 0)
        {
            throw new MalformedNoteException("no blank line before the signatures");
        }
        var block = note[(split + 2)..];
        if (block.IsEmpty || block[^1] != (byte)'\n')
        {
            throw new MalformedNoteException("the signature block is empty or does not end with a newline");
        }
        var signatures = new List<NoteSignature>();
        foreach (var line in Encoding.UTF8.GetString(block[..^1]).Split('\n'))
        {
            if (signatures.Count == MaxSignatures)
            {
                throw new MalformedNoteException($"more than {MaxSignatures} signatures");
            }
            signatures.Add(ParseSignatureLine(line, out _, out _));
        }
        return (Encoding.UTF8.GetString(note[..(split + 1)]), signatures);
    }

    private static NoteSignature ParseSignatureLine(string line, out uint keyHash, out byte[] signature)
    {
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            throw new MalformedNoteException($"signature line must start with \"{SignaturePrefix}\", got \"{Truncate(line)}\"");
        }
        var rest = line[SignaturePrefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? rest : rest[..space];
        var base64 = space < 0 ? string.Empty : rest[(space + 1)..];
        if (!NoteKey.IsValidName(name))
        {
            throw new MalformedNoteException($"signature key name \"{Truncate(name)}\" is invalid");
        }
        var bytes = NoteKey.DecodeCanonicalBase64(base64);
        if (bytes is null || bytes.Length <= NoteKey.KeyHashSize)
        {
            throw new MalformedNoteException($"signature by {name} is not base64 of a key hash and a signature");
        }
        keyHash = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        signature = bytes[NoteKey.KeyHashSize..];
        return new NoteSignature(name, keyHash, base64);
    }

    /// <summary>Valid UTF-8 with no ASCII control character other than newline.</summary>
    private static void CheckText(ReadOnlySpan<byte> bytes, bool requireFinalNewline)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new MalformedNoteException("not valid UTF-8");
        }
        var control = bytes.IndexOfAnyInRange((byte)0x00, (byte)0x1f);
        while (control >= 0)
        {
            var at = control;
            if (bytes[at] != (byte)'\n')
            {
                throw new MalformedNoteException($"control character 0x{bytes[at]:x2} at byte {at}");
            }
            var next = bytes[(at + 1)..].IndexOfAnyInRange((byte)0x00, (byte)0x1f);
            control = next < 0 ? -1 : at + 1 + next;
        }
        if (requireFinalNewline && (bytes.IsEmpty || bytes[^1] != (byte)'\n'))
        {
            throw new MalformedNoteException("the text must end with a newline");
        }
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
