using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Sp.Core;
using Sp.Core.Json;
using Sp.Crypto.Accounts;

namespace Sp.Ledger.Transactions;

/// <summary>
/// The signed body of a ledger transaction. Every state change is one of these, signed by an account key.
/// The signing digest is keccak-256 over the RFC 8785 canonical form of this record.
/// JSON: <c>{"network","from","nonce","type","payload"}</c>, where <c>type</c> is the payload's type name
/// (<see cref="TxPayload"/>); decoding refuses an unknown type or a payload that is not exactly its record's JSON
/// (<see cref="TxPayloadException"/>), so the bytes signed are always the typed payload's.
/// </summary>
[JsonConverter(typeof(TransactionJsonConverter))]
public sealed record Transaction
{
    /// <summary>Network name; a transaction for another network is refused (no cross-network replay).</summary>
    public required string Network { get; init; }
    /// <summary>Sender address, lowercase 0x hex.</summary>
    public required string From { get; init; }
    /// <summary>Per-account sequence number starting at 0; must equal the account's next nonce (no replay).</summary>
    public required long Nonce { get; init; }
    /// <summary>The payload's type name, one of <see cref="TxTypes"/>.</summary>
    public string Type => Payload.TypeName;
    public required TxPayload Payload { get; init; }

    public byte[] SigningDigest() => AccountKey.Keccak256(Jcs.Canonicalize(JsonSerializer.SerializeToNode(this, SpJson.Options)));

    public static Transaction Create(string network, Address from, long nonce, TxPayload payload) => new()
    {
        Network = network,
        From = from.Lower,
        Nonce = nonce,
        Payload = payload ?? throw new ArgumentNullException(nameof(payload)),
    };
}

/// <summary>
/// The wire form of <see cref="Transaction"/>: network, from, nonce, type, payload (in that order, as written since
/// the first release); the payload is decoded by its type (<see cref="TxPayload.Decode"/>) once all members are read.
/// Member names are matched as the options say (case-insensitively by default); other members are ignored.
/// </summary>
public sealed class TransactionJsonConverter : JsonConverter<Transaction>
{
    public override Transaction Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"a transaction is a JSON object, got {reader.TokenType}");
        var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string? network = null, from = null, type = null;
        long? nonce = null;
        JsonElement? payload = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name.Equals("network", comparison)) network = reader.GetString();
            else if (name.Equals("from", comparison)) from = reader.GetString();
            else if (name.Equals("nonce", comparison)) nonce = ReadLong(ref reader, options);
            else if (name.Equals("type", comparison)) type = reader.GetString();
            else if (name.Equals("payload", comparison)) payload = JsonElement.ParseValue(ref reader);
            else reader.Skip();
        }
        return new Transaction
        {
            Network = network ?? throw Missing("network"),
            From = from ?? throw Missing("from"),
            Nonce = nonce ?? throw Missing("nonce"),
            Payload = TxPayload.Decode(type ?? throw Missing("type"), payload ?? default, options),
        };
    }

    public override void Write(Utf8JsonWriter writer, Transaction value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("network", value.Network);
        writer.WriteString("from", value.From);
        writer.WriteNumber("nonce", value.Nonce);
        writer.WriteString("type", value.Type);
        writer.WritePropertyName("payload");
        JsonSerializer.Serialize(writer, value.Payload, value.Payload.GetType(), options);
        writer.WriteEndObject();
    }

    private static long ReadLong(ref Utf8JsonReader reader, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && options.NumberHandling.HasFlag(JsonNumberHandling.AllowReadingFromString)
            ? long.TryParse(reader.GetString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new JsonException($"nonce: '{reader.GetString()}' is not a number")
            : reader.GetInt64();

    private static JsonException Missing(string member) => new($"a transaction has no '{member}'");
}

public sealed record SignedTransaction
{
    public required Transaction Tx { get; init; }
    /// <summary>0x + 65 bytes hex: r || s || v.</summary>
    public required string Signature { get; init; }

    public static SignedTransaction Sign(Transaction tx, AccountKey key) =>
        new() { Tx = tx, Signature = "0x" + Hex.Lower(key.SignDigest(tx.SigningDigest())) };

    /// <summary>True when the signature recovers to <see cref="Transaction.From"/>.</summary>
    public bool VerifySignature()
    {
        byte[] sig;
        try { sig = Hex.Parse(Signature, AccountKey.SignatureSize, "signature"); }
        catch (FormatException) { return false; }
        var signer = AccountKey.Recover(Tx.SigningDigest(), sig);
        return signer is { } a && Address.TryParse(Tx.From, out var from) && a == from;
    }
}

/// <summary>
/// A transaction as sequenced by the node: its position, the node's clock at sequencing (the state machine
/// reads time only from here) and the hash chain link to the previous entry.
/// Hash = SHA-256(JCS({seq, time, prevHash, signed})), lowercase hex.
/// </summary>
public sealed record LedgerEntry
{
    public required long Seq { get; init; }
    public required long Time { get; init; }
    public required string PrevHash { get; init; }
    public required SignedTransaction Signed { get; init; }
    public string Hash { get; init; } = "";

    public const string GenesisPrevHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public string ComputeHash()
    {
        var node = new JsonObject
        {
            ["seq"] = Seq,
            ["time"] = Time,
            ["prevHash"] = PrevHash,
            ["signed"] = JsonSerializer.SerializeToNode(Signed, SpJson.Options),
        };
        return Hex.Lower(System.Security.Cryptography.SHA256.HashData(Jcs.Canonicalize(node)));
    }

    public LedgerEntry WithHash() => this with { Hash = ComputeHash() };
}

public static class TxTypes
{
    public const string ProviderCreate = "provider.create";
    public const string ProviderUpdate = "provider.update";
    public const string OfferCreate = "offer.create";
    public const string OfferSetEnabled = "offer.setEnabled";
    public const string SlotAdd = "slot.add";
    public const string TeeCertificateUpdate = "tee.certificate";
    public const string WorkflowCreate = "workflow.create";
    public const string OrderComplete = "order.complete";
    public const string OrderStart = "order.start";
    public const string OrderReport = "order.report";
    public const string OrderFinish = "order.finish";
    public const string OrderCancel = "order.cancel";
    public const string SlotUpdate = "slot.update";
    public const string SlotDelete = "slot.delete";
    public const string TokensRequest = "tokens.request";
    public const string OrderReplenish = "order.replenish";
}
