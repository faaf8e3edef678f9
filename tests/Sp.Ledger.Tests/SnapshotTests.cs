using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;
using Sp.Testing;
using Sp.Tlog;

namespace Sp.Ledger.Tests;

/// <summary>
/// Start-up from a snapshot (docs/ledger.md, "Snapshots"), on SQLite and on PostgreSQL: the history is the stored
/// log of every transaction type (tests/testdata/ledger/every-type.jsonl, so the snapshot holds orders, reports,
/// settlements…) plus provider updates sequenced by the service. Each start is compared with a full replay of the
/// same store: same state digest, same log tree root.
/// </summary>
public abstract class SnapshotTests(TestStore store) : IDisposable
{
    private const string Network = LedgerLogVectorTests.Network;
    protected TestStore Store => store;
    protected NoteSigner LogKey => _logKey;
    private readonly AccountKey _key = AccountKey.Generate();
    /// <summary>The node's log key, which signs its checkpoints and its snapshots.</summary>
    private readonly NoteSigner _logKey = NoteSigner.Generate(LogKeyFile.DefaultOrigin(Network));

    public void Dispose()
    {
        _key.Dispose();
        store.Dispose();
    }

    /// <summary>A service over the test store that keeps <paramref name="tree"/> (as the node's log does).</summary>
    protected LedgerService Open(MerkleLog tree, long every = 1000)
    {
        var service = new LedgerService(store.Open(), Network, TestClock.At(1_900_000_000_000), e => tree.AppendEntry(LogEntryCodec.Encode(e)),
            TestKit.FakeTeeCertificates, new LedgerSnapshotOptions { Every = every, Tree = tree, Key = _logKey });
        service.Committed += (e, _) => tree.AppendEntry(LogEntryCodec.Encode(e));
        return service;
    }

    /// <summary>The digest and tree root of a full replay of the store (snapshots off).</summary>
    protected (string Digest, Tlog.NodeHash Root, long Height) FullReplay()
    {
        var tree = new MerkleLog();
        using var service = Open(tree, every: 0);
        Assert.False(service.Start.SnapshotsOn);
        return (service.StateDigest(), tree.Root, service.Height);
    }

    /// <summary>The stored log of every type (22 entries), then <paramref name="more"/> provider updates through the service.</summary>
    protected void Seed(int more = 0)
    {
        var entries = File.ReadAllLines(Path.Combine(TestDataRoot.Path, "ledger", "every-type.jsonl")).Where(l => l.Length > 0)
            .Select((l, i) => LogEntryCodec.Decode(Encoding.UTF8.GetBytes(l), i)).ToList();
        using (var s = store.Open()) s.AppendBatch(entries);
        if (more > 0) Send(more, every: 0);
    }

    /// <summary>Sends provider transactions of one account through a service with the given snapshot interval.</summary>
    protected void Send(int n, long every)
    {
        using var service = Open(new MerkleLog(), every);
        var ledger = new ServiceLedger(service);
        for (var i = 0; i < n; i++)
        {
            var payload = ledger.NextNonce(_key.Address.Lower) == 0 ? (TxPayload)new ProviderCreate("p", "d") : new ProviderUpdate($"p{i}", "d");
            Assert.True(ledger.Send(_key, payload).Accepted);
        }
    }

    private StoredSnapshot Snapshot()
    {
        using var s = store.OpenReader(); // beside a running service on PostgreSQL
        return ((ILedgerSnapshotStore)s).ReadSnapshot() ?? throw new InvalidOperationException("no snapshot stored");
    }

    private void Replace(StoredSnapshot snapshot)
    {
        using var s = store.Open();
        ((ILedgerSnapshotStore)s).WriteSnapshot(snapshot);
    }

    [Fact]
    public async Task A_snapshot_written_at_shutdown_reads_back_to_the_replayed_state_byte_for_byte()
    {
        Seed();
        var full = FullReplay();
        var tree = new MerkleLog();
        using (var first = Open(tree))
        {
            Assert.Equal(new LedgerStart(22, 0, null, SnapshotsOn: true), first.Start); // none yet
        }
        var stored = Snapshot();
        Assert.Equal(22, stored.Height);
        Assert.Equal(full.Digest, stored.StateDigest);
        var decoded = LedgerSnapshot.Decode(stored.Body, TestKit.FakeTeeCertificates);
        Assert.Equal(full.Digest, LedgerService.ComputeDigest(decoded.State));
        var restored = new MerkleLog();
        decoded.RestoreTree(restored);
        Assert.Equal(full.Root, restored.Root);
        // Deterministic: the state and tree read back encode to the very same bytes.
        Assert.Equal(stored.Body, LedgerSnapshot.Encode(decoded.State, restored));

        var again = new MerkleLog();
        using var second = Open(again);
        Assert.Equal(new LedgerStart(0, 22, null, SnapshotsOn: true), second.Start);
        Assert.Equal(full.Digest, second.StateDigest());
        Assert.Equal(full.Root, again.Root);
        await second.PrefixAudit;
    }

    [Fact]
    public async Task A_start_from_a_snapshot_and_its_tail_equals_a_full_replay_and_goes_on_alike()
    {
        Seed();
        Send(25, every: 10);      // snapshots while running, at heights 32 and 42, and 47 at shutdown
        Assert.Equal(47, Snapshot().Height);
        Send(6, every: 0);        // a tail the snapshot does not cover (as after a crash)
        var full = FullReplay();
        Assert.Equal(53, full.Height);

        var tree = new MerkleLog();
        using (var service = Open(tree, every: 10))
        {
            Assert.Equal(new LedgerStart(6, 47, null, SnapshotsOn: true), service.Start);
            Assert.Equal(full.Digest, service.StateDigest());
            Assert.Equal(full.Root, tree.Root);
            await service.PrefixAudit;
            // And it sequences on from there: the next entries chain onto the replayed ones.
            var written = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            service.SnapshotWritten += (height, error) => written.TrySetResult(error is null ? height : -1);
            var ledger = new ServiceLedger(service);
            for (var i = 0; i < 4; i++) Assert.True(ledger.Send(_key, new ProviderUpdate($"after {i}", "d")).Accepted);
            Assert.Equal(57, await written.Task); // 47 + 10, written after the answer, by the sequencer
            Assert.Equal(57, Snapshot().Height);
        }
        var after = FullReplay();
        var tree2 = new MerkleLog();
        using var restarted = Open(tree2);
        Assert.Equal(after.Digest, restarted.StateDigest());
        Assert.Equal(after.Root, tree2.Root);
    }

    /// <summary>Damage behind the signature (re-signed with the node's key, so the checks after it are reached), and
    /// signatures that do not verify.</summary>
    public static TheoryData<string> Damages => ["flipped byte", "truncated", "recorded at another height", "at a height past the store",
        "state changed (digest mismatch)", "digest recorded wrong", "older format", "another entry's hash",
        "unsigned (older build)", "signed by another key", "signed for another network", "height rewritten, signature kept"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_snapshot_is_not_used_and_the_whole_ledger_is_replayed(string damage)
    {
        Seed(more: 8);
        using (Open(new MerkleLog())) { } // writes the snapshot at 30
        var good = Snapshot();
        var (bad, expected) = Damage(good, damage);
        Replace(bad);
        var full = FullReplay();

        var tree = new MerkleLog();
        using var service = Open(tree);
        Assert.Equal(0, service.Start.SnapshotHeight);
        Assert.Equal(30, service.Start.Replayed);
        Assert.Contains(expected, service.Start.SnapshotRefused);
        Assert.Equal(full.Digest, service.StateDigest());
        Assert.Equal(full.Root, tree.Root);
    }

    /// <summary>Signs <paramref name="s"/> as the node would have (its key, the hash of the store's entry at its height).</summary>
    private StoredSnapshot Resign(StoredSnapshot s, NoteSigner? key = null, string network = Network)
    {
        string entryHash;
        using (var reader = store.OpenReader()) entryHash = reader.ReadRange(s.Height, 1).Single().Hash;
        return s with { Signature = LedgerSnapshot.Sign(key ?? _logKey, network, s.Height, s.StateDigest, entryHash, s.Body) };
    }

    /// <summary>The snapshot's state with <paramref name="change"/> applied, re-encoded (checksum and tree as the node
    /// writes them) with its digest: what whoever can write the store can make without the key.</summary>
    private static StoredSnapshot Rewrite(StoredSnapshot good, Action<Sp.Ledger.State.MarketState> change)
    {
        var decoded = LedgerSnapshot.Decode(good.Body, TestKit.FakeTeeCertificates);
        change(decoded.State);
        var tree = new MerkleLog();
        decoded.RestoreTree(tree);
        return good with { Body = LedgerSnapshot.Encode(decoded.State, tree), StateDigest = LedgerService.ComputeDigest(decoded.State) };
    }

    private (StoredSnapshot Bad, string Reason) Damage(StoredSnapshot good, string damage)
    {
        var body = good.Body.ToArray();
        switch (damage)
        {
            case "flipped byte":
                body[body.Length / 2] ^= 0x01;
                return (Resign(good with { Body = body }), "checksum does not match");
            case "truncated":
                return (Resign(good with { Body = body[..(body.Length - 100)] }), "checksum does not match");
            case "recorded at another height":
                return (Resign(good with { Height = good.Height - 1 }), "recorded at height 29 but holds the state at height 30");
            case "at a height past the store":
                return (good with { Height = 31 }, "recorded at height 31 but the store holds 30 entries");
            case "state changed (digest mismatch)":
            {
                // A well-formed snapshot (its checksum recomputed) of a state that is not the ledger's at that height.
                var decoded = LedgerSnapshot.Decode(body, TestKit.FakeTeeCertificates);
                decoded.State.Minted += Sp.Core.Model.TokenAmount.FromTokens(1);
                var tree = new MerkleLog();
                decoded.RestoreTree(tree);
                return (Resign(good with { Body = LedgerSnapshot.Encode(decoded.State, tree) }), "is not the digest");
            }
            case "digest recorded wrong":
                return (Resign(good with { StateDigest = new string('0', 64) }), $"is not the digest {new string('0', 64)} recorded for height 30");
            case "older format":
                BitConverter.TryWriteBytes(body.AsSpan(8, 4), 0);
                return (Resign(good with { Body = body }), "format version 0; this build reads version 1");
            case "unsigned (older build)":
                return (good with { Signature = null }, "it is not signed");
            case "signed by another key":
                return (Resign(good, NoteSigner.Generate(_logKey.Name)), $"its signature does not verify under the node's log key {_logKey.Verifier.VerifierKey}");
            case "signed for another network":
                return (Resign(good, network: "othernet"), "its signature does not verify");
            case "height rewritten, signature kept":
            {
                // The state of height 29 (a full replay of 29 entries is what a writer of the store could compute) under
                // height 30's signature.
                return (good with { Height = good.Height - 1 }, "its signature does not verify");
            }
            case "another entry's hash":
            {
                var decoded = LedgerSnapshot.Decode(body, TestKit.FakeTeeCertificates);
                decoded.State.LastHash = new string('a', 64);
                var tree = new MerkleLog();
                decoded.RestoreTree(tree);
                var state = decoded.State;
                return (Resign(good with { Body = LedgerSnapshot.Encode(state, tree), StateDigest = LedgerService.ComputeDigest(state) }),
                    "is not the hash of ledger entry 30");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
        }
    }

    /// <summary>
    /// What the operator of the database can do: rewrite the snapshot's state (a balance, an order's status) and the
    /// digest beside it so that they agree, checksum and tree included. The node's signature no longer verifies: the
    /// snapshot is refused, the whole ledger is replayed, and the node serves the true state.
    /// </summary>
    [Fact]
    public void A_state_and_digest_rewritten_together_by_whoever_writes_the_database_are_refused_and_the_true_state_replayed()
    {
        Seed(more: 8);
        using (Open(new MerkleLog())) { } // writes the snapshot at 30
        var good = Snapshot();
        Assert.NotNull(good.Signature);
        const string thief = "0x00000000000000000000000000000000000000aa";
        var forged = Rewrite(good, s =>
        {
            // One account's balance moved to another: the minted total still adds up.
            var victim = s.Balances.First(b => b.Value != Sp.Core.Model.TokenAmount.Zero).Key;
            s.Balances[thief] = s.Balances[victim];
            s.Balances[victim] = Sp.Core.Model.TokenAmount.Zero;
        });
        Assert.NotEqual(good.StateDigest, forged.StateDigest);
        Replace(forged);
        var full = FullReplay();
        Assert.NotEqual(forged.StateDigest, full.Digest);

        var tree = new MerkleLog();
        using var service = Open(tree);
        Assert.Equal(0, service.Start.SnapshotHeight);
        Assert.Equal(30, service.Start.Replayed);
        Assert.Contains("its signature does not verify under the node's log key", service.Start.SnapshotRefused);
        Assert.Equal(full.Digest, service.StateDigest());
        Assert.Equal(full.Root, tree.Root);
        Assert.Equal(Sp.Core.Model.TokenAmount.Zero, service.Read(s => s.Balance(thief)));
    }

    /// <summary>
    /// A table from before signed snapshots (no signature column, an unsigned row): the store adds the column, the
    /// unsigned snapshot is not used (full replay, said), and the next snapshot is signed and used.
    /// </summary>
    [Fact]
    public void An_unsigned_snapshot_of_an_older_table_is_not_used_and_the_next_one_is_signed()
    {
        Seed();
        using (Open(new MerkleLog())) { }
        store.Tamper("ALTER TABLE ledger_snapshot DROP COLUMN signature;");
        var full = FullReplay(); // opens the store: the column is back, the row's signature NULL
        Assert.Null(Snapshot().Signature);
        using (var service = Open(new MerkleLog()))
        {
            Assert.Equal(0, service.Start.SnapshotHeight);
            Assert.Contains("it is not signed", service.Start.SnapshotRefused);
            Assert.Equal(full.Digest, service.StateDigest());
            var ledger = new ServiceLedger(service);
            Assert.True(ledger.Send(_key, new ProviderCreate("p", "d")).Accepted); // so the shutdown writes a new snapshot
        }
        Assert.NotNull(Snapshot().Signature);
        using var again = Open(new MerkleLog());
        Assert.Equal(new LedgerStart(0, 23, null, SnapshotsOn: true), again.Start);
    }

    /// <summary>
    /// A snapshot signed with the node's own key but holding another state (a bug, or a key that leaked): it is used at
    /// start (the signature verifies), and the background audit, replaying entries 1..height into a scratch state,
    /// finds the digests differ and fails naming both; no snapshot of the wrong state is written after it.
    /// </summary>
    [Fact]
    public async Task A_signed_snapshot_whose_state_is_not_the_ledgers_is_caught_by_the_background_audit()
    {
        Seed(more: 8);
        using (Open(new MerkleLog())) { }
        var good = Snapshot();
        var forged = Resign(Rewrite(good, s => s.Minted += Sp.Core.Model.TokenAmount.FromTokens(1)));
        Replace(forged);

        using var service = Open(new MerkleLog(), every: 1);
        Assert.Equal(new LedgerStart(0, 30, null, SnapshotsOn: true), service.Start);
        Assert.Equal(forged.StateDigest, service.StateDigest()); // served until the audit ends
        var corrupt = await Assert.ThrowsAsync<LedgerCorruptedException>(() => service.PrefixAudit);
        Assert.Equal(30, corrupt.Seq);
        Assert.Contains($"replaying entries 1..30 gives state digest {good.StateDigest}", corrupt.Message);
        Assert.Contains($"holds a state of digest {forged.StateDigest}", corrupt.Message);
        var ledger = new ServiceLedger(service);
        Assert.True(ledger.Send(_key, new ProviderUpdate("after", "d")).Accepted);
        Assert.Equal(30, Snapshot().Height); // every: 1, yet nothing is written over a state the audit refuted
    }

    /// <summary>
    /// The audit does not hold the service's lock: parked in the middle of its replay (the store's sequential read,
    /// which only the audit uses after a start from a snapshot, waits at entry 10), the service still answers queries
    /// and sequences submissions; the audit then completes.
    /// </summary>
    [Fact]
    public async Task The_background_audit_leaves_queries_and_submissions_free_while_it_replays()
    {
        Seed(more: 8);
        using (Open(new MerkleLog())) { }
        var tree = new MerkleLog();
        var gated = new AuditGate(store.Open(), parkAt: 10);
        using var service = new LedgerService(gated, Network, TestClock.At(1_900_000_000_000), e => tree.AppendEntry(LogEntryCodec.Encode(e)),
            TestKit.FakeTeeCertificates, new LedgerSnapshotOptions { Tree = tree, Key = _logKey });
        service.Committed += (e, _) => tree.AppendEntry(LogEntryCodec.Encode(e));
        Assert.Equal(30, service.Start.SnapshotHeight);
        await gated.Parked.Task.WaitAsync(TimeSpan.FromSeconds(60)); // the audit is inside its replay
        var during = Task.Run(() =>
        {
            var ledger = new ServiceLedger(service);
            var accepted = ledger.Send(_key, new ProviderUpdate("during", "d")).Accepted;
            return (accepted, service.Read(s => s.Height));
        });
        // A deadlock guard, not a timing: with the lock held by the parked audit this would never complete.
        Assert.Equal((true, 31L), await during.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(service.PrefixAudit.IsCompleted);
        gated.Release();
        await service.PrefixAudit;
    }

    /// <summary>A real store whose sequential read (<see cref="ILedgerStore.ReadAll"/>) waits before entry <c>parkAt</c>.</summary>
    private sealed class AuditGate(ILedgerStore inner, long parkAt) : ILedgerStore, ILedgerSnapshotStore
    {
        private readonly ManualResetEventSlim _gate = new(false);
        public TaskCompletionSource Parked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Release() => _gate.Set();
        public long Count => inner.Count;
        public IEnumerable<LedgerEntry> ReadAll()
        {
            foreach (var e in inner.ReadAll())
            {
                if (e.Seq == parkAt)
                {
                    Parked.TrySetResult();
                    _gate.Wait();
                }
                yield return e;
            }
        }
        public IEnumerable<LedgerEntry> ReadRange(long firstSeq, int count) => inner.ReadRange(firstSeq, count);
        public LedgerEntry? Last() => inner.Last();
        public void Append(LedgerEntry entry) => inner.Append(entry);
        public void AppendBatch(IReadOnlyList<LedgerEntry> entries) => inner.AppendBatch(entries);
        public StoredSnapshot? ReadSnapshot() => ((ILedgerSnapshotStore)inner).ReadSnapshot();
        public void WriteSnapshot(StoredSnapshot snapshot) => ((ILedgerSnapshotStore)inner).WriteSnapshot(snapshot);
        public void Dispose()
        {
            _gate.Set();
            inner.Dispose();
            _gate.Dispose();
        }
    }

    [Fact]
    public async Task A_row_changed_under_the_snapshot_is_caught_by_the_background_audit()
    {
        Seed();
        using (Open(new MerkleLog())) { }
        store.Tamper("UPDATE ledger SET body = replace(body, '\"Bob Data Inc\"', '\"Bob Data Ltd\"') WHERE seq = 2;");
        using var service = Open(new MerkleLog());
        Assert.Equal(22, service.Start.SnapshotHeight);
        var corrupt = await Assert.ThrowsAsync<LedgerCorruptedException>(() => service.PrefixAudit);
        Assert.Equal(2, corrupt.Seq);
        Assert.Contains("does not match its content", corrupt.Message);
    }

    [Fact]
    public void Without_the_log_tree_the_snapshot_is_refused_when_a_tree_is_wanted()
    {
        Seed();
        using (new LedgerService(store.Open(), Network, TestClock.At(1), null, TestKit.FakeTeeCertificates, new LedgerSnapshotOptions { Every = 5, Key = _logKey })) { }
        Assert.False(LedgerSnapshot.Decode(Snapshot().Body, TestKit.FakeTeeCertificates).HasTree);
        var tree = new MerkleLog();
        using var service = Open(tree);
        Assert.Contains("holds no log tree", service.Start.SnapshotRefused);
        Assert.Equal(22, tree.Size);
    }
}

public sealed class SqliteSnapshotTests() : SnapshotTests(new SqliteTestStore())
{
    /// <summary>
    /// A crash between writing the snapshot and committing it: the files as they are on disk while a new snapshot's
    /// transaction is open (8 MiB, more than SQLite's page cache, so its pages are already in the WAL file) are
    /// copied and opened: the uncommitted snapshot is not there, the previous one is used.
    /// </summary>
    [Fact]
    public void A_crash_before_the_snapshot_commits_leaves_the_previous_snapshot()
    {
        Seed();
        using (Open(new MerkleLog())) { }
        var path = ((SqliteTestStore)Store).Path;
        var copy = Directory.CreateTempSubdirectory("sp-snapshot-crash-").FullName;
        try
        {
            using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                db.Open();
                using var tx = db.BeginTransaction();
                using var cmd = db.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "UPDATE ledger_snapshot SET height = 21, body = $b WHERE id = 1;";
                cmd.Parameters.AddWithValue("$b", new byte[8 << 20]);
                Assert.Equal(1, cmd.ExecuteNonQuery());
                var wal = new FileInfo(path + "-wal").Length;
                Assert.True(wal > 4 << 20, $"the uncommitted snapshot is not in the WAL ({wal} bytes): nothing would be tested");
                foreach (var f in new[] { "", "-wal" }) File.Copy(path + f, Path.Combine(copy, "ledger.db" + f));
                tx.Rollback();
            }
            using var crashed = new SqliteLedgerStore(Path.Combine(copy, "ledger.db"));
            Assert.Equal(22, crashed.ReadSnapshot()!.Height);
            var tree = new MerkleLog();
            using var service = new LedgerService(crashed, LedgerLogVectorTests.Network, TestClock.At(1), e => tree.AppendEntry(LogEntryCodec.Encode(e)),
                TestKit.FakeTeeCertificates, new LedgerSnapshotOptions { Tree = tree, Key = LogKey });
            Assert.Equal(22, service.Start.SnapshotHeight);
            Assert.Equal(FullReplay().Digest, service.StateDigest());
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}

[Collection("postgres")]
public sealed class PostgresSnapshotTests(PostgresCluster cluster) : SnapshotTests(new PostgresTestStore(cluster))
{
    /// <summary>
    /// A crash between writing the snapshot and committing it: the writing session dies (its backend is terminated,
    /// as when the node is killed) with the new row written and not committed; the previous snapshot is used.
    /// </summary>
    [Fact]
    public void A_crash_before_the_snapshot_commits_leaves_the_previous_snapshot()
    {
        Seed();
        using (Open(new MerkleLog())) { }
        var full = FullReplay();
        var connection = ((PostgresTestStore)Store).ConnectionString;
        using (var db = new NpgsqlConnection(connection))
        {
            db.Open();
            var tx = db.BeginTransaction();
            using (var cmd = new NpgsqlCommand("UPDATE ledger_snapshot SET height = 21, body = @b WHERE id = 1;", db, tx))
            {
                cmd.Parameters.AddWithValue("b", new byte[1 << 20]);
                Assert.Equal(1, cmd.ExecuteNonQuery());
            }
            PostgresCluster.Execute(connection, $"SELECT pg_terminate_backend({db.ProcessID});");
            Assert.ThrowsAny<Exception>(tx.Commit); // the session is gone: nothing was committed
        }
        var tree = new MerkleLog();
        using var service = Open(tree);
        Assert.Equal(22, service.Start.SnapshotHeight);
        Assert.Equal(full.Digest, service.StateDigest());
    }
}
