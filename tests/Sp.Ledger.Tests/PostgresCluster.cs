using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Sp.Ledger.Tests;

/// <summary>
/// A private PostgreSQL cluster for tests: Debian's <c>postgresql</c> package is installed with apt-get when no
/// server binaries are found under /usr/lib/postgresql/*/bin, then <c>initdb</c> and <c>pg_ctl</c> run as the
/// <c>postgres</c> user (PostgreSQL refuses to run as root) in a temporary folder, on a free loopback port, with
/// trust authentication. Tests that use it fail, never skip, when any of this cannot be done.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private const string ServerUser = "postgres";
    private static readonly Lock InstallLock = new();
    private readonly string _bin;
    private int _databases;

    public PostgresCluster()
    {
        _bin = FindOrInstallBinaries();
        // Under /tmp (world-traversable): the postgres user must reach the folder, which a private TMPDIR may not allow.
        Dir = Path.Combine(Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath(), $"sp-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Dir);
        Port = FreePort();
        Run("chown", ServerUser, Dir);
        var data = Path.Combine(Dir, "data");
        AsPostgres(Path.Combine(_bin, "initdb"), "-D", data, "-U", ServerUser, "--auth=trust", "-E", "UTF8", "--no-instructions");
        AsPostgres(Path.Combine(_bin, "pg_ctl"), "-D", data, "-l", Path.Combine(Dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {Dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on", "start");
    }

    public string Dir { get; }
    public int Port { get; }

    /// <summary>Connection string of the cluster's maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = ServerUser, Database = database, Pooling = false }.ToString();

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        Execute(AdminConnectionString, $"CREATE DATABASE {name};");
        return ConnectionString(name);
    }

    public static void Execute(string connectionString, string sql)
    {
        using var db = new NpgsqlConnection(connectionString);
        db.Open();
        using var cmd = new NpgsqlCommand(sql, db);
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        try
        {
            AsPostgres(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(Dir, "data"), "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string FindOrInstallBinaries()
    {
        lock (InstallLock)
        {
            if (Find() is { } bin) return bin;
            Run("apt-get", "update", "-qq");
            Run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "postgresql");
            return Find() ?? throw new InvalidOperationException("PostgreSQL was installed but no initdb was found under /usr/lib/postgresql/*/bin");
        }
    }

    private static string? Find()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => b, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private static void AsPostgres(string exe, params string[] args) =>
        Run("runuser", ["-u", ServerUser, "--", exe, .. args]);

    private static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} did not finish in 10 minutes");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}): {stdout.Result}{stderr.Result}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>One cluster shared by the tests of a collection.</summary>
[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>;
