using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sp.Core.Json;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Store;

/// <summary>
/// <see cref="ILedgerStore"/> in one SQLite file. WAL journal with synchronous=FULL, so a committed append is
/// durable when <see cref="Append"/> returns. Table <c>ledger(seq INTEGER PRIMARY KEY, hash, prev_hash, time,
/// body)</c>, where body is the JSON of the <see cref="SignedTransaction"/> (camelCase, <see cref="SpJson"/>).
/// Triggers refuse UPDATE and DELETE, so the file itself says the table is append-only; they are a guard against
/// accidents, not against an attacker (the service re-verifies the hash chain and signatures at start-up).
/// One connection, serialised by a lock: safe to share between threads.
/// </summary>
public sealed class SqliteLedgerStore : ILedgerStore, ILedgerSnapshotStore
{
    /// <summary>Rows fetched per query by <see cref="ReadAll"/>: the lock is never held while the caller works.</summary>
    private const int ReadPageSize = 1024;
    private const int SchemaVersion = 1;

    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();
    private long _count;
    private bool _disposed;

    public SqliteLedgerStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // No pooling: Dispose really closes the file (tests and tools reopen it).
            Pooling = false,
        };
        _db = new SqliteConnection(builder.ToString());
        try
        {
            _db.Open();
            Exec("PRAGMA journal_mode=WAL;");
            Exec("PRAGMA synchronous=FULL;");
            Exec("""
                CREATE TABLE IF NOT EXISTS ledger (
                    seq       INTEGER PRIMARY KEY,
                    hash      TEXT    NOT NULL,
                    prev_hash TEXT    NOT NULL,
                    time      INTEGER NOT NULL,
                    body      TEXT    NOT NULL
                );
                CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
                    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE refused'); END;
                CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
                    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE refused'); END;
                CREATE TABLE IF NOT EXISTS ledger_snapshot (
                    id        INTEGER PRIMARY KEY CHECK (id = 1),
                    height    INTEGER NOT NULL,
                    digest    TEXT    NOT NULL,
                    body      BLOB    NOT NULL,
                    signature BLOB
                );
                """);
            // A table made before snapshots were signed: its row (signature NULL) is not used, the next one is signed.
            if (Convert.ToInt64(Scalar("SELECT COUNT(*) FROM pragma_table_info('ledger_snapshot') WHERE name = 'signature';"), System.Globalization.CultureInfo.InvariantCulture) == 0)
                Exec("ALTER TABLE ledger_snapshot ADD COLUMN signature BLOB;");
            var version = Convert.ToInt64(Scalar("PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
            if (version == 0) Exec($"PRAGMA user_version={SchemaVersion};");
            else if (version != SchemaVersion)
                throw new InvalidDataException($"{Path}: ledger schema version {version}, this build reads version {SchemaVersion}");
            _count = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(seq), 0) FROM ledger;"), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    public long Count
    {
        get { lock (_lock) return _count; }
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
                page = ReadPage(after);
            }
            // Parsed one by one, so a corrupt body surfaces after every entry before it was handed out.
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
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT seq, hash, prev_hash, time, body FROM ledger WHERE seq >= $first ORDER BY seq LIMIT $limit;";
            cmd.Parameters.AddWithValue("$first", firstSeq);
            cmd.Parameters.AddWithValue("$limit", count);
            using var r = cmd.ExecuteReader();
            rows = new List<Row>(Math.Min(count, ReadPageSize));
            while (r.Read()) rows.Add(ReadRow(r));
        }
        return rows.Select(Parse);
    }

    public LedgerEntry? Last()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT seq, hash, prev_hash, time, body FROM ledger ORDER BY seq DESC LIMIT 1;";
            using var r = cmd.ExecuteReader();
            return r.Read() ? Parse(ReadRow(r)) : null;
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
            for (var i = 0; i < entries.Count; i++)
            {
                var expected = _count + 1 + i;
                if (entries[i].Seq != expected)
                    throw new InvalidOperationException($"ledger store {Path}: append seq {entries[i].Seq}, expected {expected} (entries are numbered without gaps)");
                if (entries[i].Hash.Length == 0)
                    throw new InvalidOperationException($"ledger store {Path}: entry {entries[i].Seq} has no hash");
            }
            using var tx = _db.BeginTransaction();
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO ledger (seq, hash, prev_hash, time, body) VALUES ($seq, $hash, $prev, $time, $body);";
            var pSeq = cmd.Parameters.Add("$seq", SqliteType.Integer);
            var pHash = cmd.Parameters.Add("$hash", SqliteType.Text);
            var pPrev = cmd.Parameters.Add("$prev", SqliteType.Text);
            var pTime = cmd.Parameters.Add("$time", SqliteType.Integer);
            var pBody = cmd.Parameters.Add("$body", SqliteType.Text);
            foreach (var e in entries)
            {
                pSeq.Value = e.Seq;
                pHash.Value = e.Hash;
                pPrev.Value = e.PrevHash;
                pTime.Value = e.Time;
                pBody.Value = JsonSerializer.Serialize(e.Signed, SpJson.Options);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
            _count += entries.Count;
        }
    }

    public StoredSnapshot? ReadSnapshot()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT height, digest, body, signature FROM ledger_snapshot WHERE id = 1;";
            using var r = cmd.ExecuteReader();
            return r.Read() ? new StoredSnapshot(r.GetInt64(0), r.GetString(1), (byte[])r.GetValue(2), r.IsDBNull(3) ? null : (byte[])r.GetValue(3)) : null;
        }
    }

    public void WriteSnapshot(StoredSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_lock)
        {
            ThrowIfDisposed();
            // One transaction: a crash leaves the previous row or this one (WAL, synchronous=FULL).
            using var tx = _db.BeginTransaction();
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT OR REPLACE INTO ledger_snapshot (id, height, digest, body, signature) VALUES (1, $height, $digest, $body, $signature);";
            cmd.Parameters.AddWithValue("$height", snapshot.Height);
            cmd.Parameters.AddWithValue("$digest", snapshot.StateDigest);
            cmd.Parameters.Add("$body", SqliteType.Blob).Value = snapshot.Body;
            cmd.Parameters.Add("$signature", SqliteType.Blob).Value = (object?)snapshot.Signature ?? DBNull.Value;
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }

    private readonly record struct Row(long Seq, string Hash, string PrevHash, long Time, string Body);

    private List<Row> ReadPage(long afterSeq)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT seq, hash, prev_hash, time, body FROM ledger WHERE seq > $after ORDER BY seq LIMIT $limit;";
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$limit", ReadPageSize);
        using var r = cmd.ExecuteReader();
        var page = new List<Row>();
        while (r.Read()) page.Add(ReadRow(r));
        return page;
    }

    private static Row ReadRow(SqliteDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4));

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
            throw new InvalidDataException($"{Path}: ledger entry {row.Seq}: body is not a signed transaction: {e.Message}", e);
        }
        return new LedgerEntry { Seq = row.Seq, Hash = row.Hash, PrevHash = row.PrevHash, Time = row.Time, Signed = signed };
    }

    private void Exec(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _db.Dispose();
        }
    }
}
