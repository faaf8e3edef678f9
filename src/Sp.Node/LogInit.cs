using System.Text.Json;
using System.Text.Json.Nodes;
using Sp.Core.Json;
using Sp.Ledger.Log;
using Sp.Ledger.Store;

namespace Sp.Node;

/// <summary>
/// The log's part of <c>sp-node init</c>: a new Ed25519 log key named after the origin (signer key secret, verifier
/// key beside it) and, when not the default SQLite, the ledger store in node.json's <c>store</c> member.
/// </summary>
public sealed record LogInit(string? Origin = null, LedgerStoreSettings? Store = null)
{
    /// <summary>From <c>--log-origin NAME</c>, <c>--store sqlite|postgres</c> and <c>--postgres CONNECTION</c>.</summary>
    public static LogInit FromOptions(string? origin, string? storeType, string? connectionString)
    {
        if (connectionString is not null && storeType is null) storeType = LedgerStoreSettings.Postgres;
        var store = storeType is null ? null : new LedgerStoreSettings { Type = storeType, ConnectionString = connectionString };
        if (store is { Type: LedgerStoreSettings.Postgres, ConnectionString: null })
            throw new InvalidOperationException("--store postgres needs --postgres \"Host=...;Port=...;Username=...;Database=...\"");
        if (store is not null && store.Type is not (LedgerStoreSettings.Sqlite or LedgerStoreSettings.Postgres))
            throw new InvalidOperationException($"--store {store.Type}: expected sqlite or postgres");
        return new LogInit(origin, store);
    }

    public void Apply(string nodeDir, string network)
    {
        var paths = new LogPaths(Path.GetFullPath(nodeDir));
        if (Store is { Type: not LedgerStoreSettings.Sqlite })
        {
            var settings = JsonNode.Parse(File.ReadAllText(paths.Settings))!.AsObject();
            settings["store"] = JsonSerializer.SerializeToNode(Store, SpJson.Options);
            File.WriteAllText(paths.Settings, settings.ToJsonString(SpJson.Indented));
            using var probe = Store.Open(paths.Ledger, readOnly: false); // creates the schema, and fails now rather than at run
        }
        var origin = Origin ?? LogKeyFile.DefaultOrigin(network);
        var signer = LogKeyFile.Create(paths.SignerKey, paths.VerifierKey, origin);
        Console.WriteLine($"log origin: {origin}");
        Console.WriteLine($"log verifier key: {signer.Verifier.VerifierKey}");
    }
}
