using Sp.Crypto.Accounts;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>Group commit over a real store; runs on SQLite and on PostgreSQL (derived classes below).</summary>
public abstract class GroupCommitTests(TestStore db) : IDisposable
{
    private readonly TestStore _db = db;

    public void Dispose()
    {
        _db.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Counts the durable writes of a real store and checks each batch is contiguous.</summary>
    private sealed class CountingStore(ILedgerStore inner) : ILedgerStore
    {
        public int Writes;
        public int LargestBatch;
        public long Count => inner.Count;
        public IEnumerable<LedgerEntry> ReadAll() => inner.ReadAll();
        public LedgerEntry? Last() => inner.Last();
        public void Append(LedgerEntry entry) => AppendBatch([entry]);
        public void AppendBatch(IReadOnlyList<LedgerEntry> entries)
        {
            inner.AppendBatch(entries);
            Interlocked.Increment(ref Writes);
            LargestBatch = Math.Max(LargestBatch, entries.Count);
        }
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task Concurrent_submitters_share_durable_writes_and_every_answer_is_on_disk_when_given()
    {
        const int accounts = 16, perAccount = 40;
        var counting = new CountingStore(_db.Open());
        using var service = new LedgerService(counting, TestKit.Network, TestClock.Stepping(2, 1), teeCertificates: TestKit.FakeTeeCertificates);
        var keys = Enumerable.Range(0, accounts).Select(_ => AccountKey.Generate()).ToArray();
        // Pre-signed, so the submitters only submit.
        var txs = keys.Select(k => Enumerable.Range(0, perAccount).Select(n => SignedTransaction.Sign(n == 0
            ? Transaction.Create(TestKit.Network, k.Address, 0, new ProviderCreate("p", "d"))
            : Transaction.Create(TestKit.Network, k.Address, n, new ProviderUpdate($"n{n}", "d")), k)).ToArray()).ToArray();
        var notDurable = 0;
        var outcomes = await Task.WhenAll(txs.Select(list => Task.Run(async () =>
        {
            var seqs = new List<long>();
            foreach (var tx in list)
            {
                var o = await service.SubmitAsync(tx);
                Assert.True(o.Accepted, o.Error);
                // Acknowledged means durable: the store already holds the entry.
                if (counting.Count < o.Seq) Interlocked.Increment(ref notDurable);
                seqs.Add(o.Seq!.Value);
            }
            return seqs;
        })));
        Assert.Equal(0, notDurable);
        Assert.Equal(Enumerable.Range(1, accounts * perAccount).Select(i => (long)i), outcomes.SelectMany(s => s).Order());
        Assert.Equal(accounts * perAccount, service.Height);
        Assert.True(counting.Writes < accounts * perAccount, $"{counting.Writes} writes for {accounts * perAccount} transactions: no batching happened");
        Assert.True(counting.LargestBatch > 1);
        foreach (var k in keys) k.Dispose();
    }

    [Fact]
    public async Task A_refused_transaction_in_a_batch_does_not_hold_back_the_others_and_uses_no_seq()
    {
        using var service = new LedgerService(_db.Open(), TestKit.Network, TestClock.At(5), teeCertificates: TestKit.FakeTeeCertificates);
        using var a = AccountKey.Generate();
        using var b = AccountKey.Generate();
        var create = SignedTransaction.Sign(Transaction.Create(TestKit.Network, a.Address, 0, new ProviderCreate("a", "d")), a);
        var replay = create; // the same nonce again: refused
        var other = SignedTransaction.Sign(Transaction.Create(TestKit.Network, b.Address, 0, new ProviderCreate("b", "d")), b);
        var results = await Task.WhenAll(service.SubmitAsync(create), service.SubmitAsync(replay), service.SubmitAsync(other));
        Assert.Equal(2, results.Count(r => r.Accepted));
        Assert.Single(results, r => !r.Accepted && r.Error!.Contains("nonce"));
        Assert.Equal([1L, 2L], results.Where(r => r.Accepted).Select(r => r.Seq!.Value).Order());
    }

    [Fact]
    public void Dispose_answers_what_was_queued_and_refuses_what_comes_after()
    {
        var service = new LedgerService(_db.Open(), TestKit.Network, TestClock.At(5), teeCertificates: TestKit.FakeTeeCertificates);
        using var a = AccountKey.Generate();
        var task = service.SubmitAsync(SignedTransaction.Sign(Transaction.Create(TestKit.Network, a.Address, 0, new ProviderCreate("a", "d")), a));
        service.Dispose();
        Assert.True(task.IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => service.Submit(SignedTransaction.Sign(Transaction.Create(TestKit.Network, a.Address, 1, new ProviderUpdate("a", "d")), a)));
    }
}

public sealed class SqliteGroupCommitTests() : GroupCommitTests(new SqliteTestStore());

[Collection("postgres")]
public sealed class PostgresGroupCommitTests(PostgresCluster cluster) : GroupCommitTests(new PostgresTestStore(cluster));
