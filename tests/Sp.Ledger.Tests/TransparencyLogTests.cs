using System.Text;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Tlog;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

public sealed class LogEntryCodecTests
{
    [Fact]
    public void The_leaf_bytes_hash_to_the_entry_hash_and_decode_back()
    {
        using var key = AccountKey.Generate();
        var ledger = new MachineLedger();
        var entry = ledger.NextEntry(ledger.Sign(key, new ProviderCreate("Alice \u00e9\u2014", "d\n\"q\"")));
        var leaf = LogEntryCodec.Encode(entry);
        Assert.Equal(entry.Hash, LogEntryCodec.HashOf(leaf));
        var decoded = LogEntryCodec.Decode(leaf, 0);
        Assert.Equal(entry.Hash, decoded.Hash);
        Assert.Equal(entry.Seq, decoded.Seq);
        Assert.Equal(entry.Time, decoded.Time);
        Assert.True(decoded.Signed.VerifySignature());
        Assert.StartsWith("{\"prevHash\":\"", Encoding.UTF8.GetString(leaf)); // RFC 8785: members sorted
    }

    [Fact]
    public void Non_canonical_or_incomplete_leaves_are_refused_naming_the_index()
    {
        using var key = AccountKey.Generate();
        var ledger = new MachineLedger();
        var leaf = Encoding.UTF8.GetString(LogEntryCodec.Encode(ledger.NextEntry(ledger.Sign(key, new ProviderCreate("a", "d")))));
        var spaced = Encoding.UTF8.GetBytes(leaf.Replace("\"seq\":1", "\"seq\": 1"));
        Assert.Contains("log entry 7: not in canonical form", Assert.Throws<InvalidDataException>(() => LogEntryCodec.Decode(spaced, 7)).Message);
        var missing = Encoding.UTF8.GetBytes("{\"prevHash\":\"00\",\"seq\":1,\"time\":2}");
        Assert.Contains("log entry 3: not a ledger entry", Assert.Throws<InvalidDataException>(() => LogEntryCodec.Decode(missing, 3)).Message);
        Assert.Throws<InvalidDataException>(() => LogEntryCodec.Decode("not json"u8, 0));
    }

    [Fact]
    public void The_service_refuses_a_transaction_whose_entry_exceeds_the_log_entry_limit()
    {
        using var tmp = new TempDb();
        using var service = new LedgerService(new SqliteLedgerStore(tmp.Path), TestKit.Network, TestClock.At(1000), teeCertificates: TestKit.FakeTeeCertificates);
        using var key = AccountKey.Generate();
        var ledger = new ServiceLedger(service);
        var big = ledger.Send(key, new ProviderCreate(new string('x', 70_000), "d"));
        Assert.False(big.Accepted);
        Assert.Contains("at most 65535", big.Error);
        Assert.Equal(0, service.Height);
        Assert.True(ledger.Send(key, new ProviderCreate(new string('x', 60_000), "d")).Accepted);
    }
}

public sealed class MerkleLogTests
{
    private static byte[] Entry(int i) => Encoding.UTF8.GetBytes($"entry {i}");

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(600)]
    [InlineData(65_537)]
    public void Its_hash_tiles_and_root_are_those_the_tile_builder_computes(int size)
    {
        var log = new MerkleLog();
        var builder = new TileBuilder();
        var tiles = new Dictionary<TileId, byte[]>();
        builder.TileReady += (t, d) => { if (!t.IsEntryBundle) tiles[t] = d; };
        for (var i = 0; i < size; i++)
        {
            log.AppendEntry(Entry(i));
            builder.Add(Entry(i));
        }
        Assert.Equal(builder.Finish(), log.Root);
        Assert.Equal(size, log.Size);
        foreach (var tile in TileMath.HashTiles(size)) Assert.Equal(tiles[tile], log.ReadHashTile(tile));
        // A tile wider than the tree is not there yet.
        Assert.Null(log.ReadHashTile(TileId.Hashes(0, size / 256, size % 256 + 1)));
    }

    [Fact]
    public void Roots_and_proofs_for_every_past_size_verify()
    {
        var log = new MerkleLog();
        var roots = new List<NodeHash> { MerkleHash.Empty };
        var reference = new CompactRange();
        for (var i = 0; i < 300; i++)
        {
            log.AppendEntry(Entry(i));
            reference.Append(MerkleHash.Leaf(Entry(i)));
            roots.Add(reference.Root());
        }
        var rng = new Random(9);
        for (var size = 1; size <= 300; size++)
        {
            Assert.Equal(roots[size], log.RootAt(size));
            var index = rng.Next(size);
            ProofVerifier.VerifyInclusion(MerkleHash.Leaf(Entry(index)), index, size, log.InclusionProof(index, size), roots[size]);
            var older = rng.Next(size + 1);
            ProofVerifier.VerifyConsistency(older, size, log.ConsistencyProof(older, size), roots[older], roots[size]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => log.RootAt(301));
    }
}

/// <summary>The ledger as a transparency log over a real store; runs on SQLite and on PostgreSQL (derived classes below).</summary>
public abstract class TransparencyLogTests(TestStore db) : IDisposable
{
    private readonly TestStore _db = db;
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-tlog-").FullName;
    private readonly NoteSigner _key = NoteSigner.Generate("test.local/devnet");
    private readonly AccountKey _alice = AccountKey.Generate();
    private readonly TimeProvider _clock = TestClock.Stepping(2_000, 1_000);

    private string CheckpointPath => Path.Combine(_dir, "log", "checkpoint");

    public void Dispose()
    {
        _alice.Dispose();
        _db.Dispose();
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The node's wiring: replay into the log, check against the persisted checkpoint, follow commits.</summary>
    private (LedgerService Service, TransparencyLog Log) Start()
    {
        var store = _db.Open();
        var log = new TransparencyLog(_key, CheckpointPath, store);
        var service = new LedgerService(store, TestKit.Network, _clock, log.Append, teeCertificates: TestKit.FakeTeeCertificates);
        try
        {
            log.CheckAgainstLatest();
            log.Follow(service);
        }
        catch
        {
            service.Dispose(); // as the node's LedgerHosting: a refused start lets go of the store (and its lock)
            throw;
        }
        return (service, log);
    }

    private static void Send(LedgerService service, AccountKey key, int n)
    {
        var ledger = new ServiceLedger(service);
        for (var i = 0; i < n; i++)
        {
            var outcome = service.Read(s => s.Providers.ContainsKey(key.Address.Lower))
                ? ledger.Send(key, new ProviderUpdate($"n{i}", "d"))
                : ledger.Send(key, new ProviderCreate("p", "d"));
            Assert.True(outcome.Accepted, outcome.Error);
        }
    }

    [Fact]
    public async Task Each_accepted_entry_is_the_next_leaf_and_the_served_log_audits()
    {
        var (service, log) = Start();
        using (service)
        using (log)
        {
            Send(service, _alice, 300);
            Assert.False(new ServiceLedger(service).Send(_alice, new ProviderCreate("again", "d")).Accepted);
            Assert.Equal(300, log.Tree.Size);
            var signed = log.CurrentCheckpoint();
            Assert.Equal(300, signed.Checkpoint.TreeSize);
            Assert.Equal("test.local/devnet", signed.Checkpoint.Origin);
            Assert.True(signed.Note.IsSignedBy(_key.Verifier));

            var reader = new TileReader(log.AsTileSource());
            var opened = await reader.ReadCheckpointAsync(_key.Verifier);
            var seen = new List<LedgerEntry>();
            var audit = await TileLogAuditor.AuditAsync(reader, opened.Checkpoint, (i, leaf) => seen.Add(LogEntryCodec.Decode(leaf, i)));
            Assert.Equal(300, audit.Entries);
            Assert.Equal(2, audit.EntryBundles);
            Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), seen.Select(e => e.Seq));
            var stored = _db.OpenReader();
            using (stored) Assert.Equal(stored.ReadAll().Select(e => e.Hash), seen.Select(e => e.Hash));

            var entry = await reader.ReadProvedEntryAsync(41, opened.Checkpoint);
            Assert.Equal(42, LogEntryCodec.Decode(entry, 41).Seq);
        }
    }

    [Fact]
    public void A_checkpoint_is_signed_only_when_the_tree_grew_and_is_persisted_before_it_is_returned()
    {
        var (service, log) = Start();
        using (service)
        using (log)
        {
            Send(service, _alice, 3);
            var first = log.CurrentCheckpoint();
            Assert.Same(first, log.CurrentCheckpoint());
            Assert.Equal(first.NoteBytes.ToArray(), File.ReadAllBytes(CheckpointPath));
            Send(service, _alice, 2);
            var second = log.CurrentCheckpoint();
            Assert.Equal(5, second.Checkpoint.TreeSize);
            Assert.Equal(second.NoteBytes.ToArray(), File.ReadAllBytes(CheckpointPath));
        }
    }

    [Fact]
    public async Task While_the_tree_grows_a_checkpoint_is_signed_and_persisted_every_interval()
    {
        var (service, log) = Start();
        using (service)
        using (log)
        {
            log.StartSigning(TimeSpan.FromMilliseconds(50));
            Send(service, _alice, 4);
            for (var i = 0; i < 100 && log.LatestSigned?.Checkpoint.TreeSize != 4; i++) await Task.Delay(20);
            Assert.Equal(4, log.LatestSigned?.Checkpoint.TreeSize);
            Assert.Contains("\n4\n", File.ReadAllText(CheckpointPath));
        }
    }

    [Fact]
    public void After_a_restart_the_tree_is_rebuilt_and_continues_from_the_signed_checkpoint()
    {
        NodeHash root5;
        var (service, log) = Start();
        using (service)
        using (log)
        {
            Send(service, _alice, 5);
            root5 = log.CurrentCheckpoint().Checkpoint.RootHash;
        }
        var (again, log2) = Start();
        using (again)
        using (log2)
        {
            Assert.Equal(5, log2.LatestSigned!.Checkpoint.TreeSize);
            Assert.Equal(root5, log2.Tree.RootAt(5));
            Send(again, _alice, 2);
            var c = log2.CurrentCheckpoint().Checkpoint;
            Assert.Equal(7, c.TreeSize);
            ProofVerifier.VerifyConsistency(5, 7, log2.Tree.ConsistencyProof(5, 7), root5, c.RootHash);
        }
    }

    [Fact]
    public void A_restart_refuses_a_store_that_lost_signed_entries_or_a_checkpoint_by_another_key()
    {
        var (service, log) = Start();
        using (service)
        using (log)
        {
            Send(service, _alice, 6);
            log.CurrentCheckpoint();
        }
        _db.Tamper("DELETE FROM ledger WHERE seq > 4;");
        var ex = Assert.Throws<LogConsistencyException>(() => Start());
        Assert.Contains("holds 4 entries but checkpoint 6 was signed", ex.Message);

        File.WriteAllText(CheckpointPath, new Checkpoint("test.local/devnet", 4, MerkleHash.Empty).Sign(NoteSigner.Generate("test.local/devnet")));
        var other = Assert.Throws<LogConsistencyException>(() => Start());
        Assert.Contains("does not verify with the log key", other.Message);
    }

    [Fact]
    public void A_restart_refuses_a_store_whose_signed_prefix_was_rewritten()
    {
        // A valid but different history of the same size: same accounts and nonces, other payloads.
        var (service, log) = Start();
        using (service)
        using (log)
        {
            Send(service, _alice, 3);
            log.CurrentCheckpoint();
        }
        _db.Wipe();
        var store = _db.Open();
        using (var fresh = new LedgerService(store, TestKit.Network, _clock, teeCertificates: TestKit.FakeTeeCertificates))
        {
            var ledger = new ServiceLedger(fresh);
            Assert.True(ledger.Send(_alice, new ProviderCreate("other", "d")).Accepted);
            Assert.True(ledger.Send(_alice, new ProviderUpdate("x", "y")).Accepted);
            Assert.True(ledger.Send(_alice, new ProviderUpdate("x", "z")).Accepted);
        }
        var ex = Assert.Throws<LogConsistencyException>(() => Start());
        Assert.Contains("first 3 entries have root", ex.Message);
    }

    [Fact]
    public void A_row_changed_while_the_node_runs_shows_in_the_served_bundle_and_the_audit_fails()
    {
        var (service, log) = Start();
        using (service)
        using (log)
        {
            Send(service, _alice, 10);
            var checkpoint = log.CurrentCheckpoint().Checkpoint;
            _db.Tamper("UPDATE ledger SET time = time + 1 WHERE seq = 4;");
            var reader = new TileReader(log.AsTileSource());
            var e = Assert.ThrowsAny<TlogException>(() => TileLogAuditor.AuditAsync(reader, checkpoint).GetAwaiter().GetResult());
            Assert.Contains("tile/0/000.p/10", e.Message);
        }
    }
}

public sealed class SqliteTransparencyLogTests() : TransparencyLogTests(new SqliteTestStore());

[Collection("postgres")]
public sealed class PostgresTransparencyLogTests(PostgresCluster cluster) : TransparencyLogTests(new PostgresTestStore(cluster));
