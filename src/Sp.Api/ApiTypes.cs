using Sp.Core.Ids;
using Sp.Core.Model;

namespace Sp.Api;

// The JSON messages of sp-node's HTTP API (docs/api.md). Shared by the node, the CLIs and sp-tee. The marketplace's
// records they carry are the DTOs of MarketDtos.cs, never the ledger's state records.

public sealed record NodeInfo(string Network, string RootCa, string AttestationPolicy, long Height, string LastHash);

public sealed record NonceResponse(string Address, long Nonce);

/// <summary>An account's free balance and the deposits locked in its unsettled orders (JSON: base-unit strings).</summary>
public sealed record BalanceResponse(string Address, TokenAmount Balance, TokenAmount Locked);

/// <param name="Ids">The ids the transaction created or names (JSON: <c>{"offerId": 5}</c>, <c>{}</c>, ...).</param>
public sealed record SubmitResponse(long Seq, string Hash, CreatedIds Ids, List<long>? SubOrderIds);

/// <param name="Error">What happened, for a person.</param>
/// <param name="Code">What happened, for a program (e.g. <c>nonce_conflict</c>, docs/api.md); absent for most errors.</param>
public sealed record ErrorResponse(string Error, string? Code = null);

public sealed record OfferView(Offer Offer, IReadOnlyList<Slot> Slots, Provider? Provider);

public sealed record OrderView(Order Order, IReadOnlyList<Order> SubOrders);

public sealed record ReportView(long OrderId, OrderReport Report, long Seq);

/// <param name="Account">The TEE's in-memory ledger account (0x address), bound in the evidence with its two keys.</param>
public sealed record TeeCertificateRequest(string Csr, string EncryptionPublicKey, string EvidenceType, string Evidence, string Account);

public sealed record TeeCertificateResponse(string CertificateChain);

public sealed record StorageObjectCreated(string Id, string Token);
