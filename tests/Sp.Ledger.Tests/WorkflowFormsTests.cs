using Sp.Core.Model;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>The two forms of `workflows create` beside a data offer: the consumer's own dataset (consumerData, no
/// sub-order) and a solution offer (a Solution sub-order its owner completes).</summary>
public sealed class WorkflowFormsTests
{
    private const string FileHash = "1111111111111111111111111111111111111111111111111111111111111111";

    private static ConsumerInput Own(int position, string hash = FileHash, long size = 42, string sealedResource = "sealed-own") =>
        new(position, hash, size, sealedResource);

    private static WorkflowCreate WithOwn(long tee, (long Offer, long Slot)[] data, params ConsumerInput[] own) =>
        Scenario.WorkflowPayload(tee, null, data) with { ConsumerData = own.ToList() };

    public sealed class TheConsumersOwnData
    {
        [Fact]
        public void Alone_it_makes_a_New_order_with_no_sub_order_and_keeps_the_sealed_inputs()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer().OfferId;
            var o = sc.Ok(sc.Alice, WithOwn(tee, [], Own(0), Own(1, hash: TestKit.OtherHash)));
            var order = sc.Order(o.Ids.Order.Value);
            Assert.Equal(OrderStatus.New, order.Status);
            Assert.Empty(order.SubOrderIds);
            Assert.Equal([Own(0), Own(1, hash: TestKit.OtherHash)], order.ConsumerData!);
            sc.Start(order.Id); // nothing to wait for: the TEE may take it at once
        }

        [Fact]
        public void Mixed_with_a_data_offer_the_sub_order_still_blocks_the_order_until_released()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            var o = sc.Ok(sc.Alice, WithOwn(tee, [data], Own(0)));
            var sub = Assert.Single(o.SubOrderIds);
            Assert.Equal(OrderStatus.Blocked, sc.Status(o.Ids.Order.Value));
            sc.Complete(sub);
            Assert.Equal(OrderStatus.New, sc.Status(o.Ids.Order.Value));
        }

        [Theory]
        [InlineData(2, "consumerData[0] position: expected 0 to 1 (the workflow has 2 inputs), got 2")]
        [InlineData(-1, "consumerData[0] position: expected 0 to 1 (the workflow has 2 inputs), got -1")]
        public void A_position_outside_the_inputs_is_refused(int position, string expected)
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            sc.Refused(sc.Alice, WithOwn(tee, [data], Own(position)), expected);
        }

        [Fact]
        public void Two_inputs_at_one_position_are_refused()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer().OfferId;
            sc.Refused(sc.Alice, WithOwn(tee, [], Own(0), Own(1), Own(1)), "consumerData[2] position: 1 is given twice");
        }

        [Fact]
        public void A_hash_that_is_not_lowercase_SHA_256_hex_is_refused()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer().OfferId;
            sc.Refused(sc.Alice, WithOwn(tee, [], Own(0, hash: FileHash.ToUpperInvariant().Replace('1', 'A'))), "consumerData[0] hash: expected 64 lowercase hex digits (SHA-256), got 'AAAA");
            sc.Refused(sc.Alice, WithOwn(tee, [], Own(0, hash: "abc")), "consumerData[0] hash: expected 64 lowercase hex digits (SHA-256), got 'abc'");
        }

        [Fact]
        public void A_negative_size_or_an_empty_sealed_resource_is_refused()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer().OfferId;
            sc.Refused(sc.Alice, WithOwn(tee, [], Own(0, size: -1)), "consumerData[0] size: expected >= 0, got -1");
            sc.Refused(sc.Alice, WithOwn(tee, [], Own(0, sealedResource: " ")), "consumerData[0] sealedResource: must not be empty");
        }

        [Fact]
        public void An_empty_list_is_refused_so_that_no_file_has_one_form_only()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer().OfferId;
            sc.Refused(sc.Alice, WithOwn(tee, []), "consumerData: must not be an empty list (leave it out when there is no file)");
        }

        [Fact]
        public void Without_consumer_data_the_payload_has_no_such_field()
        {
            using var sc = Scenario.OnMachine();
            var tx = sc.Ledger.Sign(sc.Alice, Scenario.WorkflowPayload(1, null));
            Assert.DoesNotContain("consumerData", Sp.Core.Json.SpJson.Serialize(tx));
            var with = sc.Ledger.Sign(sc.Alice, WithOwn(1, [], Own(0)));
            Assert.Contains("\"consumerData\":[{\"position\":0,", Sp.Core.Json.SpJson.Serialize(with));
        }
    }

    public sealed class TheSolutionOffer
    {
        /// <summary>Carol's Solution offer with one slot; returns (offer, slot).</summary>
        private static (long Offer, long Slot) SolutionOffer(Scenario sc, Sp.Crypto.Accounts.AccountKey carol)
        {
            sc.Provider(carol, "Carol");
            var offer = sc.Ok(carol, new OfferCreate(OfferType.Solution, TestKit.DataInfo() with { OfferType = "2", Name = "Carol's solution" })).Ids.Offer.Value;
            return (offer, sc.Ok(carol, new SlotAdd(offer, TestKit.Slot())).Ids.Slot.Value);
        }

        private static WorkflowCreate Ordering((long Offer, long Slot) solution, long tee, params (long Offer, long Slot)[] data) =>
            Scenario.WorkflowPayload(tee, null, data) with
            {
                Solution = new SolutionInput(TestKit.SolutionHash, 0, ""),
                SolutionOffer = new DataInput(solution.Offer, solution.Slot),
            };

        [Fact]
        public void It_makes_a_Solution_sub_order_first_and_the_order_waits_for_both_owners()
        {
            using var sc = Scenario.OnMachine();
            using var carol = Sp.Crypto.Accounts.AccountKey.Generate();
            var solution = SolutionOffer(sc, carol);
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            var o = sc.Ok(sc.Alice, Ordering(solution, tee, data));
            var order = o.Ids.Order.Value;
            Assert.Equal([order + 1, order + 2], o.SubOrderIds);
            Assert.Equal((OfferType.Solution, solution.Offer, OrderStatus.Blocked), (sc.Order(order + 1).Type, sc.Order(order + 1).OfferId, sc.Status(order + 1)));
            Assert.Equal((OfferType.Data, data.OfferId), (sc.Order(order + 2).Type, sc.Order(order + 2).OfferId));

            sc.Complete(order + 2); // Bob's data: the solution is still to come
            Assert.Equal(OrderStatus.Blocked, sc.Status(order));
            sc.Ok(carol, new OrderComplete(order + 1, OrderStatus.Done, TestKit.SolutionHash.ToUpperInvariant(), "sealed-solution-release"));
            Assert.Equal(OrderStatus.New, sc.Status(order));
            Assert.Equal(TestKit.SolutionHash, sc.Order(order + 1).ApprovedSolutionHash);
            sc.Start(order);
        }

        [Fact]
        public void An_offer_that_is_not_a_Solution_offer_is_refused()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            sc.Refused(sc.Alice, Ordering(data, tee), $"offer {data.OfferId} is a Data offer, expected a Solution offer for --solution");
            sc.Refused(sc.Alice, Ordering((999, 1), tee), "solution offer 999 does not exist");
        }

        [Fact]
        public void A_slot_of_another_offer_or_a_sealed_solution_beside_the_offer_is_refused()
        {
            using var sc = Scenario.OnMachine();
            using var carol = Sp.Crypto.Accounts.AccountKey.Generate();
            var solution = SolutionOffer(sc, carol);
            var (tee, teeSlot) = sc.TeeOffer();
            sc.Refused(sc.Alice, Ordering((solution.Offer, teeSlot), tee), $"slot {teeSlot} is not a slot of solution offer {solution.Offer}");
            sc.Refused(sc.Alice, Ordering(solution, tee) with { Solution = TestKit.Solution() },
                $"solution sealedResource: must be empty with solutionOffer (the owner of offer {solution.Offer} releases the solution)");
        }

        [Fact]
        public void Only_the_solution_offers_owner_completes_its_sub_order()
        {
            using var sc = Scenario.OnMachine();
            using var carol = Sp.Crypto.Accounts.AccountKey.Generate();
            var solution = SolutionOffer(sc, carol);
            var tee = sc.TeeOffer().OfferId;
            var sub = Assert.Single(sc.Ok(sc.Alice, Ordering(solution, tee)).SubOrderIds);
            foreach (var other in new[] { sc.Alice, sc.Bob, sc.Tee })
                sc.Refused(other, new OrderComplete(sub, OrderStatus.Done, TestKit.SolutionHash, "sealed"),
                    $"only the owner of offer {solution.Offer} ({carol.Address.Lower}) can complete sub-order {sub}");
        }

        [Fact]
        public void A_release_for_another_hash_than_the_declared_one_is_refused()
        {
            using var sc = Scenario.OnMachine();
            using var carol = Sp.Crypto.Accounts.AccountKey.Generate();
            var solution = SolutionOffer(sc, carol);
            var tee = sc.TeeOffer().OfferId;
            var sub = Assert.Single(sc.Ok(sc.Alice, Ordering(solution, tee)).SubOrderIds);
            sc.Refused(carol, new OrderComplete(sub, OrderStatus.Done, TestKit.OtherHash, "sealed"),
                $"solution hash mismatch: sub-order {sub} is for solution {TestKit.SolutionHash}, got {TestKit.OtherHash}");
        }

        [Fact]
        public void A_refusal_by_the_solutions_owner_ends_the_order_and_cancels_the_pending_data()
        {
            using var sc = Scenario.OnMachine();
            using var carol = Sp.Crypto.Accounts.AccountKey.Generate();
            var solution = SolutionOffer(sc, carol);
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            var o = sc.Ok(sc.Alice, Ordering(solution, tee, data));
            var order = o.Ids.Order.Value;
            sc.Ok(carol, new OrderComplete(order + 1, OrderStatus.Error, "", null));
            Assert.Equal(OrderStatus.Error, sc.Status(order));
            Assert.Equal($"solution sub-order {order + 1} was completed with Error by the owner of offer {solution.Offer}: the solution was not released", sc.Order(order).StatusMessage);
            Assert.Equal(OrderStatus.Canceled, sc.Status(order + 2));
        }
    }
}
