using System.Text.Json;
using System.Text.Json.Nodes;
using Sp.Api;
using Sp.Core.Json;
using Sp.Ledger.Log;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Tlog;

namespace Sp.Node;

/// <summary>Files of the node folder that belong to the transparency log.</summary>
public sealed record LogPaths(string Root)
{
    /// <summary>The log's signer key (secret).</summary>
    public string SignerKey => Path.Combine(Root, "log-key");
    /// <summary>The verifier key clients pin (note key format).</summary>
    public string VerifierKey => Path.Combine(Root, "log-key.pub");
    /// <summary>The latest signed checkpoint.</summary>
    public string Checkpoint => Path.Combine(Root, "log", "checkpoint");
    /// <summary>Held (flock) by the running node: one writer per folder.</summary>
    public string Lock => Path.Combine(Root, "node.lock");
    public string Settings => Path.Combine(Root, "node.json");
    public string Ledger => Path.Combine(Root, "ledger.db");
}

/// <summary>
/// The node's ledger as a running transparency log: opens the store chosen in node.json, replays it into the
/// service and the log tree, checks the tree against the latest signed checkpoint, and keeps signing.
/// </summary>
public sealed class LedgerHosting : IDisposable
{
    /// <summary>How often a checkpoint is signed (and persisted) while the tree grows, besides on every read.</summary>
    public static readonly TimeSpan SigningInterval = TimeSpan.FromSeconds(1);

    private readonly FileStream _lock;

    private LedgerHosting(FileStream lockFile, LedgerService service, TransparencyLog log)
    {
        _lock = lockFile;
        Service = service;
        Log = log;
    }

    public LedgerService Service { get; }
    public TransparencyLog Log { get; }

    /// <param name="snapshotEvery">Entries between two snapshots of the state and the log tree (0: none).</param>
    /// <param name="failover">One of several nodes on one PostgreSQL ledger: start as a follower (<see cref="LedgerFailover"/>).</param>
    public static LedgerHosting Open(string nodeDir, string network, Sp.Ledger.State.TeeCertificateReader teeCertificates, TimeProvider time,
        long snapshotEvery = LedgerSnapshotOptions.DefaultEvery, bool failover = false)
    {
        var paths = new LogPaths(Path.GetFullPath(nodeDir));
        var lockFile = AcquireLock(paths) ?? throw new InvalidOperationException($"{paths.Root} is in use by another sp-node (lock {paths.Lock} is held)");
        ILedgerStore? store = null;
        TransparencyLog? log = null;
        try
        {
            var signer = File.Exists(paths.SignerKey)
                ? LogKeyFile.Load(paths.SignerKey)
                : LogKeyFile.Create(paths.SignerKey, paths.VerifierKey, LogKeyFile.DefaultOrigin(network)); // a folder from before the log
            store = ReadStoreSettings(paths).Open(paths.Ledger, readOnly: false, candidate: failover);
            log = new TransparencyLog(signer, paths.Checkpoint, store);
            var service = new LedgerService(store, network, time, log.Append, teeCertificates,
                new LedgerSnapshotOptions { Every = snapshotEvery, Tree = log.Tree, Key = signer });
            try
            {
                log.CheckAgainstLatest();
                log.Follow(service);
            }
            catch
            {
                service.Dispose();
                throw;
            }
            log.StartSigning(SigningInterval);
            return new LedgerHosting(lockFile, service, log);
        }
        catch
        {
            log?.Dispose();
            store?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>node.json's optional <c>store</c> member; SQLite in the folder when absent.</summary>
    public static LedgerStoreSettings ReadStoreSettings(LogPaths paths)
    {
        var node = JsonNode.Parse(File.ReadAllText(paths.Settings))?["store"];
        return node is null ? new LedgerStoreSettings() : node.Deserialize<LedgerStoreSettings>(SpJson.Options) ?? new LedgerStoreSettings();
    }

    /// <summary>The exclusive lock on the folder, or null when another process holds it.</summary>
    public static FileStream? AcquireLock(LogPaths paths)
    {
        try
        {
            // On Linux .NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None: released when the process dies.
            return new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            Log.CurrentCheckpoint(); // the persisted checkpoint covers everything committed
        }
        catch (Exception e) when (e is IOException or LogConsistencyException or ObjectDisposedException)
        {
        }
        Log.Dispose();
        Service.Dispose();
        _lock.Dispose();
    }
}

/// <summary>HTTP endpoints of the log: C2SP tlog-tiles under <c>/log/</c>, plus two JSON helpers under <c>/api/</c>.</summary>
public static class LogEndpoints
{
    public const string LogPrefix = "/log";
    public const string CheckpointContentType = "text/plain; charset=utf-8";
    public const string TileContentType = "application/octet-stream";
    /// <summary>
    /// Tiles and entry bundles, full or partial, never change once served (tlog-tiles: "immutable, so its caching
    /// headers SHOULD be long-lived"): a partial tile <c>N.p/W</c> is the first W hashes of tile N, whatever the
    /// tree grows to. A tile beyond the tree is a 404 that must not be cached.
    /// </summary>
    public const string ImmutableCaching = "public, max-age=31536000, immutable";
    /// <summary>The checkpoint moves on: revalidate every time.</summary>
    public const string MutableCaching = "no-cache";
    /// <summary>What is not there yet (a tile or bundle beyond the tree) may be there in a second.</summary>
    public const string NotFoundCaching = "no-store";

    /// <param name="witnesses">When set, the checkpoint is served with the witnesses' cosignatures collected for it.</param>
    public static WebApplication MapTransparencyLog(this WebApplication app, LedgerHosting hosting, WitnessCollector? witnesses = null)
    {
        var log = hosting.Log;
        var ledger = hosting.Service;

        app.MapGet($"{LogPrefix}/checkpoint", async (HttpResponse resp) =>
        {
            var current = log.CurrentCheckpoint();
            var note = witnesses is null ? current.NoteBytes.ToArray() : await witnesses.CosignedAsync(current);
            resp.Headers.CacheControl = MutableCaching;
            return Results.Bytes(note, CheckpointContentType);
        });

        app.MapGet(LogPrefix + "/tile/{**path}", (string path, HttpRequest req, HttpResponse resp) =>
        {
            var data = TileId.TryParsePath("tile/" + path, out var tile) ? log.ReadTile(tile) : null;
            if (data is null)
            {
                resp.Headers.CacheControl = NotFoundCaching;
                return Results.NotFound();
            }
            resp.Headers.CacheControl = ImmutableCaching;
            // tlog-tiles: entry bundles SHOULD be compressed at the HTTP layer (gzip, for clients that accept it).
            if (tile.IsEntryBundle && AcceptsGzip(req))
            {
                resp.Headers.ContentEncoding = "gzip";
                resp.Headers.Vary = "Accept-Encoding";
                return Results.Bytes(Gzip(data), TileContentType);
            }
            return Results.Bytes(data, TileContentType);
        });

        app.MapGet("/api/log", (HttpRequest req) =>
            Results.Json(new LogInfo(log.Origin, log.Verifier.VerifierKey, $"{req.Scheme}://{req.Host}{LogPrefix}", log.Tree.Size), SpJson.Options));

        app.MapGet("/api/state/digest", () =>
            Results.Json(ledger.Read(s => new StateDigest(s.Height, LedgerService.ComputeDigest(s))), SpJson.Options));

        return app;
    }

    /// <summary>Accept-Encoding names gzip (or *) with a quality above 0 (RFC 9110 12.5.3).</summary>
    internal static bool AcceptsGzip(HttpRequest req)
    {
        foreach (var item in req.Headers.AcceptEncoding.SelectMany(v => (v ?? "").Split(',')))
        {
            var parts = item.Split(';', StringSplitOptions.TrimEntries);
            if (!parts[0].Equals("gzip", StringComparison.OrdinalIgnoreCase) && parts[0] != "*") continue;
            var q = parts.Skip(1).Select(p => p.Replace(" ", "")).FirstOrDefault(p => p.StartsWith("q=", StringComparison.OrdinalIgnoreCase));
            if (q is null || double.TryParse(q[2..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var quality) && quality > 0)
                return true;
        }
        return false;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }
}
