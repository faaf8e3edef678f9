using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sp.Core;
using Sp.Core.Json;
using Sp.Tlog;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Log;

/// <summary>
/// The bytes of a ledger entry as a leaf of the transparency log: the RFC 8785 canonical JSON of
/// <c>{"seq", "time", "prevHash", "signed"}</c>. These are exactly the bytes whose SHA-256 is the entry's hash
/// (<see cref="LedgerEntry.ComputeHash"/>), so a log entry carries everything a replay needs: its position, the
/// sequencer's time, the hash chain link and the signed transaction.
/// </summary>
public static class LogEntryCodec
{
    /// <summary>Largest entry the log holds (an entry bundle's length prefix is a uint16).</summary>
    public const int MaxEntrySize = TileMath.MaxEntrySize;

    public static byte[] Encode(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var node = new JsonObject
        {
            ["seq"] = entry.Seq,
            ["time"] = entry.Time,
            ["prevHash"] = entry.PrevHash,
            ["signed"] = JsonSerializer.SerializeToNode(entry.Signed, SpJson.Options),
        };
        return Jcs.Canonicalize(node);
    }

    /// <summary>The entry hash (lowercase hex SHA-256) of encoded leaf bytes.</summary>
    public static string HashOf(ReadOnlySpan<byte> leaf) => Hex.Lower(SHA256.HashData(leaf));

    /// <summary>
    /// Parses leaf bytes back into an entry whose <see cref="LedgerEntry.Hash"/> is the SHA-256 of the bytes.
    /// Refuses bytes that are not the canonical encoding of an entry (so one entry has one leaf).
    /// </summary>
    /// <exception cref="InvalidDataException">Not JSON, a missing field, or not canonical.</exception>
    public static LedgerEntry Decode(ReadOnlySpan<byte> leaf, long index)
    {
        LedgerEntry entry;
        try
        {
            var node = JsonNode.Parse(leaf) as JsonObject ?? throw new JsonException("not a JSON object");
            if (node.Count != 4) throw new JsonException($"{node.Count} members, want seq, time, prevHash, signed");
            entry = new LedgerEntry
            {
                Seq = node["seq"]?.GetValue<long>() ?? throw new JsonException("no seq"),
                Time = node["time"]?.GetValue<long>() ?? throw new JsonException("no time"),
                PrevHash = node["prevHash"]?.GetValue<string>() ?? throw new JsonException("no prevHash"),
                Signed = node["signed"].Deserialize<SignedTransaction>(SpJson.Options) ?? throw new JsonException("no signed transaction"),
                Hash = HashOf(leaf),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"log entry {index}: not a ledger entry: {e.Message}", e);
        }
        if (!leaf.SequenceEqual(Encode(entry)))
            throw new InvalidDataException($"log entry {index}: not in canonical form (RFC 8785 JSON of seq, time, prevHash, signed)");
        return entry;
    }
}
