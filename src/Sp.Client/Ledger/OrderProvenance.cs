using Sp.Api;
using Sp.Core.Model;
using Sp.Ledger.Transactions;

namespace Sp.Client.Ledger;

/// <summary>
/// What the node serves of an order is only the node's word. Before the TEE opens an order's inputs it reads, from the
/// transparency log (under a verified checkpoint), the transactions the parties signed, and the served order must be
/// theirs: the consumer's <c>workflow.create</c> (offer, declared solution, sealed solution, result key, her own sealed
/// datasets) and each data
/// (or solution) owner's <c>order.complete</c> (the sealed release). A node that makes up an order, or swaps its solution or result
/// key, is caught here: anyone can seal to the TEE's public key, only the consumer can sign as the consumer.
/// </summary>
public sealed class OrderProvenance(ClientLog log)
{
    /// <summary>Null when the served order is the one its parties signed; else why not.</summary>
    public async Task<string?> CheckAsync(OrderView view, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(view);
        var order = view.Order;
        if (await CheckCreationAsync(order, ct) is { } forged) return forged;

        foreach (var sub in view.SubOrders.Where(s => s.Type is OfferType.Data or OfferType.Solution))
        {
            if (sub.SealedResource is null) continue; // not released: nothing of it is opened
            if (sub.CompletedSeq is not { } completed) return $"sub-order {sub.Id} names no ledger entry that released it";
            var (release, _) = await log.ProveEntryAsync(completed, ct);
            var rtx = release.Signed.Tx;
            if (rtx.Payload is not OrderComplete released || !release.Signed.VerifySignature())
                return $"ledger entry {completed} (said to release sub-order {sub.Id}) is not an order.complete signed by its sender";
            if (released.OrderId != sub.Id || released.SealedResource != sub.SealedResource)
                return $"sub-order {sub.Id} is not served as its data owner released it in ledger entry {completed}";
        }
        return null;
    }

    /// <summary>
    /// Null when the parent order is served as its consumer signed it: the ledger entry that created it is a
    /// <c>workflow.create</c> signed by the order's consumer, for its TEE offer, solution (declared and sealed), result
    /// key and number of inputs; else why not.
    /// </summary>
    public async Task<string?> CheckCreationAsync(Order order, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.CreatedSeq is not { } created) return $"order {order.Id} names no ledger entry that created it";
        var (entry, _) = await log.ProveEntryAsync(created, ct);
        var tx = entry.Signed.Tx;
        if (tx.Payload is not WorkflowCreate signed || !entry.Signed.VerifySignature())
            return $"ledger entry {created} (said to create order {order.Id}) is not a workflow.create signed by its sender";
        if (tx.From != order.Consumer)
            return $"order {order.Id} is served with consumer {order.Consumer}, but ledger entry {created} was signed by {tx.From}";
        if (signed.TeeOfferId != order.OfferId || signed.ResultPublicKey != order.ResultPublicKey
            || signed.Solution.SealedResource != order.Solution?.SealedResource || signed.Solution.Hash != order.Solution?.Hash
            || (signed.Data?.Count ?? 0) + (signed.SolutionOffer is null ? 0 : 1) != order.SubOrderIds.Count
            || !SameConsumerData(signed.ConsumerData, order.ConsumerData))
            return $"order {order.Id} is not served as its consumer signed it in ledger entry {created} (offer, solution, result key or inputs differ)";
        return null;
    }

    /// <summary>The consumer's own datasets served with the order are the ones she signed, in the same places.</summary>
    private static bool SameConsumerData(List<ConsumerInput>? signed, IReadOnlyList<OrderConsumerInput>? served) =>
        (signed?.Count ?? 0) == (served?.Count ?? 0)
        && (signed ?? []).Zip(served ?? []).All(p => p.First.Position == p.Second.Position && p.First.Hash == p.Second.Hash
                                                     && p.First.Size == p.Second.Size && p.First.SealedResource == p.Second.SealedResource);
}
