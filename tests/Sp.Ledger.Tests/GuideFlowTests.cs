using Sp.Core.Model;
using Sp.Ledger.Machine;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>The collaboration guide, steps 7 to 11, through the bare state machine.</summary>
public sealed class GuideFlowTests
{
    [Fact]
    public void The_whole_guide_flow_reaches_Done_with_a_report()
    {
        using var sc = Scenario.OnMachine();
        var ledger = (MachineLedger)sc.Ledger;

        // 7. Bob: provider setup, data offer and slot.
        sc.Provider(sc.Bob, "Bob");
        var created = sc.Ok(sc.Bob, new OfferCreate(OfferType.Data, TestKit.DataInfo()));
        var dataOffer = created.Ids.Offer.Value;
        var dataSlot = sc.Ok(sc.Bob, new SlotAdd(dataOffer, TestKit.Slot())).Ids.Slot.Value;
        Assert.Equal(1, dataOffer);
        Assert.Equal(1, dataSlot);
        Assert.Equal([dataSlot], sc.Offer(dataOffer).SlotIds);

        // The compute provider's TEE offer.
        var tee = sc.TeeOffer();

        // 8. Alice: workflow. The parent is Blocked by the Data sub-order.
        var wf = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, tee.SlotId, (dataOffer, dataSlot)));
        var orderId = wf.Ids.Order.Value;
        var subId = Assert.Single(wf.SubOrderIds);
        Assert.Equal(orderId + 1, subId);
        var parent = sc.Order(orderId);
        Assert.Equal(OrderStatus.Blocked, parent.Status);
        Assert.Equal(OfferType.TeeOffer, parent.Type);
        Assert.Equal(sc.Alice.Address.Lower, parent.Consumer);
        Assert.Equal(TestKit.SolutionHash, parent.Solution!.Hash);
        Assert.Equal([subId], parent.SubOrderIds);
        var sub = sc.Order(subId);
        Assert.Equal(OrderStatus.Blocked, sub.Status);
        Assert.Equal(OfferType.Data, sub.Type);
        Assert.Equal(orderId, sub.ParentId);
        Assert.Equal(dataOffer, sub.OfferId);
        Assert.Equal(dataSlot, sub.SlotId);

        // 9. A modified solution: Bob's hash does not match; nothing changes.
        var err = sc.Refused(sc.Bob, new OrderComplete(subId, OrderStatus.Done, TestKit.OtherHash, "sealed"),
            "solution hash mismatch");
        Assert.Equal($"solution hash mismatch: sub-order {subId} is for solution {TestKit.SolutionHash}, got {TestKit.OtherHash}", err);

        // Alice cannot release Bob's data.
        err = sc.Refused(sc.Alice, new OrderComplete(subId, OrderStatus.Done, TestKit.SolutionHash, "sealed"),
            $"only the owner of offer {dataOffer} ({sc.Bob.Address.Lower}) can complete sub-order {subId}");

        // Bob completes with the right hash: sub-order Done, parent New.
        var timeBefore = ledger.Time;
        sc.Complete(subId);
        sub = sc.Order(subId);
        Assert.Equal(OrderStatus.Done, sub.Status);
        Assert.Equal("sealed-dataset", sub.SealedResource);
        Assert.Equal(TestKit.SolutionHash, sub.ApprovedSolutionHash);
        Assert.True(sub.Modified > timeBefore);
        Assert.Equal(OrderStatus.New, sc.Status(orderId));

        // The TEE takes the order, publishes the report, finishes.
        sc.Start(orderId);
        Assert.Equal(OrderStatus.Processing, sc.Status(orderId));
        sc.Ok(sc.Tee, new OrderReportPublish(orderId, TestKit.Report(orderId)));
        var reportSeq = ledger.State.Height;
        sc.Ok(sc.Tee, new OrderFinish(orderId, OrderStatus.Done, "sealed-result", "ok"));

        parent = sc.Order(orderId);
        Assert.Equal(OrderStatus.Done, parent.Status);
        Assert.Equal("sealed-result", parent.SealedResult);
        Assert.Equal("ok", parent.StatusMessage);
        Assert.Equal(reportSeq, parent.ReportSeq);
        Assert.Equal(orderId.ToString(System.Globalization.CultureInfo.InvariantCulture), parent.Report!.WorkloadInfo.OrderId);
        Assert.Equal(ledger.Time, parent.Modified);
        Assert.True(parent.Created < parent.Modified);
    }

    [Fact]
    public void Completion_hash_is_compared_case_insensitively_and_stored_lowercase()
    {
        using var sc = Scenario.OnMachine();
        var w = sc.UpToWorkflow();
        sc.Complete(w.Sub, "  " + TestKit.SolutionHash.ToUpperInvariant());
        Assert.Equal(TestKit.SolutionHash, sc.Order(w.Sub).ApprovedSolutionHash);
    }

    [Fact]
    public void Every_accepted_entry_advances_height_and_last_hash()
    {
        var ledger = new MachineLedger();
        using var key = Sp.Crypto.Accounts.AccountKey.Generate();
        var entry = ledger.NextEntry(ledger.Sign(key, new ProviderCreate("p", "d")));
        Assert.True(MarketMachine.Apply(ledger.State, entry).Accepted);
        Assert.Equal(1, ledger.State.Height);
        Assert.Equal(entry.Hash, ledger.State.LastHash);
        Assert.Equal(1, ledger.State.NextNonce(key.Address.Lower));
        Assert.Equal(entry.Time, ledger.State.Providers[key.Address.Lower].Created);
    }
}
