using Sp.Ledger.Store;

namespace Sp.Ledger.Tests;

/// <summary>
/// A ledger database for one test, on either store the node can be configured with: a SQLite file in a temporary
/// folder, or a fresh database of the private PostgreSQL cluster. Suites written against this run on both.
/// </summary>
public abstract class TestStore : IDisposable
{
    /// <summary>Opens the store (the same database each time, as a restart would).</summary>
    public abstract ILedgerStore Open();

    /// <summary>A reader beside the open store (as `sp-node log export` beside a running node).</summary>
    public abstract ILedgerStore OpenReader();

    /// <summary>Runs SQL on the database directly, with the append-only triggers out of the way.</summary>
    public abstract void Tamper(string sql);

    /// <summary>Removes the whole ledger, as if the database were replaced by an empty one.</summary>
    public abstract void Wipe();

    public virtual void Dispose() { }
}

public sealed class SqliteTestStore : TestStore
{
    private readonly TempDb _db = new();

    /// <summary>The SQLite file.</summary>
    public string Path => _db.Path;

    public override ILedgerStore Open() => new SqliteLedgerStore(_db.Path);
    public override ILedgerStore OpenReader() => new SqliteLedgerStore(_db.Path);
    public override void Tamper(string sql) => _db.Tamper(sql);

    public override void Wipe()
    {
        foreach (var f in Directory.GetFiles(System.IO.Path.GetDirectoryName(_db.Path)!)) File.Delete(f);
    }
    public override void Dispose() => _db.Dispose();
}

public sealed class PostgresTestStore(PostgresCluster cluster) : TestStore
{
    private readonly string _connection = cluster.CreateDatabase();

    /// <summary>The test database's connection string.</summary>
    public string ConnectionString => _connection;

    public override ILedgerStore Open() => new NpgsqlLedgerStore(_connection);
    public override ILedgerStore OpenReader() => new NpgsqlLedgerStore(_connection, readOnly: true);
    public override void Wipe() => PostgresCluster.Execute(_connection, "DROP TABLE IF EXISTS ledger; DROP TABLE IF EXISTS ledger_meta; DROP TABLE IF EXISTS ledger_snapshot; DROP TABLE IF EXISTS ledger_lease;");

    public override void Tamper(string sql) =>
        PostgresCluster.Execute(_connection, "ALTER TABLE ledger DISABLE TRIGGER USER; " + sql + " ALTER TABLE ledger ENABLE TRIGGER USER;");
}
