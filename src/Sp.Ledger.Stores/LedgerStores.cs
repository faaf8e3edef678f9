namespace Sp.Ledger.Store;

/// <summary>Which store a node uses, as written in its configuration (node.json's <c>store</c>).</summary>
public sealed record LedgerStoreSettings
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary><see cref="Sqlite"/> (default) or <see cref="Postgres"/>.</summary>
    public string Type { get; init; } = Sqlite;

    /// <summary>For PostgreSQL: the Npgsql connection string.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Opens the store; <paramref name="sqlitePath"/> is where a SQLite ledger lives. A reader
    /// (<paramref name="readOnly"/>) may open a store that a running node writes. A <paramref name="candidate"/>
    /// (fail-over, PostgreSQL only) reads until it wins the sequencer lease (<see cref="ILedgerLeaseStore"/>).</summary>
    public ILedgerStore Open(string sqlitePath, bool readOnly, bool candidate = false) => Type switch
    {
        Sqlite when candidate => throw new InvalidDataException("failover needs store.type \"postgres\": several nodes share one PostgreSQL ledger, a SQLite ledger has one node"),
        Sqlite => new SqliteLedgerStore(sqlitePath),
        Postgres => new NpgsqlLedgerStore(ConnectionString
            ?? throw new InvalidDataException("store.connectionString is required when store.type is \"postgres\""), readOnly, candidate),
        _ => throw new InvalidDataException($"store.type is \"{Type}\"; expected \"{Sqlite}\" or \"{Postgres}\""),
    };
}
