using Sp.Attestation;
using Sp.Certification;
using Sp.Api;
using Sp.Core.Ids;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Service;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Node;

public static partial class NodeHost
{
    /// <param name="time">The node's clock (<see cref="TimeProvider.System"/>): ledger entries' times, certificates, request signatures.</param>
    public static async Task<int> RunAsync(string dir, string urls, LogLevel logLevel, TimeProvider time)
    {
        var paths = new NodePaths(Path.GetFullPath(dir));
        if (!File.Exists(paths.Settings)) throw new InvalidOperationException($"{paths.Root} is not a node folder: run `sp-node init {dir}` first");
        var settings = SpJson.Deserialize<NodeSettings>(File.ReadAllText(paths.Settings));
        var limits = settings.Limits;
        settings.Validate();

        using var ca = RootCa.FromPem(File.ReadAllText(paths.RootCaCert), File.ReadAllText(paths.RootCaKey));
        // Store from node.json + transparency log; TEE certificates are checked against this network's root.
        using var hosting = LedgerHosting.Open(paths.Root, settings.Network, Sp.Ledger.State.TeeCertificateReaders.Against(ca.Certificate), time,
            settings.SnapshotEvery, failover: settings.Failover is not null);
        var ledger = hosting.Service;
        ledger.QueueLimit = limits.LedgerQueue;
        var policy = AttestationPolicy.Load(paths.Policy);
        var policyJson = File.ReadAllText(paths.Policy);
        var blobs = new BlobRepository(paths.Blobs, new StorageQuota(limits.StorageObjectsPerAccount, limits.StorageBytesPerAccount));

        // No configuration files are read, so none is watched: a watcher on the content root (the working folder,
        // often above the node's folder) read an inotify event for every write to the ledger and the blobs.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.WebHost.UseUrls(urls);
        // Every body is capped before it is read; storage uploads raise their own limit to the owner's quota.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = limits.RequestBytes);
        // Storage uploads are GiB-sized: 64 KiB receive blocks instead of 4 KiB, and no zero-byte read before each
        // receive (docs/benchmarks.md, "Through the embedded storage over HTTP").
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.WebHost.UseSockets(o => o.WaitForDataBeforeAllocatingBuffer = false);
        NodeLogging.Configure(builder.Logging, logLevel);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            foreach (var c in SpJson.Options.Converters) o.SerializerOptions.Converters.Add(c);
            o.SerializerOptions.PropertyNamingPolicy = SpJson.Options.PropertyNamingPolicy;
            o.SerializerOptions.DefaultIgnoreCondition = SpJson.Options.DefaultIgnoreCondition;
            o.SerializerOptions.Encoder = SpJson.Options.Encoder;
        });
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node");
        LogLedgerStart(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node.Ledger"), ledger);
        app.UseRequestLog(time);
        app.UseRequestBodyLimit(limits.RequestBytes);
        using var witnesses = WitnessCollector.Create(settings.Witnessing, hosting.Log, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node.Witnesses"), paths.Settings, time);
        app.MapTransparencyLog(hosting, witnesses);

        app.MapGet("/api/info", () => Query(s => new NodeInfo(settings.Network, ca.CertificatePem, policyJson, s.Height, s.LastHash)));

        app.MapGet("/api/accounts/{address}/nonce", (string address) =>
            Address.TryParse(address, out var a)
                ? Results.Ok(new NonceResponse(a.ToString(), ledger.Read(s => s.NextNonce(a.Lower))))
                : Error(400, $"'{address}' is not an account address"));

        app.MapGet("/api/accounts/{address}/balance", (string address) =>
            Address.TryParse(address, out var a)
                ? Query(s => ApiMapping.Balance(s, a))
                : Error(400, $"'{address}' is not an account address"));

        // Fail-over: followers tail the shared store and forward writes; the leader sequences (docs/ledger.md, "Fail-over").
        using var failover = settings.Failover is { } fo
            ? new LedgerFailover(ledger, fo.AdvertiseUrl ?? urls.Split(';')[0], fo, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node.Failover"), time)
            : null;
        if (failover is not null) app.MapFailover(failover);
        app.MapTransactions(ledger, limits, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node.Transactions"), failover);

        // State objects change under the ledger's lock, so each answer is copied into Sp.Api's DTOs (ApiMapping) and
        // serialised while holding it.
        IResult Query<T>(Func<MarketState, T?> query) where T : class
        {
            var json = ledger.Read(s => query(s) is { } v ? SpJson.Serialize(v) : null);
            return json is null ? Results.NotFound() : Results.Content(json, "application/json");
        }

        // Pages: providers whose lowercase address sorts after cursor, at most limit of them (all when absent), in address order.
        app.MapGet("/api/providers", (string? cursor, int? limit) =>
        {
            var after = cursor?.ToLowerInvariant(); // once per request, not once per provider
            return Query(s =>
            s.Providers.Values.Where(p => after is null || string.CompareOrdinal(p.Address, after) > 0)
                .OrderBy(p => p.Address, StringComparer.Ordinal).Take(limit is > 0 ? limit.Value : int.MaxValue).Select(p => p.ToDto()).ToList());
        });

        app.MapGet("/api/providers/{address}", (string address) =>
            Address.TryParse(address, out var a) ? Query(s => s.Providers.GetValueOrDefault(a.Lower)?.ToDto()) : Results.NotFound());

        // Pages: offers with id > cursor, at most limit of them (all when absent), in id order.
        app.MapGet("/api/offers", (string? type, long? cursor, int? limit) => Query(s =>
            s.Offers.Values.Where(o => MatchesType(o.Type, type) && o.Id > (cursor ?? 0))
                .Take(limit is > 0 ? limit.Value : int.MaxValue).Select(o => ApiMapping.OfferView(s, o)).ToList()));

        app.MapGet("/api/offers/{id:long}", (long id) =>
            Query(s => s.Offers.TryGetValue(id, out var o) ? ApiMapping.OfferView(s, o) : null));

        app.MapGet("/api/orders/{id:long}", (long id) =>
            Query(s => s.Orders.TryGetValue(id, out var o) ? ApiMapping.OrderView(s, o) : null));

        // Newest first. offers: comma-separated offer ids (any of them); status: comma-separated names or numbers (any
        // of them); cursor: only orders with a lower id (the last id of the previous page); limit: at most that many.
        app.MapGet("/api/orders", (string? consumer, string? status, string? type, long? offer, string? offers, long? cursor, int? limit) =>
        {
            var offerIds = new HashSet<long>();
            foreach (var part in (offers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!LedgerId.TryParse<OfferId>(part, out var id)) return Error(400, $"offers: '{part}' is not an offer id");
                offerIds.Add(id.Value);
            }
            if (offer is { } single) offerIds.Add(single);
            var wanted = new HashSet<OrderStatus>();
            foreach (var part in (status ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<OrderStatus>(part, ignoreCase: true, out var st) || !Enum.IsDefined(st))
                    return Error(400, $"status: '{part}' is not an order status (expected one of {string.Join(", ", Enum.GetNames<OrderStatus>())})");
                wanted.Add(st);
            }
            if (limit is <= 0) return Error(400, $"limit: expected a positive number, got {limit}");
            return Query(s => s.Orders.Values.Reverse()
                .Where(o => cursor is null || o.Id < cursor)
                .Where(o => consumer is null || string.Equals(o.Consumer, consumer, StringComparison.OrdinalIgnoreCase))
                .Where(o => wanted.Count == 0 || wanted.Contains(o.Status))
                .Where(o => type is null || MatchesType(o.Type, type))
                .Where(o => offerIds.Count == 0 || offerIds.Contains(o.OfferId))
                .Take(limit ?? int.MaxValue)
                .Select(o => o.ToDto()).ToList());
        });

        app.MapGet("/api/orders/{id:long}/report", (long id) => Query(s =>
            s.Orders.TryGetValue(id, out var o) ? ApiMapping.ReportView(o) : null));

        // The loader of a TEE offer polls here for its work: orders ready to start (New) and those it had taken.
        app.MapGet("/api/tee/{offerId:long}/queue", (long offerId) => Query(s =>
            s.Orders.Values
                .Where(o => o.ParentId is null && o.OfferId == offerId && o.Status is OrderStatus.New or OrderStatus.Processing)
                .Select(o => ApiMapping.OrderView(s, o)).ToList()));

        app.MapPost("/api/ca/tee", (TeeCertificateRequest req) =>
        {
            try
            {
                var account = Sp.Crypto.Accounts.Address.TryParse(req.Account, out var a)
                    ? Convert.FromHexString(a.Lower[2..])
                    : throw new FormatException($"account: expected the TEE's ledger address (0x and 40 hex digits), got '{req.Account}'");
                var chain = ca.IssueTeeCertificate(Convert.FromBase64String(req.Csr), Convert.FromBase64String(req.EncryptionPublicKey), account,
                    new Evidence(req.EvidenceType, Convert.FromBase64String(req.Evidence)), policy, EvidenceVerifiers.Default,
                    time.GetUtcNow(), TimeSpan.FromDays(30));
                TeeCertificateIssued(log, req.Account, req.EvidenceType);
                return Results.Ok(new TeeCertificateResponse(chain));
            }
            catch (Exception e) when (e is AttestationException or FormatException or System.Security.Cryptography.CryptographicException)
            {
                TeeCertificateRefused(log, req.Account, req.EvidenceType, e.Message);
                return Error(400, $"certificate refused: {e.Message}");
            }
        });

        app.MapStorage(blobs, new SignedRequests(settings.Network, TimeSpan.FromSeconds(limits.SignatureWindowSeconds), time));

        await using var publisher = settings.Publish is { } publish
            ? new StaticLog.StaticLogPublisher(hosting.Log, publish.Open(paths.Root), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node.StaticLog"), time,
                witnesses is null ? null : witnesses.CosignedAsync)
            : null;
        if (publisher is not null) await publisher.StartAsync(LedgerHosting.SigningInterval, app.Lifetime.ApplicationStopping);
        failover?.Start();
        // A store whose writer session is lost (or superseded) stops the node: its supervisor starts it again.
        var leaseLost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        ledger.LeaseLost += e => leaseLost.TrySetResult(e);
        var mustStop = failover?.Failed ?? leaseLost.Task;
        _ = mustStop.ContinueWith(_ => app.Lifetime.StopApplication(), TaskScheduler.Default);
        await app.StartAsync();
        if (log.IsEnabled(LogLevel.Information)) Serving(log, settings.Network, string.Join(", ", app.Urls), ledger.Height, paths.Root);
        // The entries a snapshot stood in for are audited while the node serves; a corrupt one stops it (exit 1).
        _ = ledger.PrefixAudit.ContinueWith(t =>
        {
            if (t.IsFaulted) app.Lifetime.StopApplication();
        }, TaskScheduler.Default);
        await app.WaitForShutdownAsync();
        if (ledger.PrefixAudit is { IsFaulted: true } failed)
        {
            var e = failed.Exception!.InnerException!;
            LedgerAuditFailed(log, e.Message);
            throw e is Sp.Ledger.Service.LedgerCorruptedException c ? new Sp.Ledger.Service.LedgerCorruptedException(c.Seq, c.Reason, c) : e;
        }
        if (mustStop.IsCompleted)
        {
            LedgerAuditFailed(log, mustStop.Result.Message);
            return 1;
        }
        Stopped(log, ledger.Height);
        return 0;
    }

    private static void LogLedgerStart(ILogger log, Sp.Ledger.Service.LedgerService ledger)
    {
        var start = ledger.Start;
        if (start.SnapshotHeight > 0)
        {
            FromSnapshot(log, start.SnapshotHeight, start.Replayed);
            var height = start.SnapshotHeight;
            _ = ledger.PrefixAudit.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully && t.Result is { } took) AuditPassed(log, height, (long)took.TotalMilliseconds);
            }, TaskScheduler.Default);
        }
        else if (start.SnapshotRefused is { } reason) SnapshotRefused(log, reason, start.Replayed);
        else if (start.SnapshotsOn) NoSnapshot(log, start.Replayed);
        else SnapshotsOff(log, start.Replayed);
        ledger.SnapshotWritten += (height, error) =>
        {
            if (error is null) SnapshotWritten(log, height);
            else SnapshotFailed(log, height, error.Message);
        };
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "ledger started from its snapshot at height {SnapshotHeight}: {Replayed} entries replayed after it; entries 1..{SnapshotHeight} are audited in the background")]
    private static partial void FromSnapshot(ILogger logger, long snapshotHeight, long replayed);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "ledger snapshot not used: {Reason}; full replay of {Replayed} entries")]
    private static partial void SnapshotRefused(ILogger logger, string reason, long replayed);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "no ledger snapshot yet: full replay of {Replayed} entries")]
    private static partial void NoSnapshot(ILogger logger, long replayed);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "ledger snapshots are off (snapshotEvery 0): full replay of {Replayed} entries")]
    private static partial void SnapshotsOff(ILogger logger, long replayed);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "audit of ledger entries 1..{SnapshotHeight} against the snapshot's log tree and state passed ({ElapsedMs} ms from the start)")]
    private static partial void AuditPassed(ILogger logger, long snapshotHeight, long elapsedMs);

    [LoggerMessage(EventId = 15, Level = LogLevel.Critical, Message = "stopping: {Reason}")]
    private static partial void LedgerAuditFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "ledger snapshot written at height {Height}")]
    private static partial void SnapshotWritten(ILogger logger, long height);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "ledger snapshot at height {Height} not written: {Reason}")]
    private static partial void SnapshotFailed(ILogger logger, long height, string reason);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "serving network {Network} on {Urls} (ledger height {Height}, folder {NodeDir})")]
    private static partial void Serving(ILogger logger, string network, string urls, long height, string nodeDir);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "stopped (ledger height {Height})")]
    private static partial void Stopped(ILogger logger, long height);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "TEE certificate issued to account {Account} ({EvidenceType} evidence)")]
    private static partial void TeeCertificateIssued(ILogger logger, string account, string evidenceType);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "TEE certificate refused to account {Account} ({EvidenceType} evidence): {Reason}")]
    private static partial void TeeCertificateRefused(ILogger logger, string account, string evidenceType, string reason);

    private static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), SpJson.Options, statusCode: status);

    private static bool MatchesType(OfferType t, string? type) => type?.ToLowerInvariant() switch
    {
        null or "" or "all" => true,
        "tee" or "teeoffer" or "0" => t == OfferType.TeeOffer,
        "value" => t != OfferType.TeeOffer,
        "data" or "3" => t == OfferType.Data,
        "solution" or "2" => t == OfferType.Solution,
        "storage" or "1" => t == OfferType.Storage,
        _ => false,
    };
}
