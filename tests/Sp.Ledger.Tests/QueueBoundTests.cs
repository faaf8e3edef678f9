using Sp.Crypto.Accounts;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

using Sp.Testing;

namespace Sp.Ledger.Tests;

/// <summary>The sequencer's queue is bounded: past <see cref="LedgerService.QueueLimit"/> a submission is refused at once, unqueued.</summary>
public sealed class QueueBoundTests : IDisposable
{
    private readonly TempDb _db = new();

    [Fact]
    public async Task Past_the_queue_limit_a_submission_is_refused_unqueued_and_the_same_transaction_is_accepted_later()
    {
        var store = new GatedStore(new SqliteLedgerStore(_db.Path));
        using var service = new LedgerService(store, TestKit.Network, TestClock.Stepping(2, 1)) { QueueLimit = 2 };
        var keys = Enumerable.Range(0, 4).Select(_ => AccountKey.Generate()).ToArray();
        var txs = keys.Select(k => SignedTransaction.Sign(Transaction.Create(TestKit.Network, k.Address, 0, new ProviderCreate("p", "d")), k)).ToArray();

        // The first is taken by the sequencer, whose write waits at the gate; two more fill the queue.
        var first = service.SubmitAsync(txs[0]);
        while (Volatile.Read(ref store.Waiting) == 0) await Task.Delay(10);
        var queued = new[] { service.SubmitAsync(txs[1]), service.SubmitAsync(txs[2]) };
        Assert.Equal(2, service.Queued);

        var full = Assert.Throws<LedgerQueueFullException>(() => { _ = service.SubmitAsync(txs[3]); });
        Assert.Equal(2, full.Limit);
        Assert.Equal(2, service.Queued); // the refused one took no place

        store.Open();
        var outcomes = await Task.WhenAll(queued.Prepend(first));
        Assert.All(outcomes, o => Assert.True(o.Accepted, o.Error));
        var again = await service.SubmitAsync(txs[3]); // the same signed transaction, now that there is room
        Assert.True(again.Accepted, again.Error);
        Assert.Equal(4, service.Height);
        Assert.Equal(4, store.Count);
    }

    [Fact]
    public void A_queue_limit_must_be_positive()
    {
        using var service = new LedgerService(new SqliteLedgerStore(_db.Path), TestKit.Network, TestClock.At(1));
        Assert.Equal(LedgerService.DefaultQueueLimit, service.QueueLimit);
        Assert.Throws<ArgumentOutOfRangeException>(() => service.QueueLimit = 0);
    }

    public void Dispose() => _db.Dispose();
}
