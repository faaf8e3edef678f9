using Sp.Core.Model;

namespace Sp.Ledger.State;

// The marketplace state: a deterministic fold of the ledger's entries (MarketMachine.Apply). These records are
// also what the node serves as JSON. Collections are keyed by id/address; ids are decimal integers from 1.

public sealed class MarketState
{
    public required string Network { get; init; }
    public Dictionary<string, long> Nonces { get; } = new();          // lowercase address -> next nonce
    public Dictionary<string, Provider> Providers { get; } = new();   // lowercase address -> provider
    public SortedDictionary<long, Offer> Offers { get; } = new();
    public SortedDictionary<long, Slot> Slots { get; } = new();
    public SortedDictionary<long, Order> Orders { get; } = new();
    public long NextOfferId { get; set; } = 1;
    public long NextSlotId { get; set; } = 1;
    public long NextOrderId { get; set; } = 1;
    /// <summary>Number of entries applied, and the hash of the last one.</summary>
    public long Height { get; set; }
    public string LastHash { get; set; } = Transactions.LedgerEntry.GenesisPrevHash;

    public long NextNonce(string address) => Nonces.TryGetValue(address.ToLowerInvariant(), out var n) ? n : 0;
}

public sealed record Provider
{
    public required string Address { get; init; }
    public required string Name { get; set; }
    public required string Description { get; set; }
    public long Created { get; init; }
}

public sealed record Offer
{
    public required long Id { get; init; }
    public required OfferType Type { get; init; }
    public required string Owner { get; init; }
    public required OfferInfo Info { get; init; }
    public string? TeeCertificate { get; set; }
    public bool Enabled { get; set; } = true;
    public List<long> SlotIds { get; init; } = new();
    public long Created { get; init; }
}

public sealed record Slot
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
    public required OrderStatus Status { get; set; }
    public string StatusMessage { get; set; } = "";
    public long Created { get; init; }
    public long Modified { get; set; }
    public List<long> SubOrderIds { get; init; } = new();

    // Parent TEE order only.
    public Transactions.SolutionInput? Solution { get; init; }
    public string? ResultPublicKey { get; init; }
    public string? SealedResult { get; set; }
    public OrderReport? Report { get; set; }
    /// <summary>Ledger sequence number of the entry that published the report.</summary>
    public long? ReportSeq { get; set; }

    // Data sub-order only: what its owner released, and for which solution.
    public string? SealedResource { get; set; }
    public string? ApprovedSolutionHash { get; set; }
}
