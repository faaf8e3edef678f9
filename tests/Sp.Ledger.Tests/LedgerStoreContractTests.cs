using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>
/// The contract every <see cref="ILedgerStore"/> keeps, run against SQLite and PostgreSQL alike: durable round trip,
/// paging, range reads, no gaps, atomic batches, append-only, and the service's and the log's detection of rows
/// changed behind the store's back.
/// </summary>
public abstract class LedgerStoreContractTests : IDisposable
{
    private readonly AccountKey _key = AccountKey.Generate();

    /// <summary>Opens the store under test (the same one each time, as a restart would).</summary>
    protected abstract ILedgerStore Open();

    /// <summary>Runs SQL on the database directly, with the append-only triggers out of the way.</summary>
    protected abstract void Tamper(string sql);

    public virtual void Dispose() => _key.Dispose();

    private List<LedgerEntry> Chain(int n, long firstSeq = 1, string prev = LedgerEntry.GenesisPrevHash)
    {
        var list = new List<LedgerEntry>();
        for (var i = 0; i < n; i++)
        {
            var tx = firstSeq + i == 1
                ? Transaction.Create(TestKit.Network, _key.Address, 0, new ProviderCreate("name", "d"))
                : Transaction.Create(TestKit.Network, _key.Address, firstSeq - 1 + i, new ProviderUpdate($"name {firstSeq + i}", "d"));
            var e = new LedgerEntry { Seq = firstSeq + i, Time = 1000 + firstSeq + i, PrevHash = prev, Signed = SignedTransaction.Sign(tx, _key) }.WithHash();
            list.Add(e);
            prev = e.Hash;
        }
        return list;
    }

    [Fact]
    public void Entries_round_trip_across_a_reopen()
    {
        var chain = Chain(3);
        using (var store = Open())
        {
            Assert.Equal(0, store.Count);
            Assert.Null(store.Last());
            store.Append(chain[0]);
            store.AppendBatch(chain.Skip(1).ToList());
            Assert.Equal(3, store.Count);
        }
        using var reopened = Open();
        Assert.Equal(3, reopened.Count);
        var read = reopened.ReadAll().ToList();
        Assert.Equal(chain.Select(e => e.Hash), read.Select(e => e.Hash));
        Assert.All(read, e => Assert.Equal(e.Hash, e.ComputeHash()));
        Assert.All(read, e => Assert.True(e.Signed.VerifySignature()));
        Assert.Equal(chain[2].Hash, reopened.Last()!.Hash);
        Assert.Equal(chain.Select(LogEntryCodec.Encode).SelectMany(b => b), read.Select(LogEntryCodec.Encode).SelectMany(b => b));
    }

    [Fact]
    public void ReadAll_pages_and_ReadRange_reads_exactly_the_range()
    {
        var chain = Chain(1300);
        using var store = Open();
        store.AppendBatch(chain);
        Assert.Equal(Enumerable.Range(1, 1300).Select(i => (long)i), store.ReadAll().Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(257, 256).Select(i => (long)i), store.ReadRange(257, 256).Select(e => e.Seq));
        Assert.Equal([1299L, 1300L], store.ReadRange(1299, 256).Select(e => e.Seq));
        Assert.Empty(store.ReadRange(1301, 10));
    }

    [Fact]
    public void A_gap_or_a_duplicate_seq_is_refused()
    {
        var chain = Chain(3);
        using var store = Open();
        store.Append(chain[0]);
        var gap = Assert.Throws<InvalidOperationException>(() => store.Append(chain[2]));
        Assert.Contains("append seq 3, expected 2", gap.Message);
        Assert.Throws<InvalidOperationException>(() => store.Append(chain[0]));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void A_batch_is_all_or_nothing()
    {
        var chain = Chain(3);
        using (var store = Open())
        {
            store.Append(chain[0]);
            var bad = new List<LedgerEntry> { chain[1], chain[2] with { Seq = 7 } };
            Assert.Throws<InvalidOperationException>(() => store.AppendBatch(bad));
            Assert.Equal(1, store.Count);
        }
        using var reopened = Open();
        Assert.Equal(1, reopened.Count);
        Assert.Single(reopened.ReadAll());
    }

    [Fact]
    public void The_service_replays_what_the_store_holds_and_the_log_tree_follows()
    {
        var clock = TestClock.Stepping(5010, 10);
        var key2 = AccountKey.Generate();
        string digest;
        NodeHashText root;
        using (var service = new LedgerService(Open(), TestKit.Network, clock, teeCertificates: TestKit.FakeTeeCertificates))
        {
            var log = new MerkleLog();
            service.Committed += (e, _) => log.AppendEntry(LogEntryCodec.Encode(e));
            var ledger = new ServiceLedger(service);
            Assert.True(ledger.Send(_key, new ProviderCreate("a", "d")).Accepted);
            Assert.True(ledger.Send(key2, new ProviderCreate("b", "d")).Accepted);
            Assert.True(ledger.Send(_key, new ProviderUpdate("a2", "d")).Accepted);
            digest = service.StateDigest();
            root = new NodeHashText(log.Root.ToBase64(), log.Size);
        }
        var replayedLog = new MerkleLog();
        using (var again = new LedgerService(Open(), TestKit.Network, clock, e => replayedLog.AppendEntry(LogEntryCodec.Encode(e)), teeCertificates: TestKit.FakeTeeCertificates))
        {
            Assert.Equal(digest, again.StateDigest());
            Assert.Equal(root, new NodeHashText(replayedLog.Root.ToBase64(), replayedLog.Size));
        }
        key2.Dispose();
    }

    private sealed record NodeHashText(string Root, long Size);

    [Fact]
    public void Update_and_delete_are_refused_by_the_database()
    {
        using var store = Open();
        store.AppendBatch(Chain(2));
        store.Dispose();
        var update = Record.Exception(() => RunSqlKeepingTriggers("UPDATE ledger SET time = 1 WHERE seq = 1;"));
        Assert.NotNull(update);
        Assert.Contains("append-only", update!.Message);
        var delete = Record.Exception(() => RunSqlKeepingTriggers("DELETE FROM ledger WHERE seq = 2;"));
        Assert.NotNull(delete);
        using var reopened = Open();
        Assert.Equal(2, reopened.Count);
    }

    /// <summary>Runs SQL with the store's triggers in place.</summary>
    protected abstract void RunSqlKeepingTriggers(string sql);

    [Fact]
    public void A_body_altered_behind_the_store_is_detected_at_start_up_naming_the_entry()
    {
        using (var store = Open()) store.AppendBatch(Chain(4));
        Tamper("UPDATE ledger SET body = replace(body, 'name 3', 'name X') WHERE seq = 3;");
        var e = Assert.Throws<LedgerCorruptedException>(() => new LedgerService(Open(), TestKit.Network, TestClock.At(0), teeCertificates: TestKit.FakeTeeCertificates));
        Assert.Equal(3, e.Seq);
    }

    [Fact]
    public void Deleted_last_entries_are_detected_by_the_log_against_its_signed_checkpoint()
    {
        var dir = Directory.CreateTempSubdirectory("sp-log-contract-").FullName;
        try
        {
            var signer = Sp.Tlog.NoteSigner.Generate("test.local/log");
            var checkpointPath = Path.Combine(dir, "checkpoint");
            using (var store = Open())
            {
                store.AppendBatch(Chain(5));
                var log = new TransparencyLog(signer, checkpointPath, store);
                foreach (var e in store.ReadAll()) log.Append(e);
                Assert.Equal(5, log.CurrentCheckpoint().Checkpoint.TreeSize);
            }
            Tamper("DELETE FROM ledger WHERE seq >= 4;");
            using var truncated = Open();
            Assert.Equal(3, truncated.Count);
            var again = new TransparencyLog(signer, checkpointPath, truncated);
            using (var service = new LedgerService(truncated, TestKit.Network, TestClock.At(0), again.Append, teeCertificates: TestKit.FakeTeeCertificates))
            {
                // The hash chain of the remaining prefix is intact: only the signed checkpoint shows the loss.
                var ex = Assert.Throws<LogConsistencyException>(again.CheckAgainstLatest);
                Assert.Contains("holds 3 entries but checkpoint 5 was signed", ex.Message);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public sealed class SqliteStoreContractTests : LedgerStoreContractTests
{
    private readonly TempDb _db = new();

    protected override ILedgerStore Open() => new SqliteLedgerStore(_db.Path);

    protected override void Tamper(string sql) => _db.Tamper(sql);

    protected override void RunSqlKeepingTriggers(string sql)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = _db.Path, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public override void Dispose()
    {
        base.Dispose();
        _db.Dispose();
    }
}

[Collection("postgres")]
public sealed class PostgresStoreContractTests(PostgresCluster cluster) : LedgerStoreContractTests
{
    private readonly string _connection = cluster.CreateDatabase();

    protected override ILedgerStore Open() => new NpgsqlLedgerStore(_connection);

    protected override void Tamper(string sql) =>
        PostgresCluster.Execute(_connection, "ALTER TABLE ledger DISABLE TRIGGER USER; " + sql + " ALTER TABLE ledger ENABLE TRIGGER USER;");

    protected override void RunSqlKeepingTriggers(string sql) => PostgresCluster.Execute(_connection, sql);

    [Fact]
    public void A_second_writer_on_the_same_database_is_refused_but_a_reader_is_not()
    {
        using var writer = Open();
        var e = Assert.Throws<InvalidOperationException>(() => new NpgsqlLedgerStore(_connection));
        Assert.Contains("writer lock", e.Message);
        using var reader = new NpgsqlLedgerStore(_connection, readOnly: true);
        Assert.Equal(0, reader.Count);
        Assert.Throws<InvalidOperationException>(() => reader.Append(new LedgerEntry { Seq = 1, Time = 1, PrevHash = LedgerEntry.GenesisPrevHash, Signed = null!, Hash = "x" }));
    }
}
