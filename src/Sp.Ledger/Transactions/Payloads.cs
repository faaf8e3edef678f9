using Sp.Core.Model;
using Sp.Ledger.State;

namespace Sp.Ledger.Transactions;

// Payloads of each transaction type (camelCase JSON). Sealed blobs are base64 HPKE messages (docs/formats.md).

public sealed record ProviderCreate(string Name, string Description);

public sealed record ProviderUpdate(string Name, string Description);

/// <summary>Creates an offer owned by the sender (who must be a provider). TEE offers carry the TEE's
/// certificate chain (PEM, TEE cert first) so clients can seal inputs to it.</summary>
public sealed record OfferCreate(OfferType OfferType, OfferInfo Info, string? TeeCertificate = null);

public sealed record OfferSetEnabled(long OfferId, bool Enabled);

public sealed record SlotAdd(long OfferId, SlotInfo Info);

/// <summary>Replaces a slot's info; orders already placed keep the terms they were placed with.</summary>
public sealed record SlotUpdate(long OfferId, long SlotId, SlotInfo Info);

/// <summary>Removes a slot from its offer; orders already placed keep their terms.</summary>
public sealed record SlotDelete(long OfferId, long SlotId);

/// <summary>The devnet faucet: credits the sender with <paramref name="Amount"/> new tokens.</summary>
public sealed record TokensRequest(TokenAmount Amount);

/// <summary>The consumer adds tokens to the deposit of a parent order that has not ended.</summary>
public sealed record OrderReplenish(long OrderId, TokenAmount Amount);

/// <summary>A TEE offer's owner publishes the chain of its loader's current keys (after every restart).</summary>
public sealed record TeeCertificateUpdate(long OfferId, string TeeCertificate);

/// <summary>The consumer's solution, sealed to the TEE: the declared plaintext hash and size are public so the
/// ledger can check the data owner's approval against them; the location and key are sealed.</summary>
public sealed record SolutionInput(string Hash, long Size, string SealedResource);

public sealed record DataInput(long OfferId, long SlotId);

/// <summary>Creates a parent TEE order and one Data sub-order per data input, in the order given. Locks
/// <paramref name="Deposit"/> (null: exactly the required minimum, see SlotPricing) from the consumer's balance.
/// With no <paramref name="TeeSlotId"/> the TEE offer's cheapest slot is used.</summary>
public sealed record WorkflowCreate(
    long TeeOfferId,
    long? TeeSlotId,
    SolutionInput Solution,
    List<DataInput> Data,
    string ResultPublicKey,
    TokenAmount? Deposit = null);

/// <summary>The data offer's owner completes a Data sub-order: releases the dataset (sealed to the TEE,
/// together with the approved solution hash) for that solution hash only.</summary>
public sealed record OrderComplete(long OrderId, OrderStatus Status, string SolutionHash, string? SealedResource);

/// <summary>The TEE of the order's offer (its certified account) takes a parent order (New -> Processing).</summary>
public sealed record OrderStart(long OrderId);

public sealed record OrderReportPublish(long OrderId, OrderReport Report);

/// <summary>The TEE ends a parent order; the result location and key are sealed to the consumer's result key, and
/// <paramref name="Statement"/> is the TEE's signed word on the result (docs/formats-result-statement.md).</summary>
public sealed record OrderFinish(long OrderId, OrderStatus Status, string? SealedResult, string Message, ResultStatement? Statement = null);

public sealed record OrderCancel(long OrderId);
