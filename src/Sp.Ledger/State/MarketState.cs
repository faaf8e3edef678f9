using Sp.Core.Model;

namespace Sp.Ledger.State;

// The marketplace state: a deterministic fold of the ledger's entries (MarketMachine.Apply); the state digest is
// taken over these records. The node serves copies of them (Sp.Api's DTOs, mapped in src/Sp.Node/ApiMapping.cs),
// never the records themselves. Collections are keyed by id/address; ids are decimal integers from 1.

public sealed class MarketState
{
    public required string Network { get; init; }
    /// <summary>How TEE certificates are read (a rule of the network, like its name; not part of the state's data).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TeeCertificateReader TeeCertificates { get; init; } = TeeCertificateReaders.None;
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

    /// <summary>Token balances (lowercase address -> amount); an account absent here holds nothing.</summary>
    public SortedDictionary<string, TokenAmount> Balances { get; } = new(StringComparer.Ordinal);
    /// <summary>Every token ever created (only the devnet faucet creates tokens). Invariant: the sum of all
    /// balances plus the deposits locked in unsettled orders equals <see cref="Minted"/>.</summary>
    public TokenAmount Minted { get; set; }

    public TokenAmount Balance(string address) =>
        Balances.TryGetValue(address.ToLowerInvariant(), out var b) ? b : TokenAmount.Zero;

    /// <summary>Deposits locked in parent orders not yet settled, in total.</summary>
    public TokenAmount Locked() => TokenAmount.Sum(Orders.Values.Select(o => o.LockedDeposit));

    /// <summary>Deposits locked in the unsettled orders of one consumer.</summary>
    public TokenAmount LockedBy(string address) =>
        TokenAmount.Sum(Orders.Values.Where(o => string.Equals(o.Consumer, address, StringComparison.OrdinalIgnoreCase)).Select(o => o.LockedDeposit));

    /// <summary>Whether the faucet (tokens.request) exists: on a network named "devnet" or "devnet-*".</summary>
    public static bool IsDevnet(string network) =>
        network == DevnetName || network.StartsWith(DevnetName + "-", StringComparison.Ordinal);

    public const string DevnetName = "devnet";
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
    /// <summary>TEE offer: the account named by its current TEE certificate, the only key that may take its orders.</summary>
    public string? TeeAccount { get; set; }
    public bool Enabled { get; set; } = true;
    public List<long> SlotIds { get; init; } = new();
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
    public required OrderStatus Status { get; set; }
    public string StatusMessage { get; set; } = "";
    public long Created { get; init; }
    public long Modified { get; set; }
    public List<long> SubOrderIds { get; init; } = new();

    // Parent TEE order only.
    public Transactions.SolutionInput? Solution { get; init; }
    /// <summary>Parent order: the consumer's own datasets, sealed to the TEE (null when none).</summary>
    public List<Transactions.ConsumerInput>? ConsumerData { get; init; }
    public string? ResultPublicKey { get; init; }
    public string? SealedResult { get; set; }
    public OrderReport? Report { get; set; }
    /// <summary>Parent order: the ledger entry of its workflow.create (the consumer's signed terms, for the TEE to check).</summary>
    public long? CreatedSeq { get; init; }
    /// <summary>Data sub-order: the ledger entry of the order.complete that released it (the data owner's signed release).</summary>
    public long? CompletedSeq { get; set; }
    /// <summary>Parent order: the TEE account that took it (order.start); its report and result must come from it.</summary>
    public string? TeeAccount { get; set; }
    /// <summary>Parent order: the TEE's signed statement of how it ended (with order.finish).</summary>
    public ResultStatement? ResultStatement { get; set; }
    /// <summary>Ledger sequence number of the entry that published the report.</summary>
    public long? ReportSeq { get; set; }

    /// <summary>The slot's price terms when the order was placed (later slot changes do not apply to it).</summary>
    public SlotUsage? Usage { get; init; }
    /// <summary>Parent order: tokens locked by the consumer (at creation plus replenishments).</summary>
    public TokenAmount? Deposit { get; set; }
    /// <summary>Parent order: ledger time when the TEE took it (order.start); null if it never ran.</summary>
    public long? Started { get; set; }
    /// <summary>Parent order: how the deposit was paid out when the order ended; null while it is locked.</summary>
    public Settlement? Settlement { get; set; }

    /// <summary>What this order still holds locked: its deposit until settlement, then nothing.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TokenAmount LockedDeposit => Settlement is null ? Deposit ?? TokenAmount.Zero : TokenAmount.Zero;

    // Data sub-order only: what its owner released, and for which solution.
    public string? SealedResource { get; set; }
    public string? ApprovedSolutionHash { get; set; }
}

/// <summary>The end of an order's deposit: each provider's payment for what was used, and the consumer's refund.</summary>
public sealed record Settlement
{
    public required long Time { get; init; }
    /// <summary>Milliseconds between order.start and the end; 0 when the order never ran.</summary>
    public required long UsedMillis { get; init; }
    public required List<Payment> Payments { get; init; }
    public required TokenAmount Refund { get; init; }
}

public sealed record Payment(string To, long OfferId, TokenAmount Amount);
