using Sp.Core.Model;
using Sp.Ledger.State;

namespace Sp.Ledger.Transactions;

// Payloads of each transaction type (camelCase JSON), each tied to its type name by [TxType] (TxPayload.cs).
// Sealed blobs are base64 HPKE messages (docs/formats.md).

[TxType(TxTypes.ProviderCreate)]
public sealed record ProviderCreate(string Name, string Description) : TxPayload;

[TxType(TxTypes.ProviderUpdate)]
public sealed record ProviderUpdate(string Name, string Description) : TxPayload;

/// <summary>Creates an offer owned by the sender (who must be a provider). TEE offers carry the TEE's
/// certificate chain (PEM, TEE cert first) so clients can seal inputs to it.</summary>
[TxType(TxTypes.OfferCreate)]
public sealed record OfferCreate(OfferType OfferType, OfferInfo Info, string? TeeCertificate = null) : TxPayload;

[TxType(TxTypes.OfferSetEnabled)]
public sealed record OfferSetEnabled(long OfferId, bool Enabled) : TxPayload;

[TxType(TxTypes.SlotAdd)]
public sealed record SlotAdd(long OfferId, SlotInfo Info) : TxPayload;

/// <summary>Replaces a slot's info; orders already placed keep the terms they were placed with.</summary>
[TxType(TxTypes.SlotUpdate)]
public sealed record SlotUpdate(long OfferId, long SlotId, SlotInfo Info) : TxPayload;

/// <summary>Removes a slot from its offer; orders already placed keep their terms.</summary>
[TxType(TxTypes.SlotDelete)]
public sealed record SlotDelete(long OfferId, long SlotId) : TxPayload;

/// <summary>The devnet faucet: credits the sender with <paramref name="Amount"/> new tokens.</summary>
[TxType(TxTypes.TokensRequest)]
public sealed record TokensRequest(TokenAmount Amount) : TxPayload;

/// <summary>The consumer adds tokens to the deposit of a parent order that has not ended.</summary>
[TxType(TxTypes.OrderReplenish)]
public sealed record OrderReplenish(long OrderId, TokenAmount Amount) : TxPayload;

/// <summary>A TEE offer's owner publishes the chain of its loader's current keys (after every restart).</summary>
[TxType(TxTypes.TeeCertificateUpdate)]
public sealed record TeeCertificateUpdate(long OfferId, string TeeCertificate) : TxPayload;

/// <summary>The consumer's solution, sealed to the TEE: the declared plaintext hash and size are public so the
/// ledger can check the data owner's approval against them; the location and key are sealed.</summary>
public sealed record SolutionInput(string Hash, long Size, string SealedResource);

public sealed record DataInput(long OfferId, long SlotId);

/// <summary>A dataset of the consumer's own (`workflows create --data FILE`): no data offer, nobody to approve it, so it
/// travels sealed to the TEE in the order itself, as the solution does. <paramref name="Position"/> is its index among
/// all the workflow's inputs (0-based: /sp/inputs/input-0001 is position 0); the Data sub-orders fill the other
/// positions in id order. The declared plaintext hash and size are public; the location and key are sealed.</summary>
public sealed record ConsumerInput(int Position, string Hash, long Size, string SealedResource);

/// <summary>Creates a parent TEE order and one Data sub-order per data input, in the order given; the consumer's own
/// datasets (<paramref name="ConsumerData"/>, null when there are none: older entries carry no such field) are kept
/// on the parent. With <paramref name="SolutionOffer"/> (a Solution offer and slot; null: the consumer's own solution,
/// sealed in <paramref name="Solution"/>), <paramref name="Solution"/> declares the hash and an empty sealed resource, and
/// a Solution sub-order (Blocked, before the Data ones) waits for the solution offer's owner to release the image. Locks
/// <paramref name="Deposit"/> (null: exactly the required minimum, see SlotPricing) from the consumer's balance.
/// With no <paramref name="TeeSlotId"/> the TEE offer's cheapest slot is used.</summary>
[TxType(TxTypes.WorkflowCreate)]
public sealed record WorkflowCreate(
    long TeeOfferId,
    long? TeeSlotId,
    SolutionInput Solution,
    List<DataInput> Data,
    string ResultPublicKey,
    TokenAmount? Deposit = null,
    List<ConsumerInput>? ConsumerData = null,
    DataInput? SolutionOffer = null) : TxPayload;

/// <summary>The data offer's owner completes a Data sub-order: releases the dataset (sealed to the TEE,
/// together with the approved solution hash) for that solution hash only. A solution offer's owner completes a
/// Solution sub-order the same way, releasing the image, whose hash must be the order's declared one.</summary>
[TxType(TxTypes.OrderComplete)]
public sealed record OrderComplete(long OrderId, OrderStatus Status, string SolutionHash, string? SealedResource) : TxPayload;

/// <summary>The TEE of the order's offer (its certified account) takes a parent order (New -> Processing).</summary>
[TxType(TxTypes.OrderStart)]
public sealed record OrderStart(long OrderId) : TxPayload;

[TxType(TxTypes.OrderReport)]
public sealed record OrderReportPublish(long OrderId, OrderReport Report) : TxPayload;

/// <summary>The TEE ends a parent order; the result location and key are sealed to the consumer's result key, and
/// <paramref name="Statement"/> is the TEE's signed word on the result (docs/formats-result-statement.md).</summary>
[TxType(TxTypes.OrderFinish)]
public sealed record OrderFinish(long OrderId, OrderStatus Status, string? SealedResult, string Message, ResultStatement? Statement = null) : TxPayload;

[TxType(TxTypes.OrderCancel)]
public sealed record OrderCancel(long OrderId) : TxPayload;
