using System.Text.Json;
using System.Text.Json.Nodes;
using Sp.Core;
using Sp.Core.Json;
using Sp.Crypto.Accounts;

namespace Sp.Ledger.Transactions;

/// <summary>
/// The signed body of a ledger transaction. Every state change is one of these, signed by an account key.
/// The signing digest is keccak-256 over the RFC 8785 canonical form of this record.
/// </summary>
public sealed record Transaction
{
    /// <summary>Network name; a transaction for another network is refused (no cross-network replay).</summary>
    public required string Network { get; init; }
    /// <summary>Sender address, lowercase 0x hex.</summary>
    public required string From { get; init; }
    /// <summary>Per-account sequence number starting at 0; must equal the account's next nonce (no replay).</summary>
    public required long Nonce { get; init; }
    /// <summary>One of <see cref="TxTypes"/>.</summary>
    public required string Type { get; init; }
    public required JsonObject Payload { get; init; }

    public byte[] SigningDigest() => AccountKey.Keccak256(Jcs.Canonicalize(JsonSerializer.SerializeToNode(this, SpJson.Options)));

    public T PayloadAs<T>() =>
        Payload.Deserialize<T>(SpJson.Options) ?? throw new JsonException($"{Type}: empty payload");

    public static Transaction Create<T>(string network, Address from, long nonce, string type, T payload) => new()
    {
        Network = network,
        From = from.Lower,
        Nonce = nonce,
        Type = type,
        Payload = JsonSerializer.SerializeToNode(payload, SpJson.Options)!.AsObject(),
    };
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
