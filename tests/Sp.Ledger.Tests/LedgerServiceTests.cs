using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.Service;
using Sp.Ledger.State;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>
/// The sequencer over a real store: submissions, refusals, the start-up replay and its detection of rows changed
/// behind the node's back. Each suite runs on SQLite and on PostgreSQL (the derived classes at the end).
/// </summary>
public sealed class LedgerServiceTests(TestStore store) : IDisposable
{
    private readonly TestStore _store = store;
    private readonly TimeProvider _clock = TestClock.Stepping(MachineLedger.StartTime + 1000, 1000);

    public void Dispose() => _store.Dispose();

    private long Height()
    {
        using var s = _store.Open();
        return s.Count;
    }

    private LedgerService Open() => new(_store.Open(), TestKit.Network, _clock, teeCertificates: TestKit.FakeTeeCertificates);

    /// <summary>Runs the guide's flow on a service over the temp database; returns the final digest and height.</summary>
    private (string Digest, long Height, long Order) RunGuide()
    {
        using var service = Open();
        using var sc = new Scenario(new ServiceLedger(service));
        var w = sc.UpToWorkflow();
        sc.Refused(sc.Bob, new OrderComplete(w.Sub, OrderStatus.Done, TestKit.OtherHash, "s"), "solution hash mismatch");
        sc.Complete(w.Sub);
        sc.Start(w.Order);
        sc.Ok(sc.Tee, new OrderReportPublish(w.Order, TestKit.Report(w.Order)));
        sc.Ok(sc.Tee, new OrderFinish(w.Order, OrderStatus.Done, "sealed-result", ""));
        Assert.Equal(OrderStatus.Done, sc.Status(w.Order));
        return (service.StateDigest(), service.Height, w.Order);
    }

    public abstract class TheSubmitMethod(TestStore store) : IDisposable
    {
        private readonly LedgerServiceTests _t = new(store);
        private readonly AccountKey _alice = AccountKey.Generate();
        private readonly AccountKey _bob = AccountKey.Generate();

        public void Dispose()
        {
            _alice.Dispose();
            _bob.Dispose();
            _t.Dispose();
        }

        [Fact]
        public void Returns_seq_and_hash_of_the_persisted_entry()
        {
            using var service = _t.Open();
            var ledger = new ServiceLedger(service);
            var o = ledger.Send(_alice, new ProviderCreate("a", "d"));
            Assert.True(o.Accepted, o.Error);
            Assert.Equal(1, o.Seq);
            Assert.Equal(service.Read(s => s.LastHash), o.Hash);
            Assert.Equal(1, service.Height);
        }

        [Fact]
        public void A_bad_signature_is_refused_naming_both_addresses()
        {
            using var service = _t.Open();
            var tx = Transaction.Create(TestKit.Network, _alice.Address, 0, new ProviderCreate("a", "d"));
            var forged = SignedTransaction.Sign(tx, _bob);
            var before = service.StateDigest();
            var o = service.Submit(forged);
            Assert.Equal($"bad signature: recovers to {_bob.Address.Lower}, expected {_alice.Address.Lower}", o.Error);
            Assert.Equal(0, service.Height);
            Assert.Equal(before, service.StateDigest());

            var garbled = service.Submit(SignedTransaction.Sign(tx, _alice) with { Signature = "0x1234" });
            Assert.StartsWith("bad signature: signature: expected 130 hex digits", garbled.Error);
        }

        [Fact]
        public void A_payload_changed_after_signing_is_refused()
        {
            using var service = _t.Open();
            var signed = SignedTransaction.Sign(
                Transaction.Create(TestKit.Network, _alice.Address, 0, new ProviderCreate("a", "d")), _alice);
            var altered = signed with { Tx = signed.Tx with { Payload = new ProviderCreate("evil", "") } };
            Assert.StartsWith("bad signature: recovers to ", service.Submit(altered).Error);
        }

        [Fact]
        public void The_same_signed_transaction_is_accepted_only_once()
        {
            using var service = _t.Open();
            var ledger = new ServiceLedger(service);
            var tx = ledger.Sign(_alice, new ProviderCreate("a", "d"));
            Assert.True(service.Submit(tx).Accepted);
            var again = service.Submit(tx);
            Assert.False(again.Accepted);
            Assert.Contains("nonce 0 of " + _alice.Address.Lower + " was already used", again.Error);
            Assert.Equal(1, service.Height);
        }

        [Fact]
        public void A_transaction_for_another_network_is_refused()
        {
            using var service = _t.Open();
            var ledger = new ServiceLedger(service);
            var o = service.Submit(ledger.Sign(_alice, new ProviderCreate("a", "d"), network: "other"));
            Assert.Equal($"wrong network: the transaction is for 'other', this ledger is '{TestKit.Network}'", o.Error);
        }

        [Fact]
        public void Entry_time_never_goes_backwards_even_if_the_clock_does()
        {
            var clock = new Queue<long>([5000, 3000, 7000]);
            using var service = new LedgerService(_t._store.Open(), TestKit.Network, new SequenceClock(clock), teeCertificates: TestKit.FakeTeeCertificates);
            var ledger = new ServiceLedger(service);
            ledger.Send(_alice, new ProviderCreate("a", "d"));
            ledger.Send(_bob, new ProviderCreate("b", "d"));
            using var carol = AccountKey.Generate();
            ledger.Send(carol, new ProviderCreate("c", "d"));
            var created = service.Read(s => s.Providers.Values.OrderBy(p => p.Created).Select(p => p.Created).ToList());
            Assert.Equal([5000L, 5000L, 7000L], created);
        }

        [Fact]
        public void Committed_is_raised_for_accepted_entries_only()
        {
            using var service = _t.Open();
            var seen = new List<(long Seq, bool Accepted)>();
            service.Committed += (e, o) => seen.Add((e.Seq, o.Accepted));
            var ledger = new ServiceLedger(service);
            ledger.Send(_alice, new ProviderUpdate("a", "d")); // refused
            ledger.Send(_alice, new ProviderCreate("a", "d"));
            Assert.Equal([(1L, true)], seen);
        }

        [Fact]
        public void Concurrent_submissions_are_all_sequenced_without_gaps()
        {
            const int Accounts = 8, TxPerAccount = 10;
            var keys = Enumerable.Range(0, Accounts).Select(_ => AccountKey.Generate()).ToList();
            string digest;
            using (var service = _t.Open())
            {
                var ledger = new ServiceLedger(service);
                Parallel.ForEach(keys, new ParallelOptions { MaxDegreeOfParallelism = 4 }, key =>
                {
                    Assert.True(ledger.Send(key, new ProviderCreate("p", "d")).Accepted);
                    for (var i = 1; i < TxPerAccount; i++)
                        Assert.True(ledger.Send(key, new ProviderUpdate($"p{i}", "d")).Accepted);
                });
                Assert.Equal(Accounts * TxPerAccount, service.Height);
                digest = service.StateDigest();
            }
            using var reopened = _t.Open();
            Assert.Equal(digest, reopened.StateDigest());
            foreach (var k in keys) k.Dispose();
        }
    }

    public abstract class TheStartUpReplay(TestStore store) : IDisposable
    {
        private readonly LedgerServiceTests _t = new(store);

        public void Dispose() => _t.Dispose();

        [Fact]
        public void Reproduces_the_same_state_digest()
        {
            var (digest, height, order) = _t.RunGuide();
            using var service = _t.Open();
            Assert.Equal(height, service.Height);
            Assert.Equal(digest, service.StateDigest());
            Assert.Equal(OrderStatus.Done, service.Read(s => s.Orders[order].Status));
        }

        [Fact]
        public void Replay_through_the_bare_machine_gives_the_same_digest()
        {
            var (digest, _, _) = _t.RunGuide();
            var state = new MarketState { Network = TestKit.Network, TeeCertificates = TestKit.FakeTeeCertificates };
            using var store = _t._store.Open();
            foreach (var e in store.ReadAll()) Assert.True(MarketMachine.Apply(state, e).Accepted);
            Assert.Equal(digest, LedgerService.ComputeDigest(state));
        }

        [Fact]
        public void Continues_the_chain_after_a_restart()
        {
            var (_, height, _) = _t.RunGuide();
            using var key = AccountKey.Generate();
            using (var service = _t.Open())
            {
                var o = new ServiceLedger(service).Send(key, new ProviderCreate("late", "d"));
                Assert.Equal(height + 1, o.Seq);
            }
            using var again = _t.Open();
            Assert.Equal(height + 1, again.Height);
        }

        [Fact]
        public void A_body_altered_behind_the_service_is_detected_naming_the_entry()
        {
            var (_, finishSeq, _) = _t.RunGuide(); // order.finish is the last entry
            _t._store.Tamper($"UPDATE ledger SET body = replace(body, 'sealed-result', 'sealed-other') WHERE seq = {finishSeq};");
            var e = Assert.Throws<LedgerCorruptedException>(() => _t.Open());
            Assert.Equal(finishSeq, e.Seq);
            Assert.Contains("does not match its content", e.Message);
        }

        [Fact]
        public void A_body_altered_with_its_hash_recomputed_fails_the_signature()
        {
            _t.RunGuide();
            using (var store = _t._store.Open())
            {
                var last = store.ReadAll().Last();
                var forged = last with
                {
                    Signed = last.Signed with
                    {
                        Tx = last.Signed.Tx with { Payload = Assert.IsType<OrderFinish>(last.Signed.Tx.Payload) with { Message = "forged" } },
                    },
                };
                forged = forged.WithHash();
                var body = System.Text.Json.JsonSerializer.Serialize(forged.Signed, Sp.Core.Json.SpJson.Options).Replace("'", "''");
                store.Dispose();
                _t._store.Tamper($"UPDATE ledger SET body = '{body}', hash = '{forged.Hash}' WHERE seq = {last.Seq};");
            }
            var e = Assert.Throws<LedgerCorruptedException>(() => _t.Open());
            Assert.Equal(_t.Height(), e.Seq);
            Assert.Contains("bad signature", e.Message);
        }

        [Fact]
        public void A_changed_hash_breaks_the_next_link()
        {
            _t.RunGuide();
            _t._store.Tamper($"UPDATE ledger SET hash = '{TestKit.OtherHash}' WHERE seq = 4;");
            var e = Assert.Throws<LedgerCorruptedException>(() => _t.Open());
            Assert.Equal(4, e.Seq);
        }

        [Fact]
        public void A_deleted_entry_is_detected()
        {
            _t.RunGuide();
            _t._store.Tamper("DELETE FROM ledger WHERE seq = 5;");
            var e = Assert.Throws<LedgerCorruptedException>(() => _t.Open());
            Assert.Equal(5, e.Seq);
            Assert.Contains("missing entry", e.Message);
        }

        [Fact]
        public void A_body_that_is_no_longer_JSON_is_detected()
        {
            _t.RunGuide();
            _t._store.Tamper("UPDATE ledger SET body = '{not json' WHERE seq = 3;");
            var e = Assert.Throws<LedgerCorruptedException>(() => _t.Open());
            Assert.Equal(3, e.Seq);
            Assert.Contains("body is not a signed transaction", e.Message);
        }

        [Fact]
        public void A_changed_time_is_detected()
        {
            _t.RunGuide();
            _t._store.Tamper("UPDATE ledger SET time = time + 1 WHERE seq = 2;");
            Assert.Equal(2, Assert.Throws<LedgerCorruptedException>(() => _t.Open()).Seq);
        }

        [Fact]
        public void A_ledger_of_another_network_does_not_replay()
        {
            _t.RunGuide();
            var e = Assert.Throws<LedgerCorruptedException>(() => new LedgerService(_t._store.Open(), "other", TestClock.At(0), teeCertificates: TestKit.FakeTeeCertificates));
            Assert.Equal(1, e.Seq);
            Assert.Contains("wrong network", e.Message);
        }
    }

    public sealed class TheStorageFailurePath
    {
        /// <summary>A store whose next append can be made to fail.</summary>
        private sealed class FlakyStore : ILedgerStore
        {
            private readonly List<LedgerEntry> _entries = [];
            public bool Fail { get; set; }
            public long Count => _entries.Count;
            public IEnumerable<LedgerEntry> ReadAll() => _entries.ToList();
            public LedgerEntry? Last() => _entries.LastOrDefault();
            public void Append(LedgerEntry entry) => AppendBatch([entry]);
            public void AppendBatch(IReadOnlyList<LedgerEntry> entries)
            {
                if (Fail) throw new IOException("disk full");
                _entries.AddRange(entries);
            }
            public void Dispose() { }
        }

        [Fact]
        public void A_failed_write_leaves_the_state_unchanged_and_the_seq_free()
        {
            var store = new FlakyStore();
            using var service = new LedgerService(store, TestKit.Network, TestClock.Stepping(1001, 1), teeCertificates: TestKit.FakeTeeCertificates);
            using var key = AccountKey.Generate();
            var ledger = new ServiceLedger(service);
            Assert.True(ledger.Send(key, new ProviderCreate("a", "d")).Accepted);
            var before = service.StateDigest();

            store.Fail = true;
            var e = Assert.Throws<LedgerStorageException>(() => ledger.Send(key, new ProviderUpdate("b", "d")));
            Assert.Equal(2, e.Seq);
            Assert.Contains("disk full", e.Message);
            Assert.Equal(before, service.StateDigest());
            Assert.Equal(1, service.Read(s => s.NextNonce(key.Address.Lower)));

            store.Fail = false;
            var retry = ledger.Send(key, new ProviderUpdate("b", "d"));
            Assert.Equal(2, retry.Seq);
            Assert.Equal("b", service.Read(s => s.Providers[key.Address.Lower].Name));
        }
    }
}

public sealed class SqliteSubmitTests() : LedgerServiceTests.TheSubmitMethod(new SqliteTestStore());

[Collection("postgres")]
public sealed class PostgresSubmitTests(PostgresCluster cluster) : LedgerServiceTests.TheSubmitMethod(new PostgresTestStore(cluster));

public sealed class SqliteStartUpReplayTests() : LedgerServiceTests.TheStartUpReplay(new SqliteTestStore());

[Collection("postgres")]
public sealed class PostgresStartUpReplayTests(PostgresCluster cluster) : LedgerServiceTests.TheStartUpReplay(new PostgresTestStore(cluster));
