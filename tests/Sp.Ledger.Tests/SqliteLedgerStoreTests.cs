using Microsoft.Data.Sqlite;
using Sp.Crypto.Accounts;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

public sealed class SqliteLedgerStoreTests : IDisposable
{
    private readonly TempDb _tmp = new();
    private readonly AccountKey _key = AccountKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _tmp.Dispose();
    }

    private List<LedgerEntry> Chain(int n, long firstSeq = 1, string prev = LedgerEntry.GenesisPrevHash)
    {
        var list = new List<LedgerEntry>();
        for (var i = 0; i < n; i++)
        {
            var tx = Transaction.Create(TestKit.Network, _key.Address, firstSeq - 1 + i, new ProviderUpdate($"name {i}", "d"));
            var e = new LedgerEntry { Seq = firstSeq + i, Time = 1000 + i, PrevHash = prev, Signed = SignedTransaction.Sign(tx, _key) }.WithHash();
            list.Add(e);
            prev = e.Hash;
        }
        return list;
    }

    [Fact]
    public void Entries_round_trip_and_their_hashes_still_verify()
    {
        var chain = Chain(3);
        using (var store = new SqliteLedgerStore(_tmp.Path))
        {
            Assert.Equal(0, store.Count);
            Assert.Null(store.Last());
            store.Append(chain[0]);
            store.AppendBatch(chain.Skip(1).ToList());
            Assert.Equal(3, store.Count);
        }
        using var reopened = new SqliteLedgerStore(_tmp.Path);
        Assert.Equal(3, reopened.Count);
        var read = reopened.ReadAll().ToList();
        Assert.Equal(chain.Select(e => e.Hash), read.Select(e => e.Hash));
        Assert.All(read, e => Assert.Equal(e.Hash, e.ComputeHash()));
        Assert.All(read, e => Assert.True(e.Signed.VerifySignature()));
        Assert.Equal(chain[2].Hash, reopened.Last()!.Hash);
        Assert.Equal(chain[1].PrevHash, read[1].PrevHash);
        Assert.Equal(chain[1].Time, read[1].Time);
    }

    [Fact]
    public void ReadAll_pages_through_more_than_one_page()
    {
        var chain = Chain(2500);
        using var store = new SqliteLedgerStore(_tmp.Path);
        store.AppendBatch(chain);
        Assert.Equal(Enumerable.Range(1, 2500).Select(i => (long)i), store.ReadAll().Select(e => e.Seq));
    }

    [Fact]
    public void A_gap_or_a_duplicate_seq_is_refused()
    {
        var chain = Chain(3);
        using var store = new SqliteLedgerStore(_tmp.Path);
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
        using var store = new SqliteLedgerStore(_tmp.Path);
        Assert.Throws<InvalidOperationException>(() => store.AppendBatch([chain[0], chain[2]]));
        Assert.Equal(0, store.Count);
        Assert.Empty(store.ReadAll());
    }

    [Fact]
    public void The_table_refuses_update_and_delete()
    {
        using (var store = new SqliteLedgerStore(_tmp.Path)) store.AppendBatch(Chain(2));
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _tmp.Path, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "UPDATE ledger SET time = 5 WHERE seq = 1;";
        Assert.Contains("append-only", Assert.Throws<SqliteException>(() => cmd.ExecuteNonQuery()).Message);
        cmd.CommandText = "DELETE FROM ledger WHERE seq = 2;";
        Assert.Contains("append-only", Assert.Throws<SqliteException>(() => cmd.ExecuteNonQuery()).Message);
    }

    [Fact]
    public void The_database_is_in_WAL_mode_with_full_sync()
    {
        using var store = new SqliteLedgerStore(_tmp.Path);
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _tmp.Path, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string)cmd.ExecuteScalar()!);
    }
}
