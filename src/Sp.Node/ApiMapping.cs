using Sp.Api;
using Sp.Crypto.Accounts;
using State = Sp.Ledger.State;

namespace Sp.Node;

/// <summary>
/// The ledger's state records as the API serves them: each endpoint copies what it answers into Sp.Api's DTOs (under
/// the ledger's lock, as it serialises). The one place that knows both; a member added to a state record reaches
/// the API only when it is added to its DTO and here.
/// </summary>
public static class ApiMapping
{
    public static Provider ToDto(this State.Provider p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new() { Address = p.Address, Name = p.Name, Description = p.Description, Created = p.Created };
    }

    public static Offer ToDto(this State.Offer o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new()
        {
            Id = o.Id, Type = o.Type, Owner = o.Owner, Info = o.Info, TeeCertificate = o.TeeCertificate, TeeAccount = o.TeeAccount,
            Enabled = o.Enabled, SlotIds = [.. o.SlotIds], Created = o.Created,
        };
    }

    public static Slot ToDto(this State.Slot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new() { Id = s.Id, OfferId = s.OfferId, Info = s.Info };
    }

    public static Order ToDto(this State.Order o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new()
        {
            Id = o.Id, ParentId = o.ParentId, Type = o.Type, OfferId = o.OfferId, SlotId = o.SlotId, Consumer = o.Consumer,
            Status = o.Status, StatusMessage = o.StatusMessage, Created = o.Created, Modified = o.Modified, SubOrderIds = [.. o.SubOrderIds],
            Solution = o.Solution is { } sol ? new OrderSolution(sol.Hash, sol.Size, sol.SealedResource) : null,
            ConsumerData = o.ConsumerData?.Select(d => new OrderConsumerInput(d.Position, d.Hash, d.Size, d.SealedResource)).ToList(),
            ResultPublicKey = o.ResultPublicKey, SealedResult = o.SealedResult, Report = o.Report, CreatedSeq = o.CreatedSeq,
            CompletedSeq = o.CompletedSeq, TeeAccount = o.TeeAccount, ResultStatement = o.ResultStatement, ReportSeq = o.ReportSeq,
            Usage = o.Usage, Deposit = o.Deposit, Started = o.Started, Settlement = o.Settlement?.ToDto(),
            SealedResource = o.SealedResource, ApprovedSolutionHash = o.ApprovedSolutionHash,
        };
    }

    public static Settlement ToDto(this State.Settlement s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new()
        {
            Time = s.Time, UsedMillis = s.UsedMillis, Payments = [.. s.Payments.Select(p => new Payment(p.To, p.OfferId, p.Amount))], Refund = s.Refund,
        };
    }

    /// <summary><c>GET /api/offers</c>, <c>/api/offers/{id}</c>: an offer with its slots and its owner's provider record.</summary>
    public static OfferView OfferView(State.MarketState s, State.Offer o)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        return new(o.ToDto(), [.. o.SlotIds.Select(id => s.Slots[id].ToDto())], s.Providers.GetValueOrDefault(o.Owner)?.ToDto());
    }

    /// <summary><c>GET /api/orders/{id}</c>, <c>/api/tee/{offerId}/queue</c>: an order with its sub-orders.</summary>
    public static OrderView OrderView(State.MarketState s, State.Order o)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        return new(o.ToDto(), [.. o.SubOrderIds.Select(id => s.Orders[id].ToDto())]);
    }

    /// <summary><c>GET /api/orders/{id}/report</c>: the published report with the result statement of order.finish; null
    /// while the order has none.</summary>
    public static ReportView? ReportView(State.Order o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o.Report is { } r ? new(o.Id, r with { ResultStatement = o.ResultStatement }, o.ReportSeq ?? 0) : null;
    }

    /// <summary><c>GET /api/accounts/{address}/balance</c>.</summary>
    public static BalanceResponse Balance(State.MarketState s, Address a)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(a.ToString(), s.Balance(a.Lower), s.LockedBy(a.Lower));
    }
}
