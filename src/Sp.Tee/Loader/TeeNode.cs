using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sp.Attestation;
using Sp.Certification;
using Sp.Client;
using Sp.Api;
using Sp.Client.Config;
using Sp.Client.Ledger;
using Sp.Client.Storage;
using Sp.Core;
using Sp.Core.Json;
using Sp.Core.Resilience;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;
using Sp.Tlog;
using Sp.Ledger.Transactions;
using Sp.Tee.Runtime;

namespace Sp.Tee.Loader;

/// <summary>
/// The trusted loader's life: create keys in memory, attest them, obtain the TEE certificate, register or update
/// the TEE offer, clean what a previous (killed) loader of this offer left behind, then take the orders of that
/// offer first come first served, running up to <see cref="Capacity"/> of them at once.
/// </summary>
public sealed partial class TeeNode : IDisposable
{
    private readonly TeeConfig _config;
    private readonly string _configDir;
    private readonly NodeClient _node;
    private readonly AccountKey _account;
    private readonly TeeIdentity _identity = TeeIdentity.Create();
    // The TEE's own ledger account, created in memory and bound into its evidence: the only key the ledger accepts
    // for order.start, order.report and order.finish. The provider's account (tee.json) keeps offers and slots.
    private readonly AccountKey _teeAccount = AccountKey.Generate();
    private readonly HpkeKeyPair _encryption = HpkeKeyPair.Generate();
    private readonly IContainerRuntime _runtime;
    private TeeState? _state;
    private readonly Dictionary<long, SlotInfo> _slots = new();
    private ScratchSpace? _scratch;
    private readonly ClientLog? _log;
    private ImageLeases? _images;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Docker label naming the loader (account and offer) that started a solution container.</summary>
    public const string LoaderLabel = "sp.tee.loader";

    /// <param name="time">The loader's clock (<see cref="TimeProvider.System"/> in sp-tee): order certificates, the deposit watch, log.txt, the queue's polls.</param>
    public TeeNode(TeeConfig config, string configDir, IContainerRuntime runtime, TimeProvider time, ILoggerFactory? loggers = null)
    {
        _time = time;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger<TeeNode>();
        _config = config;
        _configDir = configDir;
        _node = new NodeClient(config.NodeUrl, time: time);
        _account = AccountKey.FromHex(config.AccountPrivateKey);
        _runtime = runtime;
        if (config.LogTrust() is (var key, var witnesses))
        {
            _log = ClientLog.Open(key, LogLocation.OfNode(config.NodeUrl), configDir, config.Network, time, witnesses);
            // Every transaction of the loader (offer, certificate, order start, report, finish) is proved in the log.
            var calls = new NodeCalls(_node, _account, config.Network, Warn);
            _node.AfterSubmit = (tx, receipt, ct) =>
                calls.ReadAsync(c => _log.ProveSubmittedAsync(tx, receipt, c), $"proving ledger entry {receipt.Seq} in the log", ct);
        }
        // Results go where tee.json's storage says (checked now: a loader with no usable store takes no order).
        _stores = new OrderStores(BlobStores.FromConfig(config.Storage, configDir, _node, _account, config.Network, "tee.json"), BlobStores.LocalFolder(config.Storage, configDir),
            config.InputEndpoints());
        _machineMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Capacity = config.Capacity(Environment.ProcessorCount, _machineMemory);
    }

    private readonly long _machineMemory;
    private readonly OrderStores _stores;

    public long OfferId => _state?.OfferId ?? 0;

    /// <summary>Orders run at once.</summary>
    public int Capacity { get; } 

    /// <summary>The most orders that ran at once so far (for tests and figures).</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);
    private int _peak;
    private int _running;

    /// <summary>This loader's scratch folder (decrypted inputs live only below it); known after <see cref="StartAsync"/>.</summary>
    public string ScratchRoot => _scratch?.Root ?? throw new InvalidOperationException("the loader has not started");

    /// <summary>Names this loader (account and offer) in its scratch folder and container labels.</summary>
    public string LoaderId => $"{_account.Address.Lower[2..14]}-offer-{OfferId}";

    public async Task StartAsync(CancellationToken ct)
    {
        var teeAddress = Convert.FromHexString(_teeAccount.Address.Lower[2..]);
        var evidence = CreateEvidenceProvider().GetEvidence(TeeKeyBinding.ReportData(_identity.SigningKeySpki, _encryption.PublicKey, teeAddress));
        var csr = _identity.CreateCsr($"SP TEE loader {_account.Address}");
        var cert = await Retry(() => _node.RequestTeeCertificateAsync(new TeeCertificateRequest(
            Convert.ToBase64String(csr), Convert.ToBase64String(_encryption.PublicKey), evidence.Type, Convert.ToBase64String(evidence.Data),
            _teeAccount.Address.Lower), ct), ct);
        _identity.AttachCertificateChain(cert.CertificateChain);
        if (_log is null) Warn("tee.json pins no ledger log key (logKey): the loader's transactions are not checked against the log");
        else
        {
            var c = (await _log.CheckpointAsync(ct)).Checkpoint;
            LogVerified(_logger, c.Origin, c.TreeSize, _log.Tracker.CheckpointPath);
        }
        await RegisterOfferAsync(ct);
        await CleanUpAfterPreviousRunAsync(ct);
        Serving(_logger, _state!.OfferId, evidence.Type, _teeAccount.Address.Lower, Capacity, _scratch!.Root);
    }

    private IEvidenceProvider CreateEvidenceProvider()
    {
        switch (_config.Attestation)
        {
            case EvidenceTypes.Sim:
                var keyPath = Path.Combine(_configDir, _config.SimPlatformKey ?? throw new InvalidDataException("tee.json: simPlatformKey is required for sim attestation"));
                var platform = SimPlatform.FromPem(File.ReadAllText(keyPath));
                var dir = AppContext.BaseDirectory;
                var files = Directory.GetFiles(dir, "*.dll").Append(Path.Combine(dir, "sp-tee.runtimeconfig.json")).Where(File.Exists)
                    .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
                return new SimEvidenceProvider(platform, LoaderMeasurement.OfFiles(dir, files), _time);
            case EvidenceTypes.Tdx or EvidenceTypes.SevSnp:
                return new Sp.Attestation.Tsm.ConfigFsTsmProvider(_config.Attestation);
            default:
                throw new InvalidDataException($"tee.json: attestation '{_config.Attestation}' is unknown (expected sim, tdx or sev-snp)");
        }
    }

    private async Task RegisterOfferAsync(CancellationToken ct)
    {
        var statePath = Path.Combine(_configDir, _config.StateFile);
        if (File.Exists(statePath)) _state = SpJson.Deserialize<TeeState>(File.ReadAllText(statePath));
        if (_state is not null && await _node.GetOfferAsync(_state.OfferId, ct) is { } existing && existing.Offer.Owner == _account.Address.Lower)
        {
            await _node.SendAsync(_account, _config.Network, new TeeCertificateUpdate(_state.OfferId, _identity.ChainPem), ct);
            return;
        }
        if (await _node.GetProviderAsync(_account.Address, ct) is null)
            await _node.SendAsync(_account, _config.Network, new ProviderCreate(_config.ProviderName, "Runs orders in a TEE"), ct);
        var info = new OfferInfo { Name = _config.OfferName, Description = _config.OfferDescription, Group = "1", OfferType = "0", Cancelable = _config.OfferCancelable };
        var offer = await _node.SendAsync(_account, _config.Network, new OfferCreate(OfferType.TeeOffer, info, _identity.ChainPem), ct);
        var offerId = offer.Ids.Offer.Value;
        var slotInfo = new SlotInfo
        {
            Info = new SlotResources
            {
                CpuCores = Math.Max(1, Environment.ProcessorCount / Capacity), Ram = _config.MemoryBytes, DiskUsage = _config.OutputLimitBytes,
            },
            Usage = new SlotUsage { MaxTimeMinutes = _config.OrderTimeLimitSeconds / 60, MinTimeMinutes = 1, Price = "0", PriceType = "0" },
            Option = new SlotOption(),
        };
        var slot = await _node.SendAsync(_account, _config.Network, new SlotAdd(offerId, slotInfo), ct);
        _state = new TeeState(offerId, slot.Ids.Slot.Value);
        File.WriteAllText(statePath, SpJson.Serialize(_state, indented: true));
    }

    /// <summary>
    /// A killed loader leaves its scratch folders (decrypted inputs, mounts) and its solution containers behind:
    /// both are removed before any order is taken. Orders it had taken are ended by <see cref="RunAsync"/>.
    /// </summary>
    private async Task CleanUpAfterPreviousRunAsync(CancellationToken ct)
    {
        _scratch = new ScratchSpace(Path.Combine(_config.WorkDir is { } w ? Path.Combine(_configDir, w) : ScratchSpace.DefaultParent, LoaderId));
        var folders = _scratch.Clean();
        var containers = await _runtime.RemoveContainersAsync(ContainerLabels, ct);
        // Decrypted solution images live in the engine's store: the ones a killed run had loaded go too.
        _images = new ImageLeases(_runtime, Warn, Path.Combine(_configDir, "loaded-images", LoaderId));
        var images = await _images.RemoveLeftoversAsync(ct);
        if (folders + containers + images > 0)
            Cleaned(_logger, folders, containers, images);
        if (!_scratch.RootIsMemoryBacked)
            NotMemoryBacked(_logger, _scratch.Root);
    }

    private IReadOnlyDictionary<string, string> ContainerLabels => new Dictionary<string, string> { [LoaderLabel] = LoaderId };

    public async Task RunAsync(CancellationToken ct)
    {
        // Order transactions are signed by the TEE's in-memory account, never by the provider's.
        var calls = new NodeCalls(_node, _teeAccount, _config.Network, Warn);
        var provenance = _log is null ? null : new OrderProvenance(_log);
        var executor = new OrderExecutor(calls, _config, _identity, _encryption, provenance, _runtime, _scratch!, ContainerLabels, _images!, _stores,
            _time, _loggers.CreateLogger<OrderExecutor>());
        var running = new Dictionary<long, Task>();
        // At most Capacity at once, within the machine's cores and memory counted from each order's slot.
        var admission = new OrderAdmission(Capacity, Environment.ProcessorCount, _machineMemory);
        // Orders this process has run to their end: a poll answered before their finish may still list them.
        var ended = new HashSet<long>();
        var failures = new Dictionary<long, string>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var queue = await calls.ReadAsync(c => _node.GetTeeQueueAsync(_state!.OfferId, c), "polling the order queue", ct);
                var earlierWaits = false;
                foreach (var view in queue.OrderBy(v => v.Order.Id))
                {
                    var id = view.Order.Id;
                    if (running.ContainsKey(id) || ended.Contains(id)) continue;
                    if (view.Order.Status == OrderStatus.Processing)
                    {
                        // Taken by a previous run of this loader (or by this one, whose run then failed): end it.
                        var reason = failures.Remove(id, out var failure) ? $"the loader failed while executing this order: {failure}" : OrderExecutor.RestartedMessage;
                        running[id] = Task.Run(() => executor.AbandonAsync(view.Order, reason, ct), ct);
                        continue;
                    }
                    if (earlierWaits) continue; // first come, first served: nothing overtakes an order that waits for room
                    var slot = await SlotOfAsync(view.Order.SlotId, calls, ct);
                    var limits = OrderLimits.For(_config, slot);
                    if (!admission.TryAdmit(id, slot?.Info.CpuCores ?? 0, limits.MemoryBytes))
                    {
                        earlierWaits = true;
                        continue;
                    }
                    running[id] = Task.Run(() => RunCountedAsync(executor, view, slot, ct), ct);
                }

                var delay = Task.Delay(TimeSpan.FromSeconds(_config.PollSeconds), _time, ct);
                await Task.WhenAny(running.Values.Append(delay));
                foreach (var (id, task) in running.Where(r => r.Value.IsCompleted).ToList())
                {
                    running.Remove(id);
                    admission.Release(id);
                    if (task.IsCompletedSuccessfully) ended.Add(id);
                    else if (task.Exception?.GetBaseException() is IntegrityError integrity)
                    {
                        // The log contradicts what this loader verified before, or something else that must verify did
                        // not: stop taking orders (sp-tee exits 1). Never retried, never counted as one order's failure.
                        throw integrity is LogIntegrityError
                            ? new LogIntegrityError($"order {id}: {integrity.Message}; the loader stops")
                            : new IntegrityError($"order {id}: {integrity.Message}; the loader stops");
                    }
                    else if (task.Exception is { } e)
                    {
                        failures[id] = e.GetBaseException().Message;
                        LoaderFailure(_logger, id, failures[id]);
                    }
                }
                ct.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            // On shutdown, let running orders see the cancellation and clean their scratch folders.
            try { await Task.WhenAll(running.Values); } catch (Exception) when (ct.IsCancellationRequested) { }
            // A clean stop leaves no empty scratch folder behind either (a non-empty one is kept for the next start).
            try { Directory.Delete(_scratch!.Root); } catch (IOException) { }
        }
    }

    private async Task RunCountedAsync(OrderExecutor executor, OrderView view, SlotInfo? slot, CancellationToken ct)
    {
        var now = Interlocked.Increment(ref _running);
        for (var peak = Volatile.Read(ref _peak); now > peak; peak = Volatile.Read(ref _peak))
            if (Interlocked.CompareExchange(ref _peak, now, peak) == peak) break;
        try { await executor.ExecuteAsync(view, slot, ct); }
        finally { Interlocked.Decrement(ref _running); }
    }

    /// <summary>The order's TEE slot (its resources set the order's limits); null when the order names none.</summary>
    private async Task<SlotInfo?> SlotOfAsync(long? slotId, NodeCalls calls, CancellationToken ct)
    {
        if (slotId is not { } id) return null;
        if (_slots.TryGetValue(id, out var known)) return known;
        var offer = await calls.ReadAsync(c => _node.GetOfferAsync(_state!.OfferId, c), "reading the TEE offer", ct);
        foreach (var s in offer?.Slots ?? []) _slots[s.Id] = s.Info;
        return _slots.GetValueOrDefault(id);
    }

    private void Warn(string message) => Warning(_logger, message);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ledger log {Origin} verified at tree size {TreeSize} (checkpoint kept in {CheckpointPath})")]
    private static partial void LogVerified(ILogger logger, string origin, long treeSize, string checkpointPath);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "serving TEE offer {OfferId} (attestation {Attestation}, TEE account {TeeAccount}, {Capacity} orders at once, scratch {ScratchRoot})")]
    private static partial void Serving(ILogger logger, long offerId, string attestation, string teeAccount, int capacity, string scratchRoot);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "removed what a previous run left behind: {Folders} scratch folder(s), {Containers} container(s), {Images} image(s)")]
    private static partial void Cleaned(ILogger logger, int folders, int containers, int images);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{ScratchRoot} is not memory-backed; each order's folder is mounted as a tmpfs where possible")]
    private static partial void NotMemoryBacked(ILogger logger, string scratchRoot);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "order {OrderId}: loader failure: {Reason}")]
    private static partial void LoaderFailure(ILogger logger, long orderId, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void Warning(ILogger logger, string warning);

    /// <summary>A start-up call, again while the node is not yet up (<see cref="RetryPolicies.Startup"/>).</summary>
    private static async Task<T> Retry<T>(Func<Task<T>> action, CancellationToken ct) =>
        await RetryPolicies.Startup.Build().ExecuteAsync(async _ => await action(), ct);

    public void Dispose()
    {
        _node.Dispose();
        _log?.Dispose();
        _account.Dispose();
        _teeAccount.Dispose();
        _identity.Dispose();
    }
}
