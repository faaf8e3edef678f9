using System.Globalization;
using Sp.Core.Ids;
using Sp.Core.Model;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Machine;

// Workflows (a parent TEE order with its Data sub-orders, and a Solution sub-order when a solution offer is named)
// and their lifecycle.
//
//   workflow.create  parent Blocked (while any Data or Solution sub-order is Blocked) or New (no sub-orders: the consumer's
//                    own datasets, consumerData, need nobody's approval)
//   order.complete   data (or solution) owner: sub-order Blocked -> Done (parent Blocked -> New once none is Blocked)
//                                sub-order Blocked -> Error (parent -> Error: the data was not released)
//   order.start      the offer's TEE (the account its certificate names): parent New -> Processing
//   order.report     the TEE that took it (or a restarted TEE of the offer): once, while Processing (or after it ended)
//   order.finish     the TEE that took it: parent Processing -> Done | Error (a restarted TEE of the offer: Error only)
//   order.cancel     consumer: New/Blocked -> Canceled; Processing -> Canceled unless an offer is not cancelable
//                    TEE owner: New -> Canceled; Processing -> Canceled on the same condition
//   order.replenish  consumer: adds to the deposit of an order that has not ended
//   Settlement of the deposit (MarketMachine.Tokens.cs) when a parent order ends, whichever way
public static partial class MarketMachine
{
    /// <summary>Length of a SHA-256 digest in lowercase hex.</summary>
    private const int Sha256HexLength = 64;

    private static Step WorkflowCreate(Ctx c, WorkflowCreate p)
    {
        var s = c.State;
        if (!s.Offers.TryGetValue(p.TeeOfferId, out var tee)) return Refuse($"TEE offer {p.TeeOfferId} does not exist");
        if (tee.Type != OfferType.TeeOffer) return Refuse($"offer {tee.Id} is a {tee.Type} offer, expected a TeeOffer for --tee");
        if (!tee.Enabled) return Refuse($"TEE offer {tee.Id} is disabled");
        if (IsBlank(tee.TeeCertificate)) return Refuse($"TEE offer {tee.Id} has no TEE certificate yet (its TEE has not started)");
        if (NotAllowed(tee, c.From) is { } teeDenied) return Refuse(teeDenied);
        Slot? teeSlot = null;
        if (p.TeeSlotId is { } teeSlotId)
        {
            if (!s.Slots.TryGetValue(teeSlotId, out teeSlot) || teeSlot.OfferId != tee.Id)
                return Refuse($"slot {teeSlotId} is not a slot of TEE offer {tee.Id}");
        }
        else
        {
            // No slot named: the cheapest one (then the lowest id).
            teeSlot = tee.SlotIds.Select(id => s.Slots[id])
                .OrderBy(sl => SlotPricing.MinimumCost(sl.Info.Usage)).ThenBy(sl => sl.Id).FirstOrDefault();
        }

        var solution = p.Solution;
        if (solution is null) return Refuse("solution: missing");
        if (!IsLowerHex(solution.Hash, Sha256HexLength))
            return Refuse($"solution hash: expected {Sha256HexLength} lowercase hex digits (SHA-256), got '{solution.Hash}'");
        if (solution.Size < 0) return Refuse($"solution size: expected >= 0, got {solution.Size}");
        // The consumer's own solution is sealed in the order; a solution offer's is released later by its owner.
        if (p.SolutionOffer is null && IsBlank(solution.SealedResource)) return Refuse("solution sealedResource: must not be empty");
        if (p.SolutionOffer is not null && !string.IsNullOrEmpty(solution.SealedResource))
            return Refuse($"solution sealedResource: must be empty with solutionOffer (the owner of offer {p.SolutionOffer.OfferId} releases the solution)");
        if (IsBlank(p.ResultPublicKey)) return Refuse("resultPublicKey: must not be empty");

        var inputs = p.Data ?? [];
        var dataSlots = new List<Slot>();
        var combined = new List<Offer> { tee };
        Slot? solutionSlot = null;
        if (p.SolutionOffer is { } so)
        {
            if (!s.Offers.TryGetValue(so.OfferId, out var offer)) return Refuse($"solution offer {so.OfferId} does not exist");
            if (offer.Type != OfferType.Solution) return Refuse($"offer {offer.Id} is a {offer.Type} offer, expected a Solution offer for --solution");
            if (!offer.Enabled) return Refuse($"solution offer {offer.Id} is disabled");
            if (!s.Slots.TryGetValue(so.SlotId, out solutionSlot) || solutionSlot.OfferId != offer.Id)
                return Refuse($"slot {so.SlotId} is not a slot of solution offer {offer.Id}");
            if (NotAllowed(offer, c.From) is { } denied) return Refuse(denied);
            combined.Add(offer);
        }
        for (var i = 0; i < inputs.Count; i++)
        {
            var d = inputs[i];
            if (d is null) return Refuse($"data[{i}]: missing");
            if (!s.Offers.TryGetValue(d.OfferId, out var offer)) return Refuse($"data offer {d.OfferId} does not exist");
            if (offer.Type != OfferType.Data) return Refuse($"offer {offer.Id} is a {offer.Type} offer, expected a Data offer for --data");
            if (!offer.Enabled) return Refuse($"data offer {offer.Id} is disabled");
            if (!s.Slots.TryGetValue(d.SlotId, out var slot) || slot.OfferId != offer.Id)
                return Refuse($"slot {d.SlotId} is not a slot of data offer {offer.Id}");
            if (NotAllowed(offer, c.From) is { } denied) return Refuse(denied);
            dataSlots.Add(slot);
            combined.Add(offer);
        }
        if (RestrictionViolation(combined) is { } restricted) return Refuse(restricted);
        var consumerData = p.ConsumerData;
        if (consumerData is not null && ConsumerDataProblem(consumerData, inputs.Count + consumerData.Count) is { } badInput) return Refuse(badInput);

        // The deposit: at least the minimum cost of every slot (fixed price, or hourly price x minimum rent).
        var lines = new List<(string What, TokenAmount Cost)>
        {
            ($"TEE offer {tee.Id} slot {teeSlot?.Id.ToString(CultureInfo.InvariantCulture) ?? "none"}", SlotPricing.MinimumCost(teeSlot?.Info.Usage)),
        };
        if (solutionSlot is not null)
            lines.Add(($"solution offer {solutionSlot.OfferId} slot {solutionSlot.Id}", SlotPricing.MinimumCost(solutionSlot.Info.Usage)));
        for (var i = 0; i < inputs.Count; i++)
            lines.Add(($"data offer {inputs[i].OfferId} slot {inputs[i].SlotId}", SlotPricing.MinimumCost(dataSlots[i].Info.Usage)));
        var required = TokenAmount.Sum(lines.Select(l => l.Cost));
        var breakdown = string.Join("; ", lines.Select(l => $"{l.What}: {l.Cost}"));
        var deposit = p.Deposit ?? required;
        if (deposit < required)
            return Refuse($"deposit {deposit} is below the {required} tokens this workflow requires ({breakdown})");
        var balance = s.Balance(c.From);
        if (balance < deposit)
            return Refuse($"insufficient balance: account {c.From} has {balance} tokens, the workflow needs a deposit of {deposit} tokens ({breakdown}); get tokens with `spctl tokens request` on a devnet");

        var parentId = s.NextOrderId;
        // Sub-orders with consecutive ids: the Solution one first (when a solution offer is named), then one per data input.
        var subs = new List<(OfferType Type, long OfferId, long SlotId, SlotUsage Usage)>();
        if (solutionSlot is not null) subs.Add((OfferType.Solution, solutionSlot.OfferId, solutionSlot.Id, solutionSlot.Info.Usage));
        for (var i = 0; i < inputs.Count; i++) subs.Add((OfferType.Data, inputs[i].OfferId, inputs[i].SlotId, dataSlots[i].Info.Usage));
        var subIds = Enumerable.Range(1, subs.Count).Select(i => parentId + i).ToList();
        var outcome = TxOutcome.Ok(new CreatedIds { OrderId = new OrderId(parentId) }, subIds);
        return Accept(outcome, () =>
        {
            s.Orders[parentId] = new Order
            {
                Id = parentId,
                Type = OfferType.TeeOffer,
                OfferId = tee.Id,
                SlotId = teeSlot?.Id,
                Usage = teeSlot?.Info.Usage,
                Deposit = deposit,
                Consumer = c.From,
                Status = subs.Count > 0 ? OrderStatus.Blocked : OrderStatus.New,
                Created = c.Time,
                CreatedSeq = c.Seq,
                Modified = c.Time,
                SubOrderIds = new List<long>(subIds),
                Solution = solution,
                ConsumerData = consumerData is null ? null : new List<ConsumerInput>(consumerData),
                ResultPublicKey = p.ResultPublicKey,
            };
            for (var i = 0; i < subs.Count; i++)
            {
                s.Orders[subIds[i]] = new Order
                {
                    Id = subIds[i],
                    ParentId = parentId,
                    Type = subs[i].Type,
                    OfferId = subs[i].OfferId,
                    SlotId = subs[i].SlotId,
                    Usage = subs[i].Usage,
                    Consumer = c.From,
                    // Manual approval: a data or solution offer holds no resource on the ledger, so its owner must release it.
                    Status = OrderStatus.Blocked,
                    Created = c.Time,
                    Modified = c.Time,
                };
            }
            s.NextOrderId = parentId + subs.Count + 1;
            Debit(s, c.From, deposit);
        });
    }

    /// <summary>
    /// The consumer's own datasets, each checked as the solution is, at distinct positions among all
    /// <paramref name="totalInputs"/> inputs (the Data sub-orders take the others, so every input has one place).
    /// </summary>
    private static string? ConsumerDataProblem(List<ConsumerInput> items, int totalInputs)
    {
        if (items.Count == 0) return "consumerData: must not be an empty list (leave it out when there is no file)";
        var taken = new HashSet<int>();
        for (var i = 0; i < items.Count; i++)
        {
            var d = items[i];
            if (d is null) return $"consumerData[{i}]: missing";
            if (d.Position < 0 || d.Position >= totalInputs)
                return $"consumerData[{i}] position: expected 0 to {totalInputs - 1} (the workflow has {totalInputs} inputs), got {d.Position}";
            if (!taken.Add(d.Position)) return $"consumerData[{i}] position: {d.Position} is given twice";
            if (!IsLowerHex(d.Hash, Sha256HexLength))
                return $"consumerData[{i}] hash: expected {Sha256HexLength} lowercase hex digits (SHA-256), got '{d.Hash}'";
            if (d.Size < 0) return $"consumerData[{i}] size: expected >= 0, got {d.Size}";
            if (IsBlank(d.SealedResource)) return $"consumerData[{i}] sealedResource: must not be empty";
        }
        return null;
    }

    /// <summary>
    /// restrictions of offer-info.json, for every offer X of a workflow and every other offer Y in it:
    /// X.restrictions.types non-empty: Y's type must be listed; X.restrictions.offers non-empty: Y's id must be listed.
    /// </summary>
    private static string? RestrictionViolation(IReadOnlyList<Offer> offers)
    {
        foreach (var x in offers)
        {
            var r = x.Info.Restrictions ?? new OfferRestrictions();
            var types = (r.Types ?? []).Select(ParseOfferType).OfType<OfferType>().ToHashSet();
            var ids = (r.Offers ?? []).Select(ParseId).OfType<long>().ToHashSet();
            foreach (var y in offers)
            {
                if (y.Id == x.Id) continue;
                if (types.Count > 0 && !types.Contains(y.Type))
                    return $"offer {x.Id} may be combined only with offers of type {string.Join(", ", types.Order())} (its restrictions.types): offer {y.Id} is a {y.Type} offer";
                if (ids.Count > 0 && !ids.Contains(y.Id))
                    return $"offer {x.Id} may be combined only with offers {string.Join(", ", ids.Order())} (its restrictions.offers): offer {y.Id} is not one of them";
            }
        }
        return null;
    }

    private static string? NotAllowed(Offer offer, string consumer)
    {
        var allowed = offer.Info.AllowedAccounts;
        if (allowed is null || allowed.Count == 0) return null;
        return allowed.Any(a => string.Equals(a, consumer, StringComparison.OrdinalIgnoreCase))
            ? null
            : $"account {consumer} is not in allowedAccounts of offer {offer.Id}";
    }

    private static Step OrderComplete(Ctx c, OrderComplete p)
    {
        var s = c.State;
        if (!s.Orders.TryGetValue(p.OrderId, out var sub)) return Refuse($"order {p.OrderId} does not exist");
        if (sub.ParentId is not { } parentId || sub.Type is not (OfferType.Data or OfferType.Solution))
            return Refuse($"order {sub.Id} is a {sub.Type} {(sub.ParentId is null ? "order" : "sub-order")}: only a Data or Solution sub-order can be completed");
        var what = sub.Type == OfferType.Data ? "data" : "solution";
        var offer = s.Offers[sub.OfferId];
        if (offer.Owner != c.From)
            return Refuse($"only the owner of offer {offer.Id} ({offer.Owner}) can complete sub-order {sub.Id}; sender is {c.From}");
        if (sub.Status is not (OrderStatus.Blocked or OrderStatus.New))
            return Refuse($"sub-order {sub.Id} is {sub.Status}: only a Blocked or New sub-order can be completed");
        var parent = s.Orders[parentId];
        if (parent.Status is not (OrderStatus.Blocked or OrderStatus.New))
            return Refuse($"order {parent.Id} (parent of sub-order {sub.Id}) is {parent.Status}: its data can no longer be released");

        switch (p.Status)
        {
            case OrderStatus.Done:
            {
                if (IsBlank(p.SealedResource))
                    return Refuse($"sub-order {sub.Id}: status Done needs sealedResource (the {(sub.Type == OfferType.Data ? "dataset" : "solution")}'s resource file sealed to the TEE)");
                var declared = parent.Solution!.Hash;
                var given = (p.SolutionHash ?? "").Trim().ToLowerInvariant();
                if (!string.Equals(given, declared, StringComparison.Ordinal))
                    return Refuse($"solution hash mismatch: sub-order {sub.Id} is for solution {declared}, got {(given.Length == 0 ? "<none>" : given)}");
                return Accept(TxOutcome.Ok(), () =>
                {
                    sub.Status = OrderStatus.Done;
                    sub.SealedResource = p.SealedResource;
                    sub.CompletedSeq = c.Seq;
                    sub.ApprovedSolutionHash = given;
                    sub.Modified = c.Time;
                    if (parent.Status == OrderStatus.Blocked &&
                        parent.SubOrderIds.All(id => s.Orders[id].Status != OrderStatus.Blocked))
                    {
                        parent.Status = OrderStatus.New;
                        parent.Modified = c.Time;
                    }
                });
            }
            case OrderStatus.Error or OrderStatus.Canceled:
            {
                // Both refuse the release, so the workflow ends without running and its whole deposit goes back.
                // Error: the data owner could not provide the data; Canceled: the owner declines to release it (the
                // original's `complete --status canceled`; no order waits in Canceling here, cancellation is at once).
                var canceled = p.Status == OrderStatus.Canceled;
                return Accept(TxOutcome.Ok(), () =>
                {
                    sub.Status = p.Status;
                    sub.StatusMessage = canceled ? $"the owner of offer {offer.Id} declined to release the {what}" : $"the owner of offer {offer.Id} did not release the {what}";
                    sub.Modified = c.Time;
                    parent.Status = p.Status;
                    parent.StatusMessage = $"{what} sub-order {sub.Id} was completed with {p.Status} by the owner of offer {offer.Id}: the {what} was not released";
                    parent.Modified = c.Time;
                    // The workflow cannot run any more: its other pending data releases are moot.
                    foreach (var id in parent.SubOrderIds)
                    {
                        var other = s.Orders[id];
                        if (other.Status is not (OrderStatus.Blocked or OrderStatus.New)) continue;
                        other.Status = OrderStatus.Canceled;
                        other.Modified = c.Time;
                    }
                    Settle(s, parent, c.Time); // never started: the whole deposit goes back
                });
            }
            default:
                return Refuse($"sub-order {sub.Id}: completion status must be Done, Error or Canceled, got {p.Status}");
        }
    }

    /// <summary>
    /// Finds a parent (TEE) order and checks the sender is its TEE: the account the offer's attested certificate names
    /// (never the provider's own account, which sits outside anything attested). Once the order is taken, only the TEE
    /// that took it may act on it, except that the offer's current TEE (after a loader restart) may end it with Error
    /// and publish its report if it has none.
    /// </summary>
    private static bool TryTeeOrder(Ctx c, long orderId, string action, out Order order, out Step refusal, bool endingWithError = false)
    {
        refusal = default;
        if (!c.State.Orders.TryGetValue(orderId, out order!))
        {
            refusal = Refuse($"order {orderId} does not exist");
            return false;
        }
        if (order.ParentId is { } parent)
        {
            refusal = Refuse($"order {orderId} is a sub-order of order {parent}: {action} applies to the parent TEE order {parent}");
            return false;
        }
        var tee = c.State.Offers[order.OfferId];
        var expected = order.TeeAccount ?? tee.TeeAccount;
        var allowed = c.From == expected || (endingWithError && tee.TeeAccount is { } current && c.From == current);
        if (!allowed)
        {
            var whose = order.TeeAccount is null
                ? $"the TEE of offer {tee.Id} (account {tee.TeeAccount ?? "none: the offer has no TEE certificate"}, named by its attested certificate)"
                : $"the TEE that took it (account {order.TeeAccount})";
            refusal = Refuse($"only {whose} can {action} order {orderId}; sender is {c.From}");
            return false;
        }
        return true;
    }

    private static Step OrderStart(Ctx c, OrderStart p)
    {
        if (!TryTeeOrder(c, p.OrderId, "start", out var order, out var refusal)) return refusal;
        if (order.Status != OrderStatus.New)
            return Refuse(order.Status == OrderStatus.Blocked
                ? $"order {order.Id} is Blocked: its data sub-orders are not all completed yet"
                : $"order {order.Id} is {order.Status}: expected New to start it");
        return Accept(TxOutcome.Ok(), () =>
        {
            order.Status = OrderStatus.Processing;
            order.TeeAccount = c.From;
            order.Started = c.Time;
            order.Modified = c.Time;
        });
    }

    private static Step OrderReport(Ctx c, OrderReportPublish p)
    {
        // A restarted TEE of the offer (the TEE that took the order is no longer the offer's) may publish the report its
        // predecessor did not get to: it says what it loaded, nothing.
        var unreported = c.State.Orders.TryGetValue(p.OrderId, out var known) && known.Report is null
                         && c.State.Offers.TryGetValue(known.OfferId, out var offerOfKnown) && known.TeeAccount != offerOfKnown.TeeAccount;
        if (!TryTeeOrder(c, p.OrderId, "publish the report of", out var order, out var refusal, endingWithError: unreported)) return refusal;
        // A canceled order that had been taken keeps its record: the TEE may still publish what it loaded.
        var taken = order.Status is OrderStatus.Processing or OrderStatus.Done or OrderStatus.Error
                    || (order.Status == OrderStatus.Canceled && order.Started is not null);
        if (!taken)
            return Refuse($"order {order.Id} is {order.Status}: a report is published only once the TEE has taken the order (Processing)");
        if (order.Report is not null)
            return Refuse($"order {order.Id} already has a report (published in entry {order.ReportSeq}); a report is published once");
        if (p.Report is null) return Refuse("report: missing");
        if (IsBlank(p.Report.Certificate)) return Refuse("report certificate: must not be empty");
        if (p.Report.WorkloadInfo is null) return Refuse("report workloadInfo: missing");
        var expected = order.Id.ToString(CultureInfo.InvariantCulture);
        if (p.Report.WorkloadInfo.OrderId != expected)
            return Refuse($"report workloadInfo.orderId: expected \"{expected}\", got \"{p.Report.WorkloadInfo.OrderId}\"");
        return Accept(TxOutcome.Ok(), () =>
        {
            order.Report = p.Report;
            order.ReportSeq = c.Seq;
            order.Modified = c.Time;
        });
    }

    private static Step OrderFinish(Ctx c, OrderFinish p)
    {
        if (!TryTeeOrder(c, p.OrderId, "finish", out var order, out var refusal, endingWithError: p.Status == OrderStatus.Error)) return refusal;
        if (p.Statement is { } statement && StatementMismatch(order, p, statement) is { } mismatch) return Refuse(mismatch);
        if (p.Status is not (OrderStatus.Done or OrderStatus.Error))
            return Refuse($"order {order.Id}: finish status must be Done or Error, got {p.Status}");
        if (order.Status == OrderStatus.Canceled && order.Started is not null)
        {
            // Canceled while it ran: the TEE's late finish is accepted as a no-op for the status (it stays Canceled,
            // the deposit was settled at cancellation); its sealed result (the log so far) is kept for the consumer.
            return Accept(TxOutcome.Ok(), () =>
            {
                if (order.SealedResult is null)
                {
                    order.SealedResult = p.SealedResult;
                    order.ResultStatement = p.Statement;
                }
                order.Modified = c.Time;
            });
        }
        if (order.Status != OrderStatus.Processing)
            return Refuse($"order {order.Id} is {order.Status}: expected Processing to finish it");
        if (p.Status is not (OrderStatus.Done or OrderStatus.Error))
            return Refuse($"order {order.Id}: finish status must be Done or Error, got {p.Status}");
        if (p.Status == OrderStatus.Done && IsBlank(p.SealedResult))
            return Refuse($"order {order.Id}: status Done needs sealedResult (the result sealed to the consumer's result key)");
        return Accept(TxOutcome.Ok(), () =>
        {
            order.Status = p.Status;
            order.SealedResult = p.SealedResult;
            order.ResultStatement = p.Statement;
            order.StatusMessage = p.Message ?? "";
            order.Modified = c.Time;
            Settle(c.State, order, c.Time);
        });
    }

    /// <summary>The statement's claims must say what the transaction says (its signature is for clients to check).</summary>
    private static string? StatementMismatch(Order order, OrderFinish p, ResultStatement statement)
    {
        var claims = statement.Claims;
        if (claims is null) return "statement: claims missing";
        var id = order.Id.ToString(CultureInfo.InvariantCulture);
        if (claims.OrderId != id) return $"statement claims.orderId: expected \"{id}\", got \"{claims.OrderId}\"";
        if (claims.Status != p.Status.ToString()) return $"statement claims.status: expected {p.Status}, got {claims.Status}";
        if (IsBlank(statement.Signature) || IsBlank(statement.Certificate)) return "statement: signature and certificate must not be empty";
        return null;
    }

    private static Step OrderCancel(Ctx c, OrderCancel p)
    {
        var s = c.State;
        if (!s.Orders.TryGetValue(p.OrderId, out var order)) return Refuse($"order {p.OrderId} does not exist");
        if (order.ParentId is { } parentId)
            return Refuse($"order {order.Id} is a sub-order of order {parentId}: cancel the parent order {parentId}");
        var tee = s.Offers[order.OfferId];
        var isConsumer = order.Consumer == c.From;
        var isTeeOwner = tee.Owner == c.From;
        if (!isConsumer && !isTeeOwner)
            return Refuse($"only the consumer ({order.Consumer}) or the owner of TEE offer {tee.Id} ({tee.Owner}) can cancel order {order.Id}; sender is {c.From}");
        if (order.Status.IsFinal()) return Refuse($"order {order.Id} is already {order.Status}");

        if (order.Status == OrderStatus.Processing)
        {
            // A running order: only when every offer in it (TEE and data) is cancelable, for either party.
            var offerIds = new[] { order.OfferId }.Concat(order.SubOrderIds.Select(id => s.Orders[id].OfferId));
            foreach (var offerId in offerIds)
                if (!s.Offers[offerId].Info.Cancelable)
                    return Refuse($"offer {offerId} is not cancelable: order {order.Id} is Processing and can no longer be canceled");
        }
        else if (isConsumer)
        {
            if (order.Status is not (OrderStatus.New or OrderStatus.Blocked))
                return Refuse($"order {order.Id} is {order.Status}: it cannot be canceled");
        }
        else if (order.Status != OrderStatus.New)
        {
            return Refuse($"order {order.Id} is {order.Status}: the owner of TEE offer {tee.Id} can cancel only a New or Processing order");
        }

        var by = isConsumer ? "the consumer" : $"the owner of TEE offer {tee.Id}";
        return Accept(TxOutcome.Ok(), () =>
        {
            order.Status = OrderStatus.Canceled;
            order.StatusMessage = $"canceled by {by}";
            order.Modified = c.Time;
            foreach (var id in order.SubOrderIds)
            {
                var sub = s.Orders[id];
                if (sub.Status.IsFinal()) continue;
                sub.Status = OrderStatus.Canceled;
                sub.Modified = c.Time;
            }
            Settle(s, order, c.Time);
        });
    }
}
