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
}
