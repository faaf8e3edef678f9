using Sp.Core.Ids;
namespace Sp.Ledger.Machine;

/// <summary>
/// What applying one transaction produced. Refused: <see cref="Error"/> says what was wrong (which offer, order or
/// account; expected and got) and the state is untouched. Accepted: <see cref="Ids"/> holds the ids created
/// ("offerId", "slotId", "orderId"), <see cref="SubOrderIds"/> the sub-orders a workflow created, and the service
/// fills in the entry's <see cref="Seq"/> and <see cref="Hash"/> once it is on disk.
/// JSON (camelCase): {"accepted":true,"ids":{"orderId":12},"subOrderIds":[13],"seq":40,"hash":"..."}.
/// </summary>
public sealed record TxOutcome
{
    public required bool Accepted { get; init; }
    public string? Error { get; init; }
    /// <summary>A refusal's machine-readable kind, one of <see cref="RefusalCodes"/>; null for the others.</summary>
    public string? Code { get; init; }
    /// <summary>The ids the transaction created or names (accepted only).</summary>
    public CreatedIds Ids { get; init; } = CreatedIds.None;
    public IReadOnlyList<long> SubOrderIds { get; init; } = [];
    /// <summary>Sequence number of the ledger entry that carried the transaction (accepted only).</summary>
    public long? Seq { get; init; }
    /// <summary>Hash of that ledger entry (accepted only).</summary>
    public string? Hash { get; init; }

    public static TxOutcome Refused(string error, string? code = null) => new() { Accepted = false, Error = error, Code = code };

    public static TxOutcome Ok(CreatedIds? ids = null, IReadOnlyList<long>? subOrderIds = null) =>
        new() { Accepted = true, Ids = ids ?? CreatedIds.None, SubOrderIds = subOrderIds ?? [] };
}

/// <summary>Machine-readable kinds of refusal (<see cref="TxOutcome.Code"/>; the <c>code</c> of sp-node's error answer).</summary>
public static class RefusalCodes
{
    /// <summary>The transaction's nonce is not the sender's next one: another transaction of the account came first
    /// (or none has yet). Signing again with the account's current nonce may succeed.</summary>
    public const string NonceConflict = "nonce_conflict";
}
