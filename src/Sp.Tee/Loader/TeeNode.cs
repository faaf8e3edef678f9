using Sp.Attestation;
using Sp.Certification;
using Sp.Client;
using Sp.Client.Api;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;
using Sp.Ledger.Transactions;
using Sp.Tee.Runtime;

namespace Sp.Tee.Loader;

/// <summary>
/// The trusted loader's life: create keys in memory, attest them, obtain the TEE certificate, register or update
/// the TEE offer, then take and execute the orders of that offer one after another.
/// </summary>
public sealed class TeeNode : IDisposable
{
    private readonly TeeConfig _config;
    private readonly string _configDir;
    private readonly NodeClient _node;
    private readonly AccountKey _account;
    private readonly TeeIdentity _identity = TeeIdentity.Create();
    private readonly HpkeKeyPair _encryption = HpkeKeyPair.Generate();
    private readonly IContainerRuntime _runtime;
    private TeeState? _state;

    public TeeNode(TeeConfig config, string configDir, IContainerRuntime runtime)
    {
        _config = config;
        _configDir = configDir;
        _node = new NodeClient(config.NodeUrl);
        _account = AccountKey.FromHex(config.AccountPrivateKey);
        _runtime = runtime;
    }

    public long OfferId => _state?.OfferId ?? 0;

    public async Task StartAsync(CancellationToken ct)
    {
        var evidence = CreateEvidenceProvider().GetEvidence(TeeKeyBinding.ReportData(_identity.SigningKeySpki, _encryption.PublicKey));
        var csr = _identity.CreateCsr($"SP TEE loader {_account.Address}");
        var cert = await Retry(() => _node.RequestTeeCertificateAsync(new TeeCertificateRequest(
            Convert.ToBase64String(csr), Convert.ToBase64String(_encryption.PublicKey), evidence.Type, Convert.ToBase64String(evidence.Data)), ct), ct);
        _identity.AttachCertificateChain(cert.CertificateChain);
        await RegisterOfferAsync(ct);
        Console.WriteLine($"sp-tee: serving TEE offer {_state!.OfferId} (attestation {evidence.Type})");
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
                return new SimEvidenceProvider(platform, LoaderMeasurement.OfFiles(dir, files));
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
            await _node.SendAsync(_account, _config.Network, TxTypes.TeeCertificateUpdate, new TeeCertificateUpdate(_state.OfferId, _identity.ChainPem), ct);
            return;
        }
        if (await _node.GetProviderAsync(_account.Address, ct) is null)
            await _node.SendAsync(_account, _config.Network, TxTypes.ProviderCreate, new ProviderCreate(_config.ProviderName, "Runs orders in a TEE"), ct);
        var info = new OfferInfo { Name = _config.OfferName, Description = _config.OfferDescription, Group = "1", OfferType = "0" };
        var offer = await _node.SendAsync(_account, _config.Network, TxTypes.OfferCreate, new OfferCreate(OfferType.TeeOffer, info, _identity.ChainPem), ct);
        var offerId = offer.Ids["offerId"];
        var slotInfo = new SlotInfo
        {
            Info = new SlotResources { CpuCores = Environment.ProcessorCount, Ram = _config.MemoryBytes, DiskUsage = 10L << 30 },
            Usage = new SlotUsage { MaxTimeMinutes = _config.OrderTimeLimitSeconds / 60, MinTimeMinutes = 1, Price = "0", PriceType = "0" },
            Option = new SlotOption(),
        };
        var slot = await _node.SendAsync(_account, _config.Network, TxTypes.SlotAdd, new SlotAdd(offerId, slotInfo), ct);
        _state = new TeeState(offerId, slot.Ids["slotId"]);
        File.WriteAllText(statePath, SpJson.Serialize(_state, indented: true));
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var executor = new OrderExecutor(_node, _account, _config, _identity, _encryption, _runtime);
        while (!ct.IsCancellationRequested)
        {
            List<OrderView> queue;
            try { queue = await _node.GetTeeQueueAsync(_state!.OfferId, ct); }
            catch (Exception e) when (e is Sp.Client.Config.UserError or HttpRequestException && !ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"sp-tee: node unreachable, retrying: {e.Message}");
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
                continue;
            }
            foreach (var view in queue.OrderBy(v => v.Order.Id))
            {
                if (ct.IsCancellationRequested) break;
                await executor.ExecuteAsync(view, ct);
            }
            if (queue.Count == 0) await Task.Delay(TimeSpan.FromSeconds(_config.PollSeconds), ct);
        }
    }

    private static async Task<T> Retry<T>(Func<Task<T>> action, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await action(); }
            catch (Sp.Client.Config.UserError e) when (attempt < 30 && e.Message.StartsWith("cannot reach", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)), ct);
            }
        }
    }

    public void Dispose()
    {
        _node.Dispose();
        _account.Dispose();
        _identity.Dispose();
    }
}
