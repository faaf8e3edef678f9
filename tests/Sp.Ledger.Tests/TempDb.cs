using Microsoft.Data.Sqlite;

namespace Sp.Ledger.Tests;

/// <summary>A SQLite file in a fresh temporary folder, deleted with it.</summary>
public sealed class TempDb : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-ledger-tests-").FullName;

    public string Path => System.IO.Path.Combine(_dir, "ledger.db");

    /// <summary>Runs SQL on the file directly, as someone with access to the disk would.</summary>
    public void Tamper(string sql)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete; " + sql;
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
