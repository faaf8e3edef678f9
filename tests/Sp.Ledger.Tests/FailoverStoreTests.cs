using Sp.Crypto.Accounts;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>
/// Two ledger services on one PostgreSQL database, as two sp-node processes in fail-over mode: one leads (holds the
/// sequencer lease), the other follows; a deposed leader — its session lost, or its fencing token superseded while
/// its session lives — can never append again.
/// </summary>
[Collection("postgres")]
public sealed class FailoverStoreTests(PostgresCluster cluster) : IDisposable
{
    private readonly AccountKey _key = AccountKey.Generate();

    public void Dispose() => _key.Dispose();

    private SignedTransaction Tx(long nonce) => SignedTransaction.Sign(nonce == 0
        ? Transaction.Create("failover", _key.Address, 0, new ProviderCreate("p", "d"))
        : Transaction.Create("failover", _key.Address, nonce, new ProviderUpdate($"n{nonce}", "d")), _key);

    private static LedgerService Candidate(string connection) =>
        new(new NpgsqlLedgerStore(connection, candidate: true), "failover", TimeProvider.System);

    private static long Rows(string connection)
    {
        using var reader = new NpgsqlLedgerStore(connection, readOnly: true);
        return reader.Count;
    }

    [Fact]
    public async Task A_follower_tails_the_leader_and_takes_over_when_its_session_is_lost_and_the_deposed_leader_appends_nothing()
    {
        var connection = cluster.CreateDatabase();
        using var a = Candidate(connection);
        using var b = Candidate(connection);
        Assert.True(a.Following);
        Assert.True(a.TryLead("http://a"));
        Assert.False(b.TryLead("http://b"));
        Assert.Equal((1L, "http://a"), b.ReadLease());
        Assert.Throws<LedgerNotLeaderException>(() => b.Submit(Tx(0)));

        for (var n = 0; n < 5; n++) Assert.True((await a.SubmitAsync(Tx(n))).Accepted);
        Assert.Equal(5, b.CatchUp());
        Assert.Equal(a.StateDigest(), b.StateDigest());

        Exception? lost = null;
        a.LeaseLost += e => lost = e;
        // The leader's session dies (as when its process is killed or its network is cut): so does its advisory lock.
        PostgresCluster.Execute(connection, "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted;");
        Assert.True(SpinWait.SpinUntil(() => b.TryLead("http://b"), TimeSpan.FromSeconds(10)));
        Assert.False(b.Following);
        Assert.Equal((2L, "http://b"), b.ReadLease());
        Assert.Equal(6, (await b.SubmitAsync(Tx(5))).Seq);

        // The deposed leader still believes it leads: its append fails, it reports the lost lease, refuses everything after.
        var refused = await Assert.ThrowsAsync<LedgerStorageException>(() => a.SubmitAsync(Tx(5)));
        Assert.IsType<LedgerLeaseLostException>(refused.InnerException);
        Assert.NotNull(lost);
        Assert.Throws<LedgerLeaseLostException>(a.StateDigest);
        Assert.Equal(6, Rows(connection));
    }

    [Fact]
    public async Task A_leader_whose_fencing_token_was_superseded_appends_nothing_though_its_session_lives()
    {
        var connection = cluster.CreateDatabase();
        using var a = Candidate(connection);
        Assert.True(a.TryLead("http://a"));
        Assert.True((await a.SubmitAsync(Tx(0))).Accepted);
        // Another writer's token (e.g. after an operator released the lock by hand): the next append checks it in its transaction.
        PostgresCluster.Execute(connection, "UPDATE ledger_lease SET epoch = epoch + 1, leader_url = 'http://elsewhere' WHERE id = 1;");
        var refused = await Assert.ThrowsAsync<LedgerStorageException>(() => a.SubmitAsync(Tx(1)));
        Assert.Contains("fencing token 1 was superseded by 2", refused.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal(1, Rows(connection));
        // And the watchdog's check says so even when nothing is submitted.
        using var c = Candidate(connection);
        PostgresCluster.Execute(connection, "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted;");
        Assert.True(SpinWait.SpinUntil(() => c.TryLead("http://c"), TimeSpan.FromSeconds(10)));
        Assert.Equal(1, c.Height);
    }

    [Fact]
    public void A_single_writer_store_takes_a_fencing_token_too_and_a_second_writer_is_still_refused()
    {
        var connection = cluster.CreateDatabase();
        using var a = new NpgsqlLedgerStore(connection);
        Assert.True(a.IsWriter);
        Assert.Equal(1, a.Epoch);
        var e = Assert.Throws<InvalidOperationException>(() => new NpgsqlLedgerStore(connection));
        Assert.Contains("another process holds its writer lock", e.Message, StringComparison.Ordinal);
        using var candidate = new NpgsqlLedgerStore(connection, candidate: true);
        Assert.False(candidate.TryAcquireLease("http://b"));
        Assert.Equal((1L, null), candidate.ReadLease());
    }
}
