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
    private static readonly IReadOnlyDictionary<string, long> NoIds = new Dictionary<string, long>();

    public required bool Accepted { get; init; }
    public string? Error { get; init; }
    /// <summary>A refusal's machine-readable kind, one of <see cref="RefusalCodes"/>; null for the others.</summary>
    public string? Code { get; init; }
    public IReadOnlyDictionary<string, long> Ids { get; init; } = NoIds;
    public IReadOnlyList<long> SubOrderIds { get; init; } = [];
    /// <summary>Sequence number of the ledger entry that carried the transaction (accepted only).</summary>
    public long? Seq { get; init; }
    /// <summary>Hash of that ledger entry (accepted only).</summary>
    public string? Hash { get; init; }

    public static TxOutcome Refused(string error, string? code = null) => new() { Accepted = false, Error = error, Code = code };

    public static TxOutcome Ok(IReadOnlyDictionary<string, long>? ids = null, IReadOnlyList<long>? subOrderIds = null) =>
        new() { Accepted = true, Ids = ids ?? NoIds, SubOrderIds = subOrderIds ?? [] };

    public static TxOutcome Ok(string idName, long id) => Ok(new Dictionary<string, long> { [idName] = id });
}

/// <summary>Names of the ids in <see cref="TxOutcome.Ids"/>.</summary>
public static class OutcomeIds
{
    public const string OfferId = "offerId";
    public const string SlotId = "slotId";
    public const string OrderId = "orderId";
}

/// <summary>Machine-readable kinds of refusal (<see cref="TxOutcome.Code"/>; the <c>code</c> of sp-node's error answer).</summary>
public static class RefusalCodes
{
    /// <summary>The transaction's nonce is not the sender's next one: another transaction of the account came first
    /// (or none has yet). Signing again with the account's current nonce may succeed.</summary>
    public const string NonceConflict = "nonce_conflict";
}
