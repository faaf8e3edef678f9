using System.Globalization;
using System.Text;

namespace Sp.Tlog;

/// <summary>
/// The body of a C2SP tlog-witness <c>POST &lt;prefix&gt;/add-checkpoint</c>:
/// <code>
/// "old " decimal(old size) "\n"
/// *63(base64(consistency proof hash) "\n")
/// "\n"
/// checkpoint (a signed note)
/// </code>
/// The answer (200) is one or more cosignature lines; 409 (<see cref="SizeContentType"/>) carries the witness's size.
/// </summary>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<NodeHash> Proof, byte[] Checkpoint)
{
    public const string Path = "add-checkpoint";
    /// <summary>Content type of a 409 answer: the size of the latest checkpoint the witness cosigned, then a newline.</summary>
    public const string SizeContentType = "text/x.tlog.size";
    public const int MaxProofLines = 63;

    public byte[] ToBytes()
    {
        var head = new StringBuilder("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in Proof) head.Append(hash.ToBase64()).Append('\n');
        head.Append('\n');
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. Checkpoint];
    }

    /// <summary>Parses a request body; <see cref="MalformedNoteException"/> says which line is wrong (a 400).</summary>
    public static AddCheckpointRequest Parse(ReadOnlySpan<byte> body)
    {
        long? old = null;
        var proof = new List<NodeHash>();
        var lineNo = 0;
        while (true)
        {
            var end = body.IndexOf((byte)'\n');
            if (end < 0)
            {
                throw new MalformedNoteException($"add-checkpoint: line {lineNo + 1} does not end with a newline (no empty line before the checkpoint)");
            }
            var line = Encoding.ASCII.GetString(body[..end]);
            body = body[(end + 1)..];
            lineNo++;
            if (lineNo == 1)
            {
                if (!line.StartsWith("old ", StringComparison.Ordinal)
                    || !long.TryParse(line.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                    || line[4..] != size.ToString(CultureInfo.InvariantCulture))
                {
                    throw new MalformedNoteException($"add-checkpoint: line 1 must be \"old <size>\" (decimal, no leading zeros), got \"{Truncate(line)}\"");
                }
                old = size;
                continue;
            }
            if (line.Length == 0) break;
            if (proof.Count == MaxProofLines)
            {
                throw new MalformedNoteException($"add-checkpoint: more than {MaxProofLines} consistency proof lines");
            }
            if (!NodeHash.TryFromBase64(line, out var hash))
            {
                throw new MalformedNoteException($"add-checkpoint: line {lineNo} must be a base64 hash of {NodeHash.Size} bytes, got \"{Truncate(line)}\"");
            }
            proof.Add(hash);
        }
        return new AddCheckpointRequest(old!.Value, proof, body.ToArray());
    }

    /// <summary>The size in a 409 answer's body (<c>decimal "\n"</c>), or null when it is not that.</summary>
    public static long? ParseSize(string body) =>
        body.EndsWith('\n') && long.TryParse(body.AsSpan(0, body.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size)
        && body[..^1] == size.ToString(CultureInfo.InvariantCulture) ? size : null;

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
