using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sp.Core.Json;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Store;

/// <summary>
/// <see cref="ILedgerStore"/> in PostgreSQL: the same table as <see cref="SqliteLedgerStore"/>
/// (<c>ledger(seq BIGINT PRIMARY KEY, hash, prev_hash, time, body)</c>), with triggers refusing UPDATE, DELETE and
/// TRUNCATE. An append is one transaction committed with <c>synchronous_commit = on</c>, so it is in the server's
/// write-ahead log on disk when <see cref="AppendBatch"/> returns. The store holds a session advisory lock on its
/// table for as long as it is open: a second writer (another node on the same database) is refused. Every writer also
/// takes a fencing token (<c>ledger_lease.epoch</c>) and each append checks it in its own transaction. Fail-over
/// (docs/ledger.md, "Fail-over"): a <c>candidate</c> store reads until <see cref="TryAcquireLease"/> wins the lock.
/// One connection, serialised by a lock: safe to share between threads.
/// </summary>
public sealed class NpgsqlLedgerStore : ILedgerStore, ILedgerSnapshotStore, ILedgerLeaseStore
{
    private const int ReadPageSize = 1024;
    private const int SchemaVersion = 1;
    /// <summary>Key of the advisory lock that makes this store the ledger's only writer ("spledger" in ASCII).</summary>
    private const long WriterLockKey = 0x7370_6c65_6467_6572;
    /// <summary>Key of the transaction lock under which the schema is created ("spschema").</summary>
    private const long SchemaLockKey = 0x7370_7363_6865_6d61;

    private readonly NpgsqlConnection _db;
    private readonly Lock _lock = new();
    private long _count;
    private long _epoch;
    private bool _disposed;

    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=5432;Username=sp;Database=ledger</c>.</param>
    /// <param name="readOnly">Read only, beside a running writer: no writer lock, no schema changes, appends refused.</param>
    /// <param name="candidate">Fail-over: creates the schema but takes no writer lock; the store reads (a follower)
    /// until <see cref="TryAcquireLease"/> makes it the writer. Ignored when <paramref name="readOnly"/>.</param>
    public NpgsqlLedgerStore(string connectionString, bool readOnly = false, bool candidate = false)
    {
        ReadOnly = readOnly || candidate;
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        Description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        _db = new NpgsqlConnection(builder.ToString());
        try
        {
            _db.Open();
            Exec("SET synchronous_commit = on;");
            if (readOnly)
            {
                _count = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(seq), 0) FROM ledger;"), System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
            if (!candidate && !(bool)Scalar($"SELECT pg_try_advisory_lock({WriterLockKey});")!)
                throw new InvalidOperationException($"ledger store {Description}: another process holds its writer lock (is a node already running on this database?)");
            CreateSchema();
            _count = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(seq), 0) FROM ledger;"), System.Globalization.CultureInfo.InvariantCulture);
            if (!candidate) _epoch = NextEpoch(null);
        }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    private void CreateSchema()
    {
        // Candidates start side by side: one transaction-scoped lock makes their CREATE ... IF NOT EXISTS take turns.
        using var tx = _db.BeginTransaction();
        Exec($"SELECT pg_advisory_xact_lock({SchemaLockKey});");
        Exec("""
            CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS ledger (
                seq       BIGINT PRIMARY KEY,
                hash      TEXT   NOT NULL,
                prev_hash TEXT   NOT NULL,
                time      BIGINT NOT NULL,
                body      TEXT   NOT NULL
            );
            CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the ledger is append-only: % refused', TG_OP; END $$;
            CREATE OR REPLACE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
                FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
            CREATE OR REPLACE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
            INSERT INTO ledger_meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING;
            CREATE TABLE IF NOT EXISTS ledger_snapshot (
                id        INT    PRIMARY KEY CHECK (id = 1),
                height    BIGINT NOT NULL,
                digest    TEXT   NOT NULL,
                body      BYTEA  NOT NULL,
                signature BYTEA
            );
            CREATE TABLE IF NOT EXISTS ledger_lease (
                id         INT    PRIMARY KEY CHECK (id = 1),
                epoch      BIGINT NOT NULL,
                leader_url TEXT,
                since      BIGINT NOT NULL
            );
            INSERT INTO ledger_lease (id, epoch, leader_url, since) VALUES (1, 0, NULL, 0) ON CONFLICT (id) DO NOTHING;
            """);
        // A table made before snapshots were signed: its row (signature NULL) is not used, the next one is signed.
        // Looked up first, so that a start does not take ALTER TABLE's exclusive lock when there is nothing to do.
        if (Scalar("SELECT NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'ledger_snapshot' AND column_name = 'signature');") is true)
            Exec("ALTER TABLE ledger_snapshot ADD COLUMN IF NOT EXISTS signature BYTEA;");
        var version = Convert.ToInt64(Scalar("SELECT value FROM ledger_meta WHERE key = 'schema_version';"), System.Globalization.CultureInfo.InvariantCulture);
        if (version != SchemaVersion)
            throw new InvalidDataException($"{Description}: ledger schema version {version}, this build reads version {SchemaVersion}");
        tx.Commit();
    }

    /// <summary>Takes the next fencing token (under the writer lock): every later append checks it in its own
    /// transaction, so once another writer took a newer one this store can append nothing more.</summary>
    private long NextEpoch(string? leaderUrl)
    {
        using var cmd = new NpgsqlCommand("UPDATE ledger_lease SET epoch = epoch + 1, leader_url = @u, since = @t WHERE id = 1 RETURNING epoch;", _db);
        cmd.Parameters.AddWithValue("u", (object?)leaderUrl ?? DBNull.Value);
        cmd.Parameters.AddWithValue("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Fail-over (a <c>candidate</c> store): tries to become the ledger's writer. Takes the session advisory lock
    /// without waiting; on success takes a new fencing token, records <paramref name="leaderUrl"/> as the leader's
    /// address, and the store turns writable with the count read from the server. The lock lives as long as this
    /// store's session: a leader that dies (or loses its connection) loses it, and with it every later append.
    /// </summary>
    /// <returns>True when this store is (now) the writer.</returns>
    public bool TryAcquireLease(string? leaderUrl)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (!ReadOnly) return true;
            if (!(bool)Scalar($"SELECT pg_try_advisory_lock({WriterLockKey});")!) return false;
            _epoch = NextEpoch(leaderUrl);
            _count = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(seq), 0) FROM ledger;"), System.Globalization.CultureInfo.InvariantCulture);
            ReadOnly = false;
            return true;
        }
    }

    /// <summary>The current lease: its fencing token and the leader's address (null when none was recorded).</summary>
    public (long Epoch, string? LeaderUrl) ReadLease()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (Scalar("SELECT to_regclass('ledger_lease') IS NOT NULL;") is not true) return (0, null);
            using var cmd = new NpgsqlCommand("SELECT epoch, leader_url FROM ledger_lease WHERE id = 1;", _db);
            using var r = cmd.ExecuteReader();
            return r.Read() ? (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)) : (0, null);
        }
    }

    /// <summary>The writer's fencing token (0 for a store that never wrote).</summary>
    public long Epoch
    {
        get { lock (_lock) return _epoch; }
    }

    /// <summary>
    /// The writer checks that it still holds the lease: its session is alive and no newer fencing token was taken.
    /// Throws <see cref="LedgerLeaseLostException"/> otherwise.
    /// </summary>
    public void CheckLease()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (ReadOnly) throw new LedgerLeaseLostException($"ledger store {Description} is not the writer");
            CheckEpoch(null);
        }
    }

    private void CheckEpoch(NpgsqlTransaction? tx)
    {
        long current;
        try
        {
            // FOR SHARE: a newer writer's token update waits for this transaction, or this one sees the new token.
            using var cmd = new NpgsqlCommand("SELECT epoch FROM ledger_lease WHERE id = 1 FOR SHARE;", _db, tx);
            current = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw new LedgerLeaseLostException($"ledger store {Description}: the writer's session is lost ({e.Message}): its lease went with it", e);
        }
        if (current != _epoch)
            throw new LedgerLeaseLostException($"ledger store {Description}: fencing token {_epoch} was superseded by {current}: another node is the writer now");
    }

    public bool ReadOnly { get; private set; }

    /// <summary>True when this store appends: a writer, or a candidate that won the lease.</summary>
    public bool IsWriter
    {
        get { lock (_lock) return !ReadOnly; }
    }

    /// <summary>Server and database, without credentials.</summary>
    public string Description { get; }

    /// <summary>Entries stored (a read-only store asks the server each time: a writer may have appended).</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                if (ReadOnly && !_disposed) _count = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(seq), 0) FROM ledger;"), System.Globalization.CultureInfo.InvariantCulture);
                return _count;
            }
        }
    }

    public IEnumerable<LedgerEntry> ReadAll()
    {
        long after = 0;
        while (true)
        {
            List<Row> page;
            lock (_lock)
            {
                ThrowIfDisposed();
                page = Query("SELECT seq, hash, prev_hash, time, body FROM ledger WHERE seq > @a ORDER BY seq LIMIT @n;", after, ReadPageSize);
            }
            foreach (var row in page) yield return Parse(row);
            if (page.Count < ReadPageSize) yield break;
            after = page[^1].Seq;
        }
    }

    public IEnumerable<LedgerEntry> ReadRange(long firstSeq, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        List<Row> rows;
        lock (_lock)
        {
            ThrowIfDisposed();
            rows = Query("SELECT seq, hash, prev_hash, time, body FROM ledger WHERE seq >= @a ORDER BY seq LIMIT @n;", firstSeq, count);
        }
        return rows.Select(Parse);
    }

    public LedgerEntry? Last()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var rows = Query("SELECT seq, hash, prev_hash, time, body FROM ledger WHERE seq > @a ORDER BY seq DESC LIMIT @n;", 0, 1);
            return rows.Count == 0 ? null : Parse(rows[0]);
        }
    }

    public void Append(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        AppendBatch([entry]);
    }

    public void AppendBatch(IReadOnlyList<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0) return;
        lock (_lock)
        {
            ThrowIfDisposed();
            if (ReadOnly) throw new InvalidOperationException($"ledger store {Description} is open read-only");
            for (var i = 0; i < entries.Count; i++)
            {
                var expected = _count + 1 + i;
                if (entries[i].Seq != expected)
                    throw new InvalidOperationException($"ledger store {Description}: append seq {entries[i].Seq}, expected {expected} (entries are numbered without gaps)");
                if (entries[i].Hash.Length == 0)
                    throw new InvalidOperationException($"ledger store {Description}: entry {entries[i].Seq} has no hash");
            }
            try
            {
                Write(entries);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && SessionLost)
            {
                // The session is gone, and with it the writer lock: another node may be the writer by now.
                throw new LedgerLeaseLostException($"ledger store {Description}: the writer's session is lost ({e.Message}): its lease went with it", e);
            }
            _count += entries.Count;
        }
    }

    private bool SessionLost => _db.FullState.HasFlag(System.Data.ConnectionState.Broken) || _db.State == System.Data.ConnectionState.Closed;

    private void Write(IReadOnlyList<LedgerEntry> entries)
    {
        {
            using var tx = _db.BeginTransaction();
            CheckEpoch(tx); // fencing: a deposed writer appends nothing, whatever it still believes
            // Binary COPY: one round trip for the whole batch; the commit is the one durable write.
            using (var copy = _db.BeginBinaryImport("COPY ledger (seq, hash, prev_hash, time, body) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var e in entries)
                {
                    copy.StartRow();
                    copy.Write(e.Seq, NpgsqlDbType.Bigint);
                    copy.Write(e.Hash, NpgsqlDbType.Text);
                    copy.Write(e.PrevHash, NpgsqlDbType.Text);
                    copy.Write(e.Time, NpgsqlDbType.Bigint);
                    copy.Write(JsonSerializer.Serialize(e.Signed, SpJson.Options), NpgsqlDbType.Text);
                }
                copy.Complete();
            }
            tx.Commit();
        }
    }

    public StoredSnapshot? ReadSnapshot()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            // A reader beside a node from before snapshots may find no table.
            if (Scalar("SELECT to_regclass('ledger_snapshot') IS NOT NULL;") is not true) return null;
            // SELECT *: a reader (no schema changes) beside a node from before signed snapshots finds no signature column.
            using var cmd = new NpgsqlCommand("SELECT * FROM ledger_snapshot WHERE id = 1;", _db);
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return null;
            var signature = Enumerable.Range(0, r.FieldCount).FirstOrDefault(i => r.GetName(i) == "signature", -1);
            return new StoredSnapshot(r.GetInt64(r.GetOrdinal("height")), r.GetString(r.GetOrdinal("digest")), r.GetFieldValue<byte[]>(r.GetOrdinal("body")),
                signature < 0 || r.IsDBNull(signature) ? null : r.GetFieldValue<byte[]>(signature));
        }
    }

    public void WriteSnapshot(StoredSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_lock)
        {
            ThrowIfDisposed();
            if (ReadOnly) throw new InvalidOperationException($"ledger store {Description} is open read-only");
            // One transaction (synchronous_commit = on): a crash leaves the previous row or this one.
            using var tx = _db.BeginTransaction();
            using var cmd = new NpgsqlCommand("""
                INSERT INTO ledger_snapshot (id, height, digest, body, signature) VALUES (1, @h, @d, @b, @s)
                ON CONFLICT (id) DO UPDATE SET height = EXCLUDED.height, digest = EXCLUDED.digest, body = EXCLUDED.body, signature = EXCLUDED.signature;
                """, _db, tx);
            cmd.Parameters.AddWithValue("h", snapshot.Height);
            cmd.Parameters.AddWithValue("d", snapshot.StateDigest);
            cmd.Parameters.Add("b", NpgsqlDbType.Bytea).Value = snapshot.Body;
            cmd.Parameters.Add("s", NpgsqlDbType.Bytea).Value = (object?)snapshot.Signature ?? DBNull.Value;
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }

    private readonly record struct Row(long Seq, string Hash, string PrevHash, long Time, string Body);

    private List<Row> Query(string sql, long a, int n)
    {
        using var cmd = new NpgsqlCommand(sql, _db);
        cmd.Parameters.AddWithValue("a", a);
        cmd.Parameters.AddWithValue("n", n);
        using var r = cmd.ExecuteReader();
        var rows = new List<Row>();
        while (r.Read()) rows.Add(new Row(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4)));
        return rows;
    }

    private LedgerEntry Parse(Row row)
    {
        SignedTransaction signed;
        try
        {
            signed = JsonSerializer.Deserialize<SignedTransaction>(row.Body, SpJson.Options)
                ?? throw new JsonException("body is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Description}: ledger entry {row.Seq}: body is not a signed transaction: {e.Message}", e);
        }
        return new LedgerEntry { Seq = row.Seq, Hash = row.Hash, PrevHash = row.PrevHash, Time = row.Time, Signed = signed };
    }

    private void Exec(string sql)
    {
        using var cmd = new NpgsqlCommand(sql, _db);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var cmd = new NpgsqlCommand(sql, _db);
        return cmd.ExecuteScalar();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            // Release the writer lock before closing: the server ends a closed session's backend (and its locks)
            // a moment later, and a writer opened right after would find the lock still held.
            if (!ReadOnly && _db.State == System.Data.ConnectionState.Open)
            {
                try { Exec($"SELECT pg_advisory_unlock({WriterLockKey});"); }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { /* the session is gone: so is its lock */ }
            }
            _db.Dispose();
        }
    }
}
