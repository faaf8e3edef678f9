using System.Text.Json.Nodes;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

public sealed class MarketMachineTests
{
    public sealed class TheEnvelopeChecks
    {
        [Fact]
        public void Wrong_network_is_refused_and_nothing_changes()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            var before = ledger.Digest();
            var o = ledger.Submit(ledger.Sign(key, new ProviderCreate("p", "d"), network: "mainnet"));
            Assert.False(o.Accepted);
            Assert.Equal($"wrong network: the transaction is for 'mainnet', this ledger is '{TestKit.Network}'", o.Error);
            Assert.Equal(before, ledger.Digest());
            Assert.Equal(0, ledger.State.Height);
        }

        [Fact]
        public void A_used_nonce_is_refused_as_a_replay()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            Assert.True(ledger.Send(key, new ProviderCreate("p", "d")).Accepted);
            var before = ledger.Digest();
            var o = ledger.Submit(ledger.Sign(key, new ProviderUpdate("q", "d"), nonce: 0));
            Assert.False(o.Accepted);
            Assert.Contains("nonce 0 of " + key.Address.Lower + " was already used", o.Error);
            Assert.Contains("expected 1", o.Error);
            Assert.Equal(before, ledger.Digest());
        }

        [Fact]
        public void A_nonce_from_the_future_is_refused()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            var o = ledger.Submit(ledger.Sign(key, new ProviderCreate("p", "d"), nonce: 5));
            Assert.Equal($"nonce of {key.Address.Lower}: expected 0, got 5", o.Error);
        }

        [Fact]
        public void A_refused_transaction_does_not_consume_the_nonce()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            Assert.False(ledger.Send(key, new ProviderUpdate("p", "d")).Accepted);
            Assert.Equal(0, ledger.State.NextNonce(key.Address.Lower));
            Assert.True(ledger.Send(key, new ProviderCreate("p", "d")).Accepted);
        }

        [Fact]
        public void A_non_canonical_sender_address_is_refused()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            var tx = Transaction.Create(ledger.Network, key.Address, 0, new ProviderCreate("p", "d"))
                with { From = key.Address.ToString().ToUpperInvariant().Replace("0X", "0x") };
            var o = ledger.Submit(SignedTransaction.Sign(tx, key));
            Assert.StartsWith("from: expected a lowercase address", o.Error);
        }

        [Fact]
        public void An_entry_out_of_sequence_or_off_the_chain_is_refused()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            var entry = ledger.NextEntry(ledger.Sign(key, new ProviderCreate("p", "d")));
            Assert.Equal("entry seq: expected 1, got 2", MarketMachine.Apply(ledger.State, entry with { Seq = 2 }).Error);
            var offChain = MarketMachine.Apply(ledger.State, entry with { PrevHash = TestKit.OtherHash }).Error;
            Assert.Equal($"entry 1 prevHash: expected {LedgerEntry.GenesisPrevHash}, got {TestKit.OtherHash}", offChain);
            Assert.Equal(0, ledger.State.Height);
        }

        [Fact]
        public void Prepare_changes_nothing_until_commit_and_commits_once()
        {
            var ledger = new MachineLedger();
            using var key = AccountKey.Generate();
            var entry = ledger.NextEntry(ledger.Sign(key, new ProviderCreate("p", "d")));
            var before = ledger.Digest();
            var prepared = MarketMachine.Prepare(ledger.State, entry);
            Assert.True(prepared.Accepted);
            Assert.Equal(before, ledger.Digest());
            prepared.Commit();
            Assert.NotEqual(before, ledger.Digest());
            Assert.Throws<InvalidOperationException>(() => prepared.Commit());
        }
    }

    public sealed class TheProviderTransactions
    {
        [Fact]
        public void A_provider_is_created_once_per_address()
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob, "Bob");
            sc.Refused(sc.Bob, new ProviderCreate("Bob again", ""), $"provider {sc.Bob.Address.Lower} already exists");
            Assert.Equal("Bob", sc.Ledger.Read(s => s.Providers[sc.Bob.Address.Lower].Name));
        }

        [Fact]
        public void An_empty_name_is_refused() =>
            Scenario.OnMachine().Refused(AccountKey.Generate(), new ProviderCreate(" ", ""), "provider name: must not be empty");

        [Fact]
        public void Update_needs_an_existing_provider_and_changes_it()
        {
            using var sc = Scenario.OnMachine();
            sc.Refused(sc.Bob, new ProviderUpdate("x", "y"), $"account {sc.Bob.Address.Lower} is not a provider");
            sc.Provider(sc.Bob, "Bob");
            sc.Ok(sc.Bob, new ProviderUpdate("Robert", "data owner"));
            var p = sc.Ledger.Read(s => s.Providers[sc.Bob.Address.Lower]);
            Assert.Equal(("Robert", "data owner"), (p.Name, p.Description));
        }
    }

    public sealed class TheOfferCreateTransaction
    {
        [Fact]
        public void The_sender_must_be_a_provider() =>
            Scenario.OnMachine().Refused(AccountKey.Generate(), new OfferCreate(OfferType.Data, TestKit.DataInfo()),
                "create a provider first: provider-tools register");

        [Fact]
        public void A_TeeOffer_registered_before_its_loader_takes_no_workflow_until_the_loader_publishes_its_certificate()
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Tee);
            sc.Refused(sc.Tee, new OfferCreate(OfferType.TeeOffer, TestKit.TeeInfo(), " "), "teeCertificate: must not be empty");
            var created = sc.Ok(sc.Tee, new OfferCreate(OfferType.TeeOffer, TestKit.TeeInfo()));
            var offerId = created.Ids.Offer.Value;
            Assert.Null(sc.Offer(offerId).TeeCertificate);
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(offerId, null), $"TEE offer {offerId} has no TEE certificate yet");
            sc.Ok(sc.Tee, new TeeCertificateUpdate(offerId, TestKit.TeeChainFor(sc.Tee)));
            sc.Ok(sc.Alice, Scenario.WorkflowPayload(offerId, null));
        }

        [Theory]
        [InlineData(OfferType.Data, "3")]
        [InlineData(OfferType.Solution, "2")]
        public void Data_and_solution_offers_must_not_carry_a_certificate(OfferType type, string typeValue)
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob);
            sc.Refused(sc.Bob, new OfferCreate(type, TestKit.DataInfo() with { OfferType = typeValue }, TestKit.TeeChain),
                $"teeCertificate: only a TeeOffer carries one, this offer is {type}");
        }

        [Fact]
        public void The_info_offerType_must_match_the_offer_type()
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob);
            sc.Refused(sc.Bob, new OfferCreate(OfferType.Data, TestKit.DataInfo() with { OfferType = "0" }),
                "offer info: offerType is \"0\" but the offer is created as Data: expected \"3\"");
        }

        [Theory]
        [InlineData("3")]
        [InlineData("")]
        [InlineData("01")]
        public void The_group_must_be_0_1_or_2(string group)
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob);
            sc.Refused(sc.Bob, new OfferCreate(OfferType.Data, TestKit.DataInfo() with { Group = group }),
                $"offer info: group must be \"0\" (Input), \"1\" (Processing) or \"2\" (Output), got \"{group}\"");
        }

        [Fact]
        public void The_name_must_not_be_empty()
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob);
            sc.Refused(sc.Bob, new OfferCreate(OfferType.Data, TestKit.DataInfo() with { Name = "" }), "offer info: name must not be empty");
        }

        [Fact]
        public void Allowed_accounts_must_be_addresses()
        {
            using var sc = Scenario.OnMachine();
            sc.Provider(sc.Bob);
            sc.Refused(sc.Bob, new OfferCreate(OfferType.Data, TestKit.DataInfo(false, sc.Alice.Address.ToString(), "alice")),
                "offer info: allowedAccounts[1] 'alice' is not an account address");
        }

        [Fact]
        public void Ids_are_sequential_from_1_and_the_offer_is_enabled()
        {
            using var sc = Scenario.OnMachine();
            var a = sc.DataOffer();
            var b = sc.DataOffer();
            Assert.Equal((1L, 1L), a);
            Assert.Equal((2L, 2L), b);
            var offer = sc.Offer(2);
            Assert.True(offer.Enabled);
            Assert.Equal(sc.Bob.Address.Lower, offer.Owner);
            Assert.Equal(OfferType.Data, offer.Type);
            Assert.Null(offer.TeeCertificate);
        }
    }

    public sealed class TheOfferSetEnabledTransaction
    {
        [Fact]
        public void Only_the_owner_can_disable_and_a_disabled_offer_takes_no_orders()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            var tee = sc.TeeOffer();
            sc.Refused(sc.Mallory, new OfferSetEnabled(data.OfferId, false),
                $"only the owner of offer {data.OfferId} ({sc.Bob.Address.Lower}) can disable it; sender is {sc.Mallory.Address.Lower}");
            sc.Ok(sc.Bob, new OfferSetEnabled(data.OfferId, false));
            Assert.False(sc.Offer(data.OfferId).Enabled);
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null, data), $"data offer {data.OfferId} is disabled");
            sc.Ok(sc.Bob, new OfferSetEnabled(data.OfferId, true));
            sc.Workflow(tee.OfferId, data);
        }

        [Fact]
        public void An_unknown_offer_is_named() =>
            Scenario.OnMachine().Refused(AccountKey.Generate(), new OfferSetEnabled(42, true), "offer 42 does not exist");
    }

    public sealed class TheSlotAddTransaction
    {
        [Fact]
        public void Only_the_owner_adds_slots()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            sc.Refused(sc.Mallory, new SlotAdd(data.OfferId, TestKit.Slot()),
                $"only the owner of offer {data.OfferId} ({sc.Bob.Address.Lower}) can add a slot to it");
            var slot = sc.Ok(sc.Bob, new SlotAdd(data.OfferId, TestKit.Slot())).Ids.Slot.Value;
            Assert.Equal([data.SlotId, slot], sc.Offer(data.OfferId).SlotIds);
            Assert.Equal(data.OfferId, sc.Ledger.Read(s => s.Slots[slot].OfferId));
        }

        [Fact]
        public void The_offer_must_exist() =>
            Scenario.OnMachine().Refused(AccountKey.Generate(), new SlotAdd(7, TestKit.Slot()), "offer 7 does not exist");
    }

    public sealed class TheTeeCertificateTransaction
    {
        [Fact]
        public void The_owner_of_a_TeeOffer_replaces_its_certificate()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer();
            sc.Refused(sc.Mallory, new TeeCertificateUpdate(tee.OfferId, "x"),
                $"only the owner of offer {tee.OfferId} ({sc.Tee.Address.Lower}) can publish its TEE certificate");
            sc.Ok(sc.Tee, new TeeCertificateUpdate(tee.OfferId, TestKit.TeeChainFor(sc.Tee)));
            Assert.Equal(TestKit.TeeChainFor(sc.Tee), sc.Offer(tee.OfferId).TeeCertificate);
        }

        [Fact]
        public void A_data_offer_has_no_certificate()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            sc.Refused(sc.Bob, new TeeCertificateUpdate(data.OfferId, "x"),
                $"offer {data.OfferId} is a Data offer: only a TeeOffer has a TEE certificate");
        }
    }

    public sealed class TheWorkflowCreateTransaction
    {
        [Fact]
        public void Without_data_inputs_the_order_is_New_at_once()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer();
            var (order, subs) = sc.Workflow(tee.OfferId);
            Assert.Empty(subs);
            Assert.Equal(OrderStatus.New, sc.Status(order));
        }

        [Fact]
        public void Two_data_inputs_make_two_blocked_sub_orders()
        {
            using var sc = Scenario.OnMachine();
            var d1 = sc.DataOffer();
            var d2 = sc.DataOffer(sc.Mallory);
            var tee = sc.TeeOffer();
            var (order, subs) = sc.Workflow(tee.OfferId, d1, d2);
            Assert.Equal([order + 1, order + 2], subs);
            Assert.All(subs, id => Assert.Equal(OrderStatus.Blocked, sc.Status(id)));
            Assert.Equal(d2.OfferId, sc.Order(subs[1]).OfferId);

            sc.Complete(subs[0]);
            Assert.Equal(OrderStatus.Blocked, sc.Status(order));
            sc.Complete(subs[1], by: sc.Mallory);
            Assert.Equal(OrderStatus.New, sc.Status(order));
            Assert.Equal(order + 3, sc.Ledger.Read(s => s.NextOrderId));
        }

        [Fact]
        public void The_TEE_offer_must_be_a_TeeOffer()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(data.OfferId, null, data),
                $"offer {data.OfferId} is a Data offer, expected a TeeOffer for --tee");
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(99, null, data), "TEE offer 99 does not exist");
        }

        [Fact]
        public void A_data_input_must_be_a_Data_offer_with_its_own_slot()
        {
            using var sc = Scenario.OnMachine();
            var d1 = sc.DataOffer();
            var d2 = sc.DataOffer();
            var tee = sc.TeeOffer();
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null, (d1.OfferId, d2.SlotId)),
                $"slot {d2.SlotId} is not a slot of data offer {d1.OfferId}");
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null, tee),
                $"offer {tee.OfferId} is a TeeOffer offer, expected a Data offer for --data");
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, d1.SlotId, d1),
                $"slot {d1.SlotId} is not a slot of TEE offer {tee.OfferId}");
        }

        [Theory]
        [InlineData("8598805CD2136A4BEFF17559A7228854F6A8CC0B027856EA5C196FB8D0602501")]
        [InlineData("8598805cd2136a4beff17559a7228854f6a8cc0b027856ea5c196fb8d06025")]
        [InlineData("zz98805cd2136a4beff17559a7228854f6a8cc0b027856ea5c196fb8d0602501")]
        public void The_solution_hash_must_be_64_lowercase_hex(string hash)
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer();
            var tee = sc.TeeOffer();
            var payload = Scenario.WorkflowPayload(tee.OfferId, null, data) with { Solution = TestKit.Solution(hash) };
            sc.Refused(sc.Alice, payload, $"solution hash: expected 64 lowercase hex digits (SHA-256), got '{hash}'");
        }

        [Fact]
        public void Solution_size_sealed_resource_and_result_key_are_checked()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer();
            var ok = Scenario.WorkflowPayload(tee.OfferId, null);
            sc.Refused(sc.Alice, ok with { Solution = TestKit.Solution() with { Size = -1 } }, "solution size: expected >= 0, got -1");
            sc.Refused(sc.Alice, ok with { Solution = TestKit.Solution() with { SealedResource = "" } }, "solution sealedResource: must not be empty");
            sc.Refused(sc.Alice, ok with { ResultPublicKey = "" }, "resultPublicKey: must not be empty");
        }

        [Fact]
        public void Allowed_accounts_restrict_who_may_order()
        {
            using var sc = Scenario.OnMachine();
            var data = sc.DataOffer(info: TestKit.DataInfo(false, sc.Alice.Address.ToString()));
            var tee = sc.TeeOffer();
            sc.Refused(sc.Mallory, Scenario.WorkflowPayload(tee.OfferId, null, data),
                $"account {sc.Mallory.Address.Lower} is not in allowedAccounts of offer {data.OfferId}");
            sc.Workflow(tee.OfferId, data); // Alice, listed with her checksummed address
        }

        [Fact]
        public void A_disabled_TEE_offer_takes_no_orders()
        {
            using var sc = Scenario.OnMachine();
            var tee = sc.TeeOffer();
            sc.Ok(sc.Tee, new OfferSetEnabled(tee.OfferId, false));
            sc.Refused(sc.Alice, Scenario.WorkflowPayload(tee.OfferId, null), $"TEE offer {tee.OfferId} is disabled");
        }
    }

    public sealed class TheOrderCompleteTransaction
    {
        [Fact]
        public void Only_a_Data_or_Solution_sub_order_can_be_completed()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Bob, new OrderComplete(w.Order, OrderStatus.Done, TestKit.SolutionHash, "s"),
                $"order {w.Order} is a TeeOffer order: only a Data or Solution sub-order can be completed");
            sc.Refused(sc.Bob, new OrderComplete(77, OrderStatus.Done, TestKit.SolutionHash, "s"), "order 77 does not exist");
        }

        [Fact]
        public void Done_needs_the_sealed_resource()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Bob, new OrderComplete(w.Sub, OrderStatus.Done, TestKit.SolutionHash, null),
                $"sub-order {w.Sub}: status Done needs sealedResource");
        }

        [Fact]
        public void A_missing_hash_is_a_mismatch()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Bob, new OrderComplete(w.Sub, OrderStatus.Done, "", "s"),
                $"solution hash mismatch: sub-order {w.Sub} is for solution {TestKit.SolutionHash}, got <none>");
        }

        [Fact]
        public void A_sub_order_is_completed_once()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Complete(w.Sub);
            sc.Refused(sc.Bob, new OrderComplete(w.Sub, OrderStatus.Done, TestKit.SolutionHash, "s"),
                $"sub-order {w.Sub} is Done: only a Blocked or New sub-order can be completed");
        }

        [Fact]
        public void Error_refuses_the_release_and_ends_the_workflow()
        {
            using var sc = Scenario.OnMachine();
            var d1 = sc.DataOffer();
            var d2 = sc.DataOffer();
            var tee = sc.TeeOffer();
            var (order, subs) = sc.Workflow(tee.OfferId, d1, d2);
            sc.Ok(sc.Bob, new OrderComplete(subs[0], OrderStatus.Error, "", null));
            Assert.Equal(OrderStatus.Error, sc.Status(subs[0]));
            Assert.Equal(OrderStatus.Canceled, sc.Status(subs[1]));
            var parent = sc.Order(order);
            Assert.Equal(OrderStatus.Error, parent.Status);
            Assert.Contains($"data sub-order {subs[0]}", parent.StatusMessage);
            sc.Refused(sc.Bob, new OrderComplete(subs[1], OrderStatus.Done, TestKit.SolutionHash, "s"),
                $"sub-order {subs[1]} is Canceled");
        }

        [Fact]
        public void Canceled_declines_the_release_and_the_workflow_ends_canceled_without_running()
        {
            using var sc = Scenario.OnMachine();
            var d1 = sc.DataOffer();
            var d2 = sc.DataOffer();
            var tee = sc.TeeOffer();
            var (order, subs) = sc.Workflow(tee.OfferId, d1, d2);
            sc.Refused(sc.Alice, new OrderComplete(subs[0], OrderStatus.Canceled, "", null), "only the owner of offer");
            sc.Ok(sc.Bob, new OrderComplete(subs[0], OrderStatus.Canceled, "", null));
            var sub = sc.Order(subs[0]);
            Assert.Equal((OrderStatus.Canceled, $"the owner of offer {d1.OfferId} declined to release the data"), (sub.Status, sub.StatusMessage));
            Assert.Equal(OrderStatus.Canceled, sc.Status(subs[1]));
            var parent = sc.Order(order);
            Assert.Equal(OrderStatus.Canceled, parent.Status);
            Assert.Equal($"data sub-order {subs[0]} was completed with Canceled by the owner of offer {d1.OfferId}: the data was not released", parent.StatusMessage);
            Assert.Empty(parent.Settlement!.Payments); // never ran: nothing is paid
            sc.Refused(sc.Tee, new OrderStart(order), $"order {order} is Canceled");
            sc.Refused(sc.Bob, new OrderComplete(subs[0], OrderStatus.Canceled, "", null), $"sub-order {subs[0]} is Canceled");
        }

        [Fact]
        public void Other_statuses_are_refused()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Bob, new OrderComplete(w.Sub, OrderStatus.Processing, TestKit.SolutionHash, "s"),
                $"sub-order {w.Sub}: completion status must be Done, Error or Canceled, got Processing");
        }
    }

    public sealed class TheOrderStartTransaction
    {
        [Fact]
        public void Only_the_TEE_owner_starts_a_New_parent_order()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Tee, new OrderStart(w.Order), $"order {w.Order} is Blocked: its data sub-orders are not all completed yet");
            sc.Complete(w.Sub);
            sc.Refused(sc.Alice, new OrderStart(w.Order),
                $"only the TEE of offer {w.Tee} (account {sc.Tee.Address.Lower}, named by its attested certificate) can start order {w.Order}; sender is {sc.Alice.Address.Lower}");
            sc.Refused(sc.Tee, new OrderStart(w.Sub), $"order {w.Sub} is a sub-order of order {w.Order}");
            sc.Start(w.Order);
            sc.Refused(sc.Tee, new OrderStart(w.Order), $"order {w.Order} is Processing: expected New to start it");
        }
    }

    public sealed class TheOrderReportTransaction
    {
        [Fact]
        public void A_report_is_published_once_by_the_TEE_after_it_took_the_order()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Complete(w.Sub);
            sc.Refused(sc.Tee, new OrderReportPublish(w.Order, TestKit.Report(w.Order)),
                $"order {w.Order} is New: a report is published only once the TEE has taken the order");
            sc.Start(w.Order);
            sc.Refused(sc.Tee, new OrderReportPublish(w.Order, TestKit.Report(w.Order + 5)),
                $"report workloadInfo.orderId: expected \"{w.Order}\", got \"{w.Order + 5}\"");
            sc.Refused(sc.Alice, new OrderReportPublish(w.Order, TestKit.Report(w.Order)),
                $"only the TEE that took it (account {sc.Tee.Address.Lower})");
            sc.Ok(sc.Tee, new OrderReportPublish(w.Order, TestKit.Report(w.Order)));
            var seq = sc.Ledger.Read(s => s.Height);
            Assert.Equal(seq, sc.Order(w.Order).ReportSeq);
            sc.Refused(sc.Tee, new OrderReportPublish(w.Order, TestKit.Report(w.Order)),
                $"order {w.Order} already has a report (published in entry {seq})");
        }

        [Fact]
        public void A_report_may_follow_an_Error_finish()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Complete(w.Sub);
            sc.Start(w.Order);
            sc.Ok(sc.Tee, new OrderFinish(w.Order, OrderStatus.Error, null, "image hash differs"));
            sc.Ok(sc.Tee, new OrderReportPublish(w.Order, TestKit.Report(w.Order)));
            Assert.NotNull(sc.Order(w.Order).Report);
        }
    }

    public sealed class TheOrderFinishTransaction
    {
        [Fact]
        public void Finish_needs_Processing_and_a_final_status()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Complete(w.Sub);
            sc.Refused(sc.Tee, new OrderFinish(w.Order, OrderStatus.Done, "r", ""), $"order {w.Order} is New: expected Processing to finish it");
            sc.Start(w.Order);
            sc.Refused(sc.Tee, new OrderFinish(w.Order, OrderStatus.Canceled, "r", ""),
                $"order {w.Order}: finish status must be Done or Error, got Canceled");
            sc.Refused(sc.Tee, new OrderFinish(w.Order, OrderStatus.Done, null, ""), $"order {w.Order}: status Done needs sealedResult");
            sc.Refused(sc.Alice, new OrderFinish(w.Order, OrderStatus.Done, "r", ""), $"only the TEE that took it (account {sc.Tee.Address.Lower})");
            sc.Ok(sc.Tee, new OrderFinish(w.Order, OrderStatus.Error, "log only", "container exited with code 1"));
            var o = sc.Order(w.Order);
            Assert.Equal((OrderStatus.Error, "log only", "container exited with code 1"), (o.Status, o.SealedResult, o.StatusMessage));
            sc.Refused(sc.Tee, new OrderFinish(w.Order, OrderStatus.Done, "r", ""), $"order {w.Order} is Error");
        }
    }

    /// <summary>
    /// The provider (the TEE offer's owner, whose account key sits in tee.json outside anything attested) and the
    /// TEE (the account its attested certificate names, created in the TEE's memory) are different keys: only the
    /// TEE's moves an order.
    /// </summary>
    public sealed class TheTeeAccount
    {
        private static (Scenario Sc, AccountKey Enclave, long Tee, long Order) ProviderWithSeparateEnclave()
        {
            var sc = Scenario.OnMachine();
            var enclave = AccountKey.Generate();
            var w = sc.UpToWorkflow();
            sc.Ok(sc.Tee, new TeeCertificateUpdate(w.Tee, TestKit.TeeChainFor(enclave)));
            sc.Complete(w.Sub);
            return (sc, enclave, w.Tee, w.Order);
        }

        [Fact]
        public void Is_read_from_the_certificate_and_the_provider_can_no_longer_start_finish_or_report()
        {
            var (sc, enclave, tee, order) = ProviderWithSeparateEnclave();
            using var _ = sc;
            using var __ = enclave;
            Assert.Equal(enclave.Address.Lower, sc.Offer(tee).TeeAccount);
            sc.Refused(sc.Tee, new OrderStart(order),
                $"only the TEE of offer {tee} (account {enclave.Address.Lower}, named by its attested certificate) can start order {order}; sender is {sc.Tee.Address.Lower}");
            sc.Ok(enclave, new OrderStart(order));
            Assert.Equal(enclave.Address.Lower, sc.Order(order).TeeAccount);
            sc.Refused(sc.Tee, new OrderReportPublish(order, TestKit.Report(order)),
                $"only the TEE that took it (account {enclave.Address.Lower}) can publish the report of order {order}; sender is {sc.Tee.Address.Lower}");
            sc.Refused(sc.Tee, new OrderFinish(order, OrderStatus.Done, "forged result sealed to alice", ""),
                $"only the TEE that took it (account {enclave.Address.Lower}) can finish order {order}; sender is {sc.Tee.Address.Lower}");
            sc.Ok(enclave, new OrderFinish(order, OrderStatus.Done, "the TEE's result", ""));
            Assert.Equal("the TEE's result", sc.Order(order).SealedResult);
        }

        [Fact]
        public void A_certificate_the_reader_refuses_is_refused_with_its_reason()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Tee, new TeeCertificateUpdate(w.Tee, "-----BEGIN CERTIFICATE-----\nself-made\n-----END CERTIFICATE-----\n"),
                "teeCertificate: refused: not a TEE certificate of this network");
            sc.Provider(sc.Mallory);
            sc.Refused(sc.Mallory, new OfferCreate(OfferType.TeeOffer, TestKit.TeeInfo(), "forged"),
                "teeCertificate: refused: not a TEE certificate of this network");
            Assert.Equal(sc.Tee.Address.Lower, sc.Offer(w.Tee).TeeAccount);
        }

        [Fact]
        public void A_restarted_TEE_of_the_offer_may_end_its_predecessors_order_with_Error_only()
        {
            var (sc, enclave, tee, order) = ProviderWithSeparateEnclave();
            using var _ = sc;
            using var __ = enclave;
            sc.Ok(enclave, new OrderStart(order));
            using var restarted = AccountKey.Generate();
            sc.Ok(sc.Tee, new TeeCertificateUpdate(tee, TestKit.TeeChainFor(restarted)));
            sc.Refused(restarted, new OrderFinish(order, OrderStatus.Done, "r", ""),
                $"only the TEE that took it (account {enclave.Address.Lower}) can finish order {order}");
            sc.Ok(restarted, new OrderReportPublish(order, TestKit.Report(order))); // the report its predecessor did not publish
            sc.Ok(restarted, new OrderFinish(order, OrderStatus.Error, null, "the loader restarted"));
            Assert.Equal(OrderStatus.Error, sc.Status(order));
        }

        [Fact]
        public void A_statement_must_name_the_order_and_status_of_its_finish()
        {
            var (sc, enclave, _, order) = ProviderWithSeparateEnclave();
            using var _sc = sc;
            using var __ = enclave;
            sc.Ok(enclave, new OrderStart(order));
            ResultStatement Statement(string id, string status) => new()
            {
                Claims = new ResultClaims { OrderId = id, Status = status },
                Certificate = "chain",
                Signature = "c2ln",
            };
            sc.Refused(enclave, new OrderFinish(order, OrderStatus.Done, "r", "", Statement("999", "Done")),
                $"statement claims.orderId: expected \"{order}\", got \"999\"");
            sc.Refused(enclave, new OrderFinish(order, OrderStatus.Done, "r", "", Statement($"{order}", "Error")),
                "statement claims.status: expected Done, got Error");
            var statement = Statement($"{order}", "Done");
            sc.Ok(enclave, new OrderFinish(order, OrderStatus.Done, "r", "", statement));
            Assert.Equal(statement, sc.Order(order).ResultStatement);
        }
    }

    public sealed class TheOrderCancelTransaction
    {
        [Fact]
        public void The_consumer_cancels_a_Blocked_workflow_with_its_sub_orders()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Ok(sc.Alice, new OrderCancel(w.Order));
            Assert.Equal(OrderStatus.Canceled, sc.Status(w.Order));
            Assert.Equal(OrderStatus.Canceled, sc.Status(w.Sub));
            sc.Refused(sc.Bob, new OrderComplete(w.Sub, OrderStatus.Done, TestKit.SolutionHash, "s"), $"sub-order {w.Sub} is Canceled");
            sc.Refused(sc.Alice, new OrderCancel(w.Order), $"order {w.Order} is already Canceled");
        }

        [Fact]
        public void The_consumer_cancels_a_New_order_even_when_offers_are_not_cancelable()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow(TestKit.DataInfo(cancelable: false), TestKit.TeeInfo(cancelable: false));
            sc.Complete(w.Sub);
            sc.Ok(sc.Alice, new OrderCancel(w.Order));
            Assert.Equal(OrderStatus.Canceled, sc.Status(w.Order));
            Assert.Equal(OrderStatus.Done, sc.Status(w.Sub)); // a final sub-order keeps its status
        }

        [Fact]
        public void Once_Processing_a_non_cancelable_offer_forbids_cancelling()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow(TestKit.DataInfo(cancelable: false), TestKit.TeeInfo(cancelable: true));
            sc.Complete(w.Sub);
            sc.Start(w.Order);
            sc.Refused(sc.Alice, new OrderCancel(w.Order), $"offer {w.Data} is not cancelable");
            Assert.Equal(OrderStatus.Processing, sc.Status(w.Order));
        }

        [Fact]
        public void Once_Processing_cancelable_offers_allow_cancelling()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow(TestKit.DataInfo(cancelable: true), TestKit.TeeInfo(cancelable: true));
            sc.Complete(w.Sub);
            sc.Start(w.Order);
            sc.Ok(sc.Alice, new OrderCancel(w.Order));
            Assert.Equal(OrderStatus.Canceled, sc.Status(w.Order));
        }

        [Fact]
        public void The_TEE_owner_cancels_only_New_orders_of_its_offer()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Tee, new OrderCancel(w.Order),
                $"order {w.Order} is Blocked: the owner of TEE offer {w.Tee} can cancel only a New or Processing order");
            sc.Complete(w.Sub);
            sc.Ok(sc.Tee, new OrderCancel(w.Order));
            Assert.Contains("the owner of TEE offer", sc.Order(w.Order).StatusMessage);
        }

        [Fact]
        public void Strangers_and_sub_orders_are_refused()
        {
            using var sc = Scenario.OnMachine();
            var w = sc.UpToWorkflow();
            sc.Refused(sc.Mallory, new OrderCancel(w.Order),
                $"only the consumer ({sc.Alice.Address.Lower}) or the owner of TEE offer {w.Tee} ({sc.Tee.Address.Lower}) can cancel order {w.Order}");
            sc.Refused(sc.Alice, new OrderCancel(w.Sub), $"order {w.Sub} is a sub-order of order {w.Order}: cancel the parent order {w.Order}");
        }
    }
}
