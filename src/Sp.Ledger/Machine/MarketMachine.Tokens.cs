using Sp.Core.Model;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Machine;

// Tokens: the devnet faucet, deposits locked by workflows, replenishment and settlement.
//
// Conservation: only tokens.request creates tokens (State.Minted grows by the same amount). Every other move is
// between a balance and a parent order's deposit: workflow.create and order.replenish lock (balance -> deposit);
// settlement (when the order ends: order.finish, order.cancel, or order.complete with Error) pays the providers
// and refunds the rest (deposit -> balances). So sum(balances) + sum(unsettled deposits) == Minted, always.
public static partial class MarketMachine
{
    /// <summary>Most tokens one faucet request may create.</summary>
    public static readonly TokenAmount FaucetMaxPerRequest = TokenAmount.FromTokens(FaucetMaxTokens);
    public const long FaucetMaxTokens = 10_000;

    private static Step TokensRequest(Ctx c, TokensRequest p)
    {
        if (!MarketState.IsDevnet(c.State.Network))
            return Refuse($"tokens.request: the faucet exists only on a devnet (a network named '{MarketState.DevnetName}' or '{MarketState.DevnetName}-*'); this network is '{c.State.Network}'");
        if (p.Amount.IsZero) return Refuse("tokens.request: amount must be greater than 0");
        if (p.Amount > FaucetMaxPerRequest)
            return Refuse($"tokens.request: amount {p.Amount} exceeds the faucet's limit of {FaucetMaxPerRequest} tokens per request");
        return Accept(TxOutcome.Ok(), () =>
        {
            Credit(c.State, c.From, p.Amount);
            c.State.Minted += p.Amount;
        });
    }

    private static Step OrderReplenish(Ctx c, OrderReplenish p)
    {
        var s = c.State;
        if (!s.Orders.TryGetValue(p.OrderId, out var order)) return Refuse($"order {p.OrderId} does not exist");
        if (order.ParentId is { } parentId)
            return Refuse($"order {order.Id} is a sub-order of order {parentId}: the deposit is held by the parent order {parentId}");
        if (order.Consumer != c.From)
            return Refuse($"only the consumer of order {order.Id} ({order.Consumer}) can replenish its deposit; sender is {c.From}");
        if (order.Status.IsFinal() || order.Settlement is not null)
            return Refuse($"order {order.Id} is {order.Status}: its deposit was settled, it can no longer be replenished");
        if (p.Amount.IsZero) return Refuse("order.replenish: amount must be greater than 0");
        var balance = s.Balance(c.From);
        if (balance < p.Amount)
            return Refuse($"insufficient balance: account {c.From} has {balance} tokens, replenishing order {order.Id} needs {p.Amount}");
        return Accept(TxOutcome.Ok(), () =>
        {
            Debit(s, c.From, p.Amount);
            order.Deposit = (order.Deposit ?? TokenAmount.Zero) + p.Amount;
            order.Modified = c.Time;
        });
    }

    private static void Credit(MarketState s, string address, TokenAmount amount)
    {
        if (amount.IsZero) return;
        s.Balances[address] = s.Balance(address) + amount;
    }

    private static void Debit(MarketState s, string address, TokenAmount amount)
    {
        if (amount.IsZero) return;
        s.Balances[address] = s.Balance(address) - amount;
    }

    /// <summary>One party to be paid for an order: the owner of an offer, at the terms the order was placed with.</summary>
    private readonly record struct Party(string Owner, long OfferId, SlotUsage? Usage);

    private static List<Party> Parties(MarketState s, Order parent)
    {
        var parties = new List<Party> { new(s.Offers[parent.OfferId].Owner, parent.OfferId, parent.Usage) };
        foreach (var id in parent.SubOrderIds)
        {
            var sub = s.Orders[id];
            parties.Add(new Party(s.Offers[sub.OfferId].Owner, sub.OfferId, sub.Usage));
        }
        return parties;
    }

    /// <summary>
    /// Ends a parent order's deposit (call inside a commit, once). Never started: everything is refunded.
    /// Started: each provider is paid <see cref="SlotPricing.Cost"/> for the time between order.start and now;
    /// if that exceeds the deposit, the deposit is shared in proportion to the costs (rounding down, the remainder
    /// to the TEE provider) and nothing is refunded.
    /// </summary>
    private static void Settle(MarketState s, Order parent, long time)
    {
        if (parent.Settlement is not null || parent.ParentId is not null) return;
        var deposit = parent.Deposit ?? TokenAmount.Zero;
        var used = parent.Started is { } started ? Math.Max(0, time - started) : 0;
        var payments = new List<Payment>();
        if (parent.Started is not null)
        {
            var parties = Parties(s, parent);
            var costs = parties.Select(p => SlotPricing.Cost(p.Usage, used)).ToList();
            var total = TokenAmount.Sum(costs);
            if (total <= deposit)
            {
                for (var i = 0; i < parties.Count; i++) payments.Add(new Payment(parties[i].Owner, parties[i].OfferId, costs[i]));
            }
            else
            {
                var shares = costs.Select(cost => TokenAmount.FromUnits(cost.Units * deposit.Units / total.Units)).ToList();
                shares[0] += deposit - TokenAmount.Sum(shares);
                for (var i = 0; i < parties.Count; i++) payments.Add(new Payment(parties[i].Owner, parties[i].OfferId, shares[i]));
            }
        }
        var paid = TokenAmount.Sum(payments.Select(p => p.Amount));
        var refund = deposit - paid;
        foreach (var p in payments) Credit(s, p.To, p.Amount);
        Credit(s, parent.Consumer, refund);
        parent.Settlement = new Settlement { Time = time, UsedMillis = used, Payments = payments, Refund = refund };
    }
}
