using Sp.Core.Model;

namespace Sp.Api;

// The marketplace's records as the node serves them (GET /api/providers, /api/offers, /api/orders, docs/api.md):
// immutable copies of the ledger's state records (Sp.Ledger.State), made by the node (src/Sp.Node/ApiMapping.cs).
// They carry the names, order and JSON of the state records' members as served before they were separate types
// (tests/Sp.Node.Tests/ApiJsonTests.cs holds that JSON); a member added to a state record changes the state and its
// digest, not the API, until it is added here too. Values of Sp.Core (infos, usage, report, TokenAmount) are shared.

public sealed record Provider
{
    public required string Address { get; init; }
    public required string Name { get; init; }
    public required string Description { get; init; }
    public long Created { get; init; }
}

public sealed record Offer
{
    public required long Id { get; init; }
    public required OfferType Type { get; init; }
    public required string Owner { get; init; }
    public required OfferInfo Info { get; init; }
    public string? TeeCertificate { get; init; }
    /// <summary>TEE offer: the account named by its current TEE certificate, the only key that may take its orders.</summary>
    public string? TeeAccount { get; init; }
    public bool Enabled { get; init; } = true;
    public IReadOnlyList<long> SlotIds { get; init; } = [];
    public long Created { get; init; }
}

public sealed record Slot : IOfferedSlot
{
    public required long Id { get; init; }
    public required long OfferId { get; init; }
    public required SlotInfo Info { get; init; }
}

public sealed record Order
{
    public required long Id { get; init; }
    /// <summary>Parent order id for sub-orders; null for the parent TEE order.</summary>
    public long? ParentId { get; init; }
    public required OfferType Type { get; init; }
    public required long OfferId { get; init; }
    public long? SlotId { get; init; }
    public required string Consumer { get; init; }
    public required OrderStatus Status { get; init; }
    public string StatusMessage { get; init; } = "";
    public long Created { get; init; }
    public long Modified { get; init; }
    public IReadOnlyList<long> SubOrderIds { get; init; } = [];

    // Parent TEE order only.
    public OrderSolution? Solution { get; init; }
    /// <summary>Parent order: the consumer's own datasets, sealed to the TEE (null when none).</summary>
    public IReadOnlyList<OrderConsumerInput>? ConsumerData { get; init; }
    public string? ResultPublicKey { get; init; }
    public string? SealedResult { get; init; }
    public OrderReport? Report { get; init; }
    /// <summary>Parent order: the ledger entry of its workflow.create (the consumer's signed terms, for the TEE to check).</summary>
    public long? CreatedSeq { get; init; }
    /// <summary>Data sub-order: the ledger entry of the order.complete that released it (the data owner's signed release).</summary>
    public long? CompletedSeq { get; init; }
    /// <summary>Parent order: the TEE account that took it (order.start); its report and result must come from it.</summary>
    public string? TeeAccount { get; init; }
    /// <summary>Parent order: the TEE's signed statement of how it ended (with order.finish).</summary>
    public ResultStatement? ResultStatement { get; init; }
    /// <summary>Ledger sequence number of the entry that published the report.</summary>
    public long? ReportSeq { get; init; }

    /// <summary>The slot's price terms when the order was placed (later slot changes do not apply to it).</summary>
    public SlotUsage? Usage { get; init; }
    /// <summary>Parent order: tokens locked by the consumer (at creation plus replenishments).</summary>
    public TokenAmount? Deposit { get; init; }
    /// <summary>Parent order: ledger time when the TEE took it (order.start); null if it never ran.</summary>
    public long? Started { get; init; }
    /// <summary>Parent order: how the deposit was paid out when the order ended; null while it is locked.</summary>
    public Settlement? Settlement { get; init; }

    // Data sub-order only: what its owner released, and for which solution.
    public string? SealedResource { get; init; }
    public string? ApprovedSolutionHash { get; init; }
}

/// <summary>A parent order's solution as its workflow.create named it (the ledger's <c>SolutionInput</c>; a name of its
/// own so that a client building that transaction and reading orders sees one <c>SolutionInput</c>).</summary>
public sealed record OrderSolution(string Hash, long Size, string SealedResource);

/// <summary>A consumer's own dataset as its workflow.create named it (the ledger's <c>ConsumerInput</c>): its position
/// among the order's inputs (0-based), declared hash and size, and the resource sealed to the TEE.</summary>
public sealed record OrderConsumerInput(int Position, string Hash, long Size, string SealedResource);

/// <summary>The end of an order's deposit: each provider's payment for what was used, and the consumer's refund.</summary>
public sealed record Settlement
{
    public required long Time { get; init; }
    /// <summary>Milliseconds between order.start and the end; 0 when the order never ran.</summary>
    public required long UsedMillis { get; init; }
    public required IReadOnlyList<Payment> Payments { get; init; }
    public required TokenAmount Refund { get; init; }
}

public sealed record Payment(string To, long OfferId, TokenAmount Amount);
