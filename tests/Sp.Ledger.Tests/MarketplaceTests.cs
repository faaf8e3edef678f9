using System.Numerics;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>Tokens, deposits, settlement, restrictions, slots and cancellation of running orders.</summary>
public static class MarketplaceTests
{
    private static TokenAmount T(string tokens) => TokenAmount.ParseTokens(tokens, "test");

    /// <summary>slot-info with the given price (tokens) and type ("0" per hour, "1" fixed).</summary>
    public static SlotInfo PricedSlot(string priceTokens, string priceType, long minMinutes = 0, long disk = 10_485_760) => new()
    {
        Info = new SlotResources { DiskUsage = disk, CpuCores = 1 },
        Usage = new SlotUsage { MinTimeMinutes = minMinutes, Price = T(priceTokens).UnitsString, PriceType = priceType },
        Option = new SlotOption(),
    };

    private static void Fund(this Scenario sc, AccountKey who, string tokens) =>
        sc.Ok(who, new TokensRequest(T(tokens)));

    private static TokenAmount Balance(this Scenario sc, AccountKey who) => sc.Ledger.Read(s => s.Balance(who.Address.Lower));

    private static (long Offer, long Slot) Offer(this Scenario sc, AccountKey owner, OfferType type, SlotInfo slot, OfferInfo? info = null)
    {
        if (!sc.Ledger.Read(s => s.Providers.ContainsKey(owner.Address.Lower))) sc.Provider(owner);
        info ??= type == OfferType.TeeOffer ? TestKit.TeeInfo() : TestKit.DataInfo();
        var offer = sc.Ok(owner, new OfferCreate(type, info, type == OfferType.TeeOffer ? TestKit.TeeChainFor(owner) : null)).Ids.Offer.Value;
        var slotId = sc.Ok(owner, new SlotAdd(offer, slot)).Ids.Slot.Value;
        return (offer, slotId);
    }

    private static long AddSlot(this Scenario sc, AccountKey owner, long offer, SlotInfo slot) =>
        sc.Ok(owner, new SlotAdd(offer, slot)).Ids.Slot.Value;

    private static MachineLedger Machine(this Scenario sc) => (MachineLedger)sc.Ledger;

    private static void AssertConserved(MarketState s) =>
        Assert.Equal(s.Minted, TokenAmount.Sum(s.Balances.Values) + s.Locked());

    public sealed class Amounts
    {
        [Theory]
        [InlineData("0", "0", "0")]
        [InlineData("10", "10000000000000000000", "10")]
        [InlineData("0.5", "500000000000000000", "0.5")]
        [InlineData("1.000000000000000001", "1000000000000000001", "1.000000000000000001")]
        [InlineData(".25", "250000000000000000", "0.25")]
        [InlineData("007.10", "7100000000000000000", "7.1")]
        public void Tokens_parse_exactly_and_print_without_trailing_zeros(string text, string units, string printed)
        {
            var a = T(text);
            Assert.Equal(units, a.UnitsString);
            Assert.Equal(printed, a.ToString());
        }

        [Theory]
        [InlineData("-1")]
        [InlineData("1e3")]
        [InlineData("0.0000000000000000001")] // 19 decimals
        [InlineData("1,5")]
        [InlineData(".")]
        [InlineData("")]
        public void Bad_amounts_are_refused(string text) => Assert.False(TokenAmount.TryParseTokens(text, out _));

        [Fact]
        public void Decimal_sums_are_exact()
        {
            Assert.Equal(T("0.3"), T("0.1") + T("0.2"));
            Assert.Equal("0.000000000000000001", (T("1") - T("0.999999999999999999")).ToString());
        }

        [Fact]
        public void JSON_holds_a_string_of_base_units_and_nothing_else()
        {
            Assert.Equal("\"1500000000000000000\"", SpJson.Serialize(T("1.5")));
            Assert.Equal(T("2"), SpJson.Deserialize<TokenAmount>("\"2000000000000000000\""));
            Assert.Throws<System.Text.Json.JsonException>(() => SpJson.Deserialize<TokenAmount>("1.5"));
            Assert.Throws<System.Text.Json.JsonException>(() => SpJson.Deserialize<TokenAmount>("\"-1\""));
            Assert.Throws<ArgumentOutOfRangeException>(() => T("1") - T("2"));
        }

        [Fact]
        public void Per_hour_prices_cost_the_minimum_rent_at_least_and_round_up()
        {
            var perHour = PricedSlot("6", SlotPricing.PerHour, minMinutes: 30).Usage;
            Assert.Equal(T("3"), SlotPricing.MinimumCost(perHour));
            Assert.Equal(T("3"), SlotPricing.Cost(perHour, 60_000));           // 1 min used: the 30 min minimum
            Assert.Equal(T("12"), SlotPricing.Cost(perHour, 2 * 3_600_000));   // 2 h
            var tiny = new SlotUsage { Price = "1", PriceType = SlotPricing.PerHour };
            Assert.Equal(TokenAmount.FromUnits(1), SlotPricing.Cost(tiny, 1)); // 1/3600000 of a unit rounds up
            var fixedPrice = PricedSlot("2.5", SlotPricing.Fixed, minMinutes: 15_000).Usage;
            Assert.Equal(T("2.5"), SlotPricing.MinimumCost(fixedPrice));
            Assert.Equal(T("2.5"), SlotPricing.Cost(fixedPrice, 10 * 3_600_000));
        }

        [Fact]
        public void A_deposit_funds_the_run_time_its_per_hour_slots_cost()
        {
            var teeSlot = PricedSlot("6", SlotPricing.PerHour, minMinutes: 30).Usage;   // 6 an hour, 30 min minimum
            var dataSlot = PricedSlot("1", SlotPricing.Fixed, minMinutes: 0).Usage;     // 1, whatever the time
            SlotUsage?[] order = [teeSlot, dataSlot];
            Assert.Equal(3_600_000, SlotPricing.FundedMillis(order, T("7")));           // 1 fixed + 6 for one hour
            Assert.Equal(30 * 60_000, SlotPricing.FundedMillis(order, T("4")));         // exactly the minimum rent
            Assert.Equal(0, SlotPricing.FundedMillis(order, T("3.9")));                 // not even the minimum
            // The largest T whose cost fits: one base unit more of time would cost more than the deposit.
            var funded = SlotPricing.FundedMillis(order, T("5.5"))!.Value;
            Assert.True(SlotPricing.Cost(order, funded) <= T("5.5"));
            Assert.True(SlotPricing.Cost(order, funded + 1) > T("5.5"));
            Assert.Equal(45 * 60_000, funded);
            // Only fixed or free slots: the cost never grows, the deposit never runs out.
            Assert.Null(SlotPricing.FundedMillis([dataSlot, null], T("1")));
            Assert.Null(SlotPricing.FundedMillis([new SlotUsage { Price = "0", PriceType = SlotPricing.PerHour }], TokenAmount.Zero));
            // Base units per hour: 3,600 units an hour is one unit a second.
            var perSecond = new SlotUsage { Price = "3600", PriceType = SlotPricing.PerHour };
            Assert.Equal(5_000, SlotPricing.FundedMillis([perSecond], TokenAmount.FromUnits(5)));
        }
    }

    public sealed class TheFaucet
    {
        [Fact]
        public void A_devnet_faucet_credits_the_sender_and_counts_what_it_minted()
        {
            using var sc = Scenario.OnMachine();
            sc.Fund(sc.Alice, "100.5");
            sc.Fund(sc.Alice, "0.5");
            Assert.Equal(T("101"), sc.Balance(sc.Alice));
            Assert.Equal(T("101"), sc.Ledger.Read(s => s.Minted));
            Assert.Equal(TokenAmount.Zero, sc.Balance(sc.Bob));
        }

        [Fact]
        public void Limits_are_named()
        {
            using var sc = Scenario.OnMachine();
            sc.Refused(sc.Alice, new TokensRequest(TokenAmount.Zero), "amount must be greater than 0");
            sc.Refused(sc.Alice, new TokensRequest(T("10000.000000000000000001")),
                "amount 10000.000000000000000001 exceeds the faucet's limit of 10000 tokens per request");
        }

        [Fact]
        public void There_is_no_faucet_outside_a_devnet()
        {
            using var sc = new Scenario(new MachineLedger("mainnet"));
            sc.Refused(sc.Alice, new TokensRequest(T("1")), "the faucet exists only on a devnet");
            Assert.True(MarketState.IsDevnet("devnet"));
            Assert.False(MarketState.IsDevnet("devnetwork"));
        }

        [Fact]
        public void A_malformed_amount_is_refused_as_an_invalid_payload()
        {
            var e = Assert.Throws<TxPayloadException>(() => TxPayloadTests.Decode(TxTypes.TokensRequest, """{"amount":"1.5"}"""));
            Assert.StartsWith("tokens.request: invalid payload: field 'amount': '1.5' is not a token amount", e.Message);
        }
    }

    public sealed class Deposits
    {
        [Fact]
        public void The_guides_free_slots_need_no_tokens()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            Assert.Equal(TokenAmount.Zero, sc.Order(w.Order).Deposit);
            Assert.Equal(TokenAmount.Zero, sc.Balance(sc.Alice));
        }

        [Fact]
        public void A_workflow_locks_the_minimum_cost_of_its_slots()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.Offer(sc.Tee, OfferType.TeeOffer, PricedSlot("2", SlotPricing.PerHour, minMinutes: 90));
            var data = sc.Offer(sc.Bob, OfferType.Data, PricedSlot("1.25", SlotPricing.Fixed));
            sc.Fund(sc.Alice, "10");
            var o = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee.Offer, tee.Slot, data));
            var order = sc.Order(o.Ids.Order.Value);
            Assert.Equal(T("4.25"), order.Deposit); // 2/h x 1.5 h + 1.25
            Assert.Equal(T("5.75"), sc.Balance(sc.Alice));
            Assert.Equal(T("4.25"), sc.Ledger.Read(s => s.LockedBy(sc.Alice.Address.Lower)));
            Assert.Equal(tee.Slot, order.SlotId);
        }

        [Fact]
        public void A_short_balance_is_refused_with_the_required_amount_and_its_parts()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.Offer(sc.Tee, OfferType.TeeOffer, PricedSlot("2", SlotPricing.Fixed));
            var data = sc.Offer(sc.Bob, OfferType.Data, PricedSlot("1", SlotPricing.Fixed));
            sc.Fund(sc.Alice, "2.5");
            var error = sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.Offer, tee.Slot, data),
                $"insufficient balance: account {sc.Alice.Address.Lower} has 2.5 tokens, the workflow needs a deposit of 3 tokens");
            Assert.Contains($"TEE offer {tee.Offer} slot {tee.Slot}: 2; data offer {data.Offer} slot {data.Slot}: 1", error);
        }

        [Fact]
        public void A_larger_deposit_may_be_locked_but_not_a_smaller_one()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.Offer(sc.Tee, OfferType.TeeOffer, PricedSlot("2", SlotPricing.Fixed));
            sc.Fund(sc.Alice, "10");
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.Offer, tee.Slot) with { Deposit = T("1.5") },
                "deposit 1.5 is below the 2 tokens this workflow requires");
            var o = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee.Offer, tee.Slot) with { Deposit = T("7") });
            Assert.Equal(T("7"), sc.Order(o.Ids.Order.Value).Deposit);
            Assert.Equal(T("3"), sc.Balance(sc.Alice));
        }

        [Fact]
        public void Without_a_slot_the_cheapest_TEE_slot_is_used()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.Offer(sc.Tee, OfferType.TeeOffer, PricedSlot("5", SlotPricing.Fixed));
            var cheap = sc.AddSlot(sc.Tee, tee.Offer, PricedSlot("1", SlotPricing.PerHour, minMinutes: 60));
            sc.AddSlot(sc.Tee, tee.Offer, PricedSlot("1", SlotPricing.Fixed)); // same cost, higher id
            sc.Fund(sc.Alice, "10");
            var o = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee.Offer, null));
            var order = sc.Order(o.Ids.Order.Value);
            Assert.Equal(cheap, order.SlotId);
            Assert.Equal(T("1"), order.Deposit);
        }

        [Fact]
        public void Data_inputs_become_sub_orders_in_the_order_given()
        {
            using var sc = Scenario.OnMachine();
            var d1 = sc.DataOffer();
            var d2 = sc.DataOffer();
            var tee = sc.TeeOffer();
            var (_, subs) = sc.Workflow(tee.OfferId, d2, d1);
            Assert.Equal([d2.OfferId, d1.OfferId], subs.Select(id => sc.Order(id).OfferId));
            Assert.True(subs[0] < subs[1]);
        }
    }

    public sealed class Settlement
    {
        /// <summary>TEE 6/h (min 30 min), data 1 fixed; Alice funds 20 and locks <paramref name="deposit"/>.</summary>
        private static (Scenario Sc, long Order, long Sub, long Tee, long Data) Running(string? deposit = null)
        {
            var sc = Scenario.OnMachine();
            var tee = sc.Offer(sc.Tee, OfferType.TeeOffer, PricedSlot("6", SlotPricing.PerHour, minMinutes: 30), TestKit.TeeInfo(cancelable: true));
            var data = sc.Offer(sc.Bob, OfferType.Data, PricedSlot("1", SlotPricing.Fixed), TestKit.DataInfo(cancelable: true));
            sc.Fund(sc.Alice, "20");
            var payload = Scenario.WorkflowPayload(tee.Offer, tee.Slot, data) with { Deposit = deposit is null ? null : T(deposit) };
            var o = sc.Ok(sc.Alice, payload);
            return (sc, o.Ids.Order.Value, o.SubOrderIds.Single(), tee.Offer, data.Offer);
        }

        [Fact]
        public void Providers_are_paid_for_the_time_used_and_the_rest_is_refunded()
        {
            var (sc, order, sub, tee, data) = Running(deposit: "16");
            using var _ = sc;
            sc.Complete(sub);
            sc.Start(order);
            sc.Machine().Advance(2 * 3_600_000 - 1000); // the next entry lands exactly 2 h after the start
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "result", "ok"));
            var settled = sc.Order(order).Settlement!;
            Assert.Equal(2 * 3_600_000, settled.UsedMillis);
            Assert.Equal([(sc.Tee.Address.Lower, tee, T("12")), (sc.Bob.Address.Lower, data, T("1"))],
                settled.Payments.Select(p => (p.To, p.OfferId, p.Amount)));
            Assert.Equal(T("3"), settled.Refund);
            Assert.Equal(T("7"), sc.Balance(sc.Alice)); // 20 - 16 + 3
            Assert.Equal(T("12"), sc.Balance(sc.Tee));
            Assert.Equal(T("1"), sc.Balance(sc.Bob));
            Assert.Equal(TokenAmount.Zero, sc.Ledger.Read(s => s.Locked()));
            AssertConserved(((MachineLedger)sc.Ledger).State);
        }

        [Fact]
        public void A_run_longer_than_the_deposit_shares_the_deposit_in_proportion()
        {
            var (sc, order, sub, _, _) = Running(); // the minimum: 6 x 0.5 + 1 = 4
            using var _ = sc;
            sc.Complete(sub);
            sc.Start(order);
            sc.Machine().Advance(3_600_000 - 1000); // 1 h: costs 6 + 1 = 7 > 4
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Error, null, "time limit"));
            var settled = sc.Order(order).Settlement!;
            Assert.Equal(TokenAmount.Zero, settled.Refund);
            var units = settled.Payments.Select(p => p.Amount.Units).ToList();
            Assert.Equal(T("4").Units, units.Aggregate(BigInteger.Add));
            Assert.Equal(T("4").Units / 7, units[1]); // Bob: floor(1 x 4 / 7)
            Assert.Equal(T("16"), sc.Balance(sc.Alice));
        }

        [Fact]
        public void An_order_that_never_ran_is_refunded_whole()
        {
            var (sc, order, _, _, _) = Running();
            using var _ = sc;
            sc.Ok(sc.Alice, new OrderCancel(order));
            Assert.Equal(T("20"), sc.Balance(sc.Alice));
            Assert.Empty(sc.Order(order).Settlement!.Payments);

            var (sc2, order2, sub2, _, _) = Running();
            using var __ = sc2;
            sc2.Ok(sc2.Bob, new OrderComplete(sub2, OrderStatus.Error, "", null));
            Assert.Equal(OrderStatus.Error, sc2.Status(order2));
            Assert.Equal(T("20"), sc2.Balance(sc2.Alice));
        }

        [Fact]
        public void The_consumer_replenishes_a_running_order()
        {
            var (sc, order, sub, _, _) = Running();
            using var _ = sc;
            sc.Refused(sc.Alice, new OrderReplenish(order, T("16.5")),
                $"insufficient balance: account {sc.Alice.Address.Lower} has 16 tokens, replenishing order {order} needs 16.5");
            sc.Refused(sc.Bob, new OrderReplenish(order, T("1")), $"only the consumer of order {order}");
            sc.Refused(sc.Alice, new OrderReplenish(sub, T("1")), $"order {sub} is a sub-order of order {order}");
            sc.Refused(sc.Alice, new OrderReplenish(order, TokenAmount.Zero), "amount must be greater than 0");
            sc.Complete(sub);
            sc.Start(order);
            sc.Ok(sc.Alice, new OrderReplenish(order, T("3")));
            Assert.Equal(T("7"), sc.Order(order).Deposit);
            Assert.Equal(T("13"), sc.Balance(sc.Alice));
            sc.Machine().Advance(3_600_000 - 1000);
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "r", ""));
            Assert.Equal(TokenAmount.Zero, sc.Order(order).Settlement!.Refund); // 7 covers 1 h exactly
            sc.Refused(sc.Alice, new OrderReplenish(order, T("1")), $"order {order} is Done: its deposit was settled");
        }

        [Fact]
        public void A_running_order_canceled_by_the_consumer_pays_for_the_time_used_and_ignores_the_late_finish()
        {
            var (sc, order, sub, _, _) = Running(deposit: "10");
            using var _ = sc;
            sc.Complete(sub);
            sc.Start(order);
            sc.Machine().Advance(3_600_000 - 1000);
            sc.Ok(sc.Alice, new OrderCancel(order));
            Assert.Equal(OrderStatus.Canceled, sc.Status(order));
            Assert.Equal(OrderStatus.Done, sc.Status(sub));
            Assert.Equal(T("3"), sc.Order(order).Settlement!.Refund); // 10 - (6 + 1)
            var balances = sc.Ledger.Read(s => s.Balances.ToDictionary());

            // The TEE learns of it late: its report and finish are accepted, change no status and pay nothing twice.
            sc.Ok(sc.Tee, new OrderReportPublish(order, TestKit.Report(order)));
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "log so far", "stopped"));
            var o = sc.Order(order);
            Assert.Equal((OrderStatus.Canceled, "log so far"), (o.Status, o.SealedResult));
            Assert.NotNull(o.Report);
            Assert.Equal(balances, sc.Ledger.Read(s => s.Balances.ToDictionary()));
            sc.Refused(sc.Tee, new OrderStart(order), $"order {order} is Canceled: expected New to start it");
        }

        [Fact]
        public void The_TEE_provider_may_cancel_a_running_order_of_cancelable_offers()
        {
            var (sc, order, sub, _, _) = Running();
            using var _ = sc;
            sc.Complete(sub);
            sc.Start(order);
            sc.Ok(sc.Tee, new OrderCancel(order));
            Assert.Equal(OrderStatus.Canceled, sc.Status(order));
            Assert.Contains("the owner of TEE offer", sc.Order(order).StatusMessage);
        }

        [Fact]
        public void A_finish_after_a_cancel_of_a_never_started_order_is_refused()
        {
            var (sc, order, _, _, _) = Running();
            using var _ = sc;
            sc.Ok(sc.Alice, new OrderCancel(order));
            sc.Refused(sc.Tee, new OrderFinish(order, OrderStatus.Done, "r", ""), $"order {order} is Canceled: expected Processing");
            sc.Refused(sc.Tee, new OrderReportPublish(order, TestKit.Report(order)), $"order {order} is Canceled");
        }
    }

    public sealed class Restrictions
    {
        private static OfferInfo Restricted(OfferInfo info, string[] offers, string[] types) =>
            info with { Restrictions = new OfferRestrictions { Offers = offers.ToList(), Types = types.ToList() } };

        [Fact]
        public void Restricted_types_refuse_other_kinds_of_partners()
        {
            using var sc = Scenario.OnMachine();
            var onlyTee = sc.DataOffer(info: Restricted(TestKit.DataInfo(), [], ["0"]));
            var other = sc.DataOffer();
            var tee = sc.TeeOffer();
            sc.Workflow(tee.OfferId, onlyTee); // TEE + this data offer: fine
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null, onlyTee, other),
                $"offer {onlyTee.OfferId} may be combined only with offers of type TeeOffer (its restrictions.types): offer {other.OfferId} is a Data offer");
        }

        [Fact]
        public void Restricted_offers_refuse_unlisted_partners()
        {
            using var sc = Scenario.OnMachine();
            var tee1 = sc.TeeOffer();
            var tee2 = sc.TeeOffer();
            var data = sc.DataOffer(info: Restricted(TestKit.DataInfo(), [tee1.OfferId.ToString()], []));
            sc.Workflow(tee1.OfferId, data);
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee2.OfferId, null, data),
                $"offer {data.OfferId} may be combined only with offers {tee1.OfferId} (its restrictions.offers): offer {tee2.OfferId} is not one of them");
        }

        [Fact]
        public void A_TEE_offer_may_restrict_its_inputs_too()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            var tee = sc.TeeOffer(Restricted(TestKit.TeeInfo(), ["999"], []));
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null, data),
                $"offer {tee.OfferId} may be combined only with offers 999 (its restrictions.offers): offer {data.OfferId} is not one of them");
        }

        [Fact]
        public void Restrictions_are_validated_when_the_offer_is_created()
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob);
            sc.Refused(sc.Bob, new OfferCreate(OfferType.Data, Restricted(TestKit.DataInfo(), ["x1"], [])),
                "offer info: restrictions.offers[0] 'x1' is not an offer id");
            sc.Refused(sc.Bob, new OfferCreate(OfferType.Data, Restricted(TestKit.DataInfo(), [], ["0", "4"])),
                "offer info: restrictions.types[1] '4' is not an offer type");
        }

        [Fact]
        public void Every_listed_account_may_order_and_others_are_named()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer(TestKit.TeeInfo() with { AllowedAccounts = [sc.Alice.Address.ToString().ToUpperInvariant().Replace("0X", "0x")] });
            sc.Workflow(tee.OfferId);
            sc.Refused(sc.Mallory, Scenario.WorkflowPayload(tee.OfferId, null),
                $"account {sc.Mallory.Address.Lower} is not in allowedAccounts of offer {tee.OfferId}");
        }
    }

    public sealed class Slots
    {
        [Fact]
        public void Prices_must_be_whole_base_units_with_a_known_type()
        {
            using var sc = Scenario.OnMachine();
            var (offer, _) = sc.DataOffer();
            var slot = TestKit.Slot();
            sc.Refused(sc.Bob, new SlotAdd(offer, slot with { Usage = slot.Usage with { Price = "0.5" } }),
                "slot info: usage.price must be a whole number of base units");
            sc.Refused(sc.Bob, new SlotAdd(offer, slot with { Usage = slot.Usage with { PriceType = "2" } }),
                "slot info: usage.priceType must be \"0\" (per hour) or \"1\" (fixed), got '2'");
            sc.Refused(sc.Bob, new SlotAdd(offer, slot with { Info = slot.Info with { Ram = -1 } }), "must be >= 0");
        }

        [Fact]
        public void The_owner_updates_a_slot_and_placed_orders_keep_their_terms()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.Offer(sc.Tee, OfferType.TeeOffer, PricedSlot("1", SlotPricing.Fixed));
            sc.Fund(sc.Alice, "10");
            var order = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee.Offer, tee.Slot)).Ids.Order.Value;
            sc.Refused(sc.Mallory, new SlotUpdate(tee.Offer, tee.Slot, PricedSlot("5", SlotPricing.Fixed)),
                $"only the owner of offer {tee.Offer} ({sc.Tee.Address.Lower}) can update its slots");
            sc.Refused(sc.Tee, new SlotUpdate(tee.Offer, 999, PricedSlot("5", SlotPricing.Fixed)),
                $"slot 999 is not a slot of offer {tee.Offer} (its slots: {tee.Slot})");
            sc.Ok(sc.Tee, new SlotUpdate(tee.Offer, tee.Slot, PricedSlot("5", SlotPricing.Fixed)));
            Assert.Equal(T("5").UnitsString, sc.Ledger.Read(s => s.Slots[tee.Slot].Info.Usage.Price));
            sc.Start(order);
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "r", ""));
            Assert.Equal(T("1"), sc.Balance(sc.Tee)); // the price when the order was placed
        }

        [Fact]
        public void The_owner_deletes_a_slot()
        {
            using var sc = Scenario.OnMachine();
            var (offer, slot) = sc.DataOffer();
            var tee = sc.TeeOffer();
            sc.Refused(sc.Alice, new SlotDelete(offer, slot), $"only the owner of offer {offer}");
            sc.Ok(sc.Bob, new SlotDelete(offer, slot));
            Assert.Empty(sc.Offer(offer).SlotIds);
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null, (offer, slot)),
                $"slot {slot} is not a slot of data offer {offer}");
        }
    }

    /// <summary>
    /// Random marketplaces: whatever sequence of transactions is accepted or refused, the sum of all balances and
    /// of the deposits locked in unsettled orders equals what the faucet minted, and nothing is ever negative.
    /// </summary>
    public sealed class Conservation
    {
        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        public void Balances_plus_locked_deposits_change_only_through_the_faucet(int seed)
        {
            var rng = new Random(seed);
            var ledger = new MachineLedger();
            using var sc = new Scenario(ledger);
            AccountKey[] consumers = [sc.Alice, sc.Mallory];
            AccountKey[] providers = [sc.Bob, sc.Tee, sc.Mallory];
            var teeOffers = new List<(long Offer, long Slot)>();
            var dataOffers = new List<(long Offer, long Slot)>();
            string Price() => rng.Next(4) == 0 ? "0" : $"{rng.Next(0, 5)}.{rng.Next(0, 1000):000}";
            SlotInfo RandomSlot() => PricedSlot(Price(), rng.Next(2) == 0 ? SlotPricing.PerHour : SlotPricing.Fixed, rng.Next(0, 120));
            AccountKey Any(AccountKey[] keys) => keys[rng.Next(keys.Length)];
            long AnyOrder() => ledger.State.Orders.Count == 0 ? 1 : ledger.State.Orders.Keys.ElementAt(rng.Next(ledger.State.Orders.Count));
            // Mostly an order in the status the transaction needs, sometimes any order (to exercise refusals).
            long OrderIn(OrderStatus status, bool sub)
            {
                var fit = ledger.State.Orders.Values.Where(o => o.Status == status && (o.ParentId is not null) == sub).ToList();
                return fit.Count > 0 && rng.Next(4) > 0 ? fit[rng.Next(fit.Count)].Id : AnyOrder();
            }
            AccountKey OwnerOf(long order) =>
                ledger.State.Orders.TryGetValue(order, out var o)
                    ? providers.Single(k => k.Address.Lower == ledger.State.Offers[o.OfferId].Owner)
                    : sc.Bob;

            teeOffers.Add(sc.Offer(sc.Tee, OfferType.TeeOffer, RandomSlot(), TestKit.TeeInfo(cancelable: true)));
            dataOffers.Add(sc.Offer(sc.Bob, OfferType.Data, RandomSlot(), TestKit.DataInfo(cancelable: rng.Next(2) == 0)));
            var accepted = 0;
            var mintedBefore = ledger.State.Minted;
            for (var step = 0; step < 400; step++)
            {
                var before = TokenAmount.Sum(ledger.State.Balances.Values) + ledger.State.Locked();
                ledger.Advance(rng.Next(0, 3) * 600_000L);
                var isFaucet = false;
                var outcome = rng.Next(11) switch
                {
                    0 => Faucet(),
                    1 => sc.Send(Any(providers), new OfferCreate(OfferType.Data, TestKit.DataInfo(cancelable: rng.Next(2) == 0))),
                    2 => AddSlotTo(),
                    3 or 4 => Workflow(),
                    5 => Complete(OrderIn(OrderStatus.Blocked, sub: true)),
                    6 => sc.Send(sc.Tee, new OrderStart(OrderIn(OrderStatus.New, sub: false))),
                    7 => sc.Send(sc.Tee, new OrderFinish(OrderIn(OrderStatus.Processing, sub: false), rng.Next(2) == 0 ? OrderStatus.Done : OrderStatus.Error, "r", "")),
                    8 => sc.Send(rng.Next(3) == 0 ? sc.Tee : Any(consumers), new OrderCancel(AnyOrder())),
                    9 => sc.Send(Any(consumers), new OrderReplenish(AnyOrder(), TokenAmount.ParseTokens($"{rng.Next(0, 20)}.{rng.Next(0, 10)}", "r"))),
                    _ => UpdateSlot(),
                };
                if (outcome.Accepted) accepted++;
                var after = TokenAmount.Sum(ledger.State.Balances.Values) + ledger.State.Locked();
                var minted = ledger.State.Minted - mintedBefore; // throws if Minted ever went down
                if (!(isFaucet && outcome.Accepted)) Assert.Equal(TokenAmount.Zero, minted);
                Assert.Equal(before + minted, after);
                AssertConserved(ledger.State);
                mintedBefore = ledger.State.Minted;

                TxOutcome Faucet()
                {
                    isFaucet = true;
                    return sc.Send(Any([.. consumers, .. providers]), new TokensRequest(TokenAmount.ParseTokens($"{rng.Next(0, 12_000)}.{rng.Next(0, 100)}", "f")));
                }
            }
            Assert.True(accepted > 100, $"only {accepted} transactions were accepted: the random walk explores too little");
            Assert.Contains(ledger.State.Orders.Values, o => o.Settlement is { Payments.Count: > 0 });

            TxOutcome Complete(long sub) =>
                sc.Send(OwnerOf(sub), new OrderComplete(sub, rng.Next(6) == 0 ? OrderStatus.Error : OrderStatus.Done, TestKit.SolutionHash, "s"));

            TxOutcome AddSlotTo()
            {
                var owner = Any(providers);
                var offers = ledger.State.Offers.Values.Where(o => o.Owner == owner.Address.Lower).ToList();
                if (offers.Count == 0) return TxOutcome.Refused("no offer");
                var offer = offers[rng.Next(offers.Count)];
                var o = sc.Send(owner, new SlotAdd(offer.Id, RandomSlot()));
                if (o.Accepted) (offer.Type == OfferType.TeeOffer ? teeOffers : dataOffers).Add((offer.Id, o.Ids.Slot.Value));
                return o;
            }

            TxOutcome UpdateSlot()
            {
                var all = teeOffers.Concat(dataOffers).ToList();
                var (offer, slot) = all[rng.Next(all.Count)];
                var owner = ledger.State.Offers[offer].Owner == sc.Tee.Address.Lower ? sc.Tee : Any(providers);
                return sc.Send(owner, new SlotUpdate(offer, slot, RandomSlot()));
            }

            TxOutcome Workflow()
            {
                var tee = teeOffers[rng.Next(teeOffers.Count)];
                var data = Enumerable.Range(0, rng.Next(0, 3)).Select(_ => dataOffers[rng.Next(dataOffers.Count)]).ToArray();
                var payload = Scenario.WorkflowPayload(tee.Offer, rng.Next(3) == 0 ? null : tee.Slot, data);
                if (rng.Next(3) == 0) payload = payload with { Deposit = TokenAmount.ParseTokens($"{rng.Next(0, 30)}", "d") };
                return sc.Send(Any(consumers), payload);
            }
        }
    }
}
