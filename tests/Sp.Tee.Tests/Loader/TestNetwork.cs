using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Sp.Client;
using Sp.Api;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Client.Storage;
using Sp.Core.Model;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;
using Sp.Ledger.Transactions;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// A real sp-node process (its own data folder and port, restartable on the same port) and the two parties of
/// the guide as API calls: Bob owns a data offer, Alice places orders, Bob releases his data to the TEE.
/// </summary>
internal sealed class TestNetwork : IAsyncDisposable
{
    /// <summary>A devnet (the faucet works): priced orders can be tested.</summary>
    public const string Network = "devnet-tee-tests";
    private BackgroundProcess? _node;

    private TestNetwork(string dir, int port)
    {
        Dir = dir;
        Port = port;
        Url = $"http://127.0.0.1:{port}";
        Client = new NodeClient(Url, TimeSpan.FromSeconds(30));
    }

    public string Dir { get; }
    public int Port { get; }
    public string Url { get; }
    public NodeClient Client { get; }
    public string NodeDir => Path.Combine(Dir, "node");
    public string SimPlatformKey => Path.Combine(NodeDir, "sim-platform.key.pem");
    /// <summary>The node's transparency log verifier key, as sp-devnet pins it in tee.json.</summary>
    public string LogKey => File.ReadAllText(Path.Combine(NodeDir, "log-key.pub")).Trim();
    public AccountKey Alice { get; } = AccountKey.Generate();
    public AccountKey Bob { get; } = AccountKey.Generate();
    public HpkeKeyPair AliceResultKey { get; } = HpkeKeyPair.Generate();
    public long DataOfferId { get; private set; }
    public long DataSlotId { get; private set; }
    public string NodeLog => _node?.Log ?? "";
    private Trust? _trust;

    /// <param name="beforeStart">Runs on the initialised node folder before the node first starts.</param>
    public static async Task<TestNetwork> StartAsync(string dir, Action<string>? beforeStart = null)
    {
        var net = new TestNetwork(dir, Programs.FreePort());
        var init = Process.Start("dotnet", [Programs.Dll("Sp.Node", "sp-node"), "init", net.NodeDir, "--network", Network])!;
        await init.WaitForExitAsync();
        Assert.Equal(0, init.ExitCode);
        beforeStart?.Invoke(net.NodeDir);
        await net.StartNodeAsync();
        var info = await net.Client.GetInfoAsync();
        File.WriteAllText(Path.Combine(dir, "root-ca.pem"), info.RootCa);
        File.WriteAllText(Path.Combine(dir, "policy.json"), info.AttestationPolicy);
        net._trust = Trust.Load(Path.Combine(dir, "root-ca.pem"), Path.Combine(dir, "policy.json"));

        await net.Client.SendAsync(net.Bob, Network, new ProviderCreate("Bob Data Inc", "data"));
        var offer = await net.Client.SendAsync(net.Bob, Network,
            new OfferCreate(OfferType.Data, new OfferInfo { Name = "Bob's data", Group = "0", OfferType = "3" }));
        net.DataOfferId = offer.Ids.Offer.Value;
        var slot = await net.Client.SendAsync(net.Bob, Network, new SlotAdd(net.DataOfferId, new SlotInfo
        {
            Info = new SlotResources { DiskUsage = 10 << 20 },
            Usage = new SlotUsage { MinTimeMinutes = 1 },
            Option = new SlotOption(),
        }));
        net.DataSlotId = slot.Ids.Slot.Value;
        return net;
    }

    public async Task StartNodeAsync()
    {
        _node?.Dispose();
        _node = BackgroundProcess.Start(Programs.Dll("Sp.Node", "sp-node"), ["run", NodeDir, "--urls", Url], Path.Combine(Dir, "node.log"));
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try { await Client.GetInfoAsync(); return; }
            catch (TransientError) when (sw.Elapsed < TimeSpan.FromSeconds(60) && !_node.HasExited) { await Task.Delay(100); }
        }
    }

    /// <summary>SIGKILL to sp-node.</summary>
    public void KillNode() => _node?.Kill();

    public async Task<ResourceFile> UploadAsync(string path, string? filename = null, IBlobStore? store = null) =>
        await new FileTransfer(store ?? new NodeBlobStore(Client, Bob, Network)).UploadAsync(path, filename ?? Path.GetFileName(path));

    public async Task<ResourceFile> UploadTextAsync(string name, string content, IBlobStore? store = null)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Dir, "uploads", Guid.NewGuid().ToString("N"))).FullName;
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(path, content);
        return await UploadAsync(path, store: store);
    }

    /// <summary>Alice gets tokens from the devnet faucet.</summary>
    public Task FundAliceAsync(TokenAmount amount) => Client.SendAsync(Alice, Network, new TokensRequest(amount));

    /// <summary>Another data offer of Bob's (e.g. cancelable), with one slot; returns (offer, slot).</summary>
    public async Task<(long Offer, long Slot)> CreateDataOfferAsync(OfferInfo info)
    {
        var offer = await Client.SendAsync(Bob, Network, new OfferCreate(OfferType.Data, info));
        var offerId = offer.Ids.Offer.Value;
        var slot = await Client.SendAsync(Bob, Network, new SlotAdd(offerId, new SlotInfo
        {
            Info = new SlotResources { DiskUsage = 10 << 20 },
            Usage = new SlotUsage { MinTimeMinutes = 1 },
            Option = new SlotOption(),
        }));
        return (offerId, slot.Ids.Slot.Value);
    }

    /// <summary>Alice's workflow: the solution sealed to the TEE, one data sub-order per dataset; returns (order, sub-orders).</summary>
    public async Task<(long Order, List<long> Subs)> PlaceOrderAsync(long teeOfferId, ResourceFile solution, int datasets = 1, long? teeSlotId = null,
        TokenAmount? deposit = null, DataInput? data = null, IReadOnlyList<(int Position, ResourceFile Resource)>? own = null)
    {
        var tee = await Client.GetOfferAsync(teeOfferId) ?? throw new InvalidOperationException($"no TEE offer {teeOfferId}");
        var validated = _trust!.ValidateTee(tee.Offer.TeeCertificate!, DateTimeOffset.UtcNow);
        var consumer = Alice.Address.Lower;
        var resultKey = Convert.ToBase64String(AliceResultKey.PublicKey);
        var sealedSolution = Sealed.Seal(validated.EncryptionPublicKey, Sealed.SolutionInfo, Sealed.SolutionAad(teeOfferId, consumer, resultKey), solution);
        var inputs = Enumerable.Range(0, datasets).Select(_ => data ?? new DataInput(DataOfferId, DataSlotId)).ToList();
        var solutionHash = solution.Hash.Value.ToLowerInvariant();
        // Alice's own datasets, sealed in the order as `workflows create --data FILE` seals them.
        var consumerData = own?.Select(o => new ConsumerInput(o.Position, o.Resource.Hash.Value, o.Resource.Size, Sealed.Seal(validated.EncryptionPublicKey, Sealed.DataInfo,
            Sealed.ConsumerDataAad(teeOfferId, consumer, resultKey, solutionHash, o.Position, o.Resource.Hash.Value), o.Resource))).ToList();
        var created = await Client.SendAsync(Alice, Network, new WorkflowCreate(teeOfferId, teeSlotId,
            new SolutionInput(solutionHash, solution.Size, sealedSolution), inputs, resultKey, deposit, consumerData));
        return (created.Ids.Order.Value, (created.SubOrderIds ?? []).ToList());
    }

    /// <summary>
    /// Alice's workflow for a Solution offer of Bob's (created here, one slot), declaring <paramref name="solutionHash"/>,
    /// with one data sub-order; returns (order, Solution sub-order, Data sub-order).
    /// </summary>
    public async Task<(long Order, long SolutionSub, long DataSub)> PlaceSolutionOfferOrderAsync(long teeOfferId, string solutionHash)
    {
        var offer = (await Client.SendAsync(Bob, Network, new OfferCreate(OfferType.Solution, new OfferInfo { Name = "Bob's solution", Group = "1", OfferType = "2" }))).Ids.Offer.Value;
        var slot = (await Client.SendAsync(Bob, Network, new SlotAdd(offer, new SlotInfo
        {
            Info = new SlotResources { DiskUsage = 10 << 20 },
            Usage = new SlotUsage { MinTimeMinutes = 1 },
            Option = new SlotOption(),
        }))).Ids.Slot.Value;
        var created = await Client.SendAsync(Alice, Network, new WorkflowCreate(teeOfferId, null, new SolutionInput(solutionHash, 0, ""),
            [new DataInput(DataOfferId, DataSlotId)], Convert.ToBase64String(AliceResultKey.PublicKey), SolutionOffer: new DataInput(offer, slot)));
        var subs = created.SubOrderIds!;
        return (created.Ids.Order.Value, subs[0], subs[1]);
    }

    /// <summary>Bob releases his dataset for the order's solution hash, sealed to the TEE (as `spctl orders complete`).</summary>
    public async Task ReleaseDataAsync(long subOrderId, ResourceFile dataset, string solutionHash)
    {
        var sub = (await Client.GetOrderAsync(subOrderId))!.Order;
        var parent = (await Client.GetOrderAsync(sub.ParentId!.Value))!.Order;
        var tee = (await Client.GetOfferAsync(parent.OfferId))!;
        var validated = _trust!.ValidateTee(tee.Offer.TeeCertificate!, DateTimeOffset.UtcNow);
        var sealedRelease = Sealed.Seal(validated.EncryptionPublicKey, Sealed.DataInfo, Sealed.DataAad(parent.Id, parent.CreatedSeq!.Value, subOrderId), new DataRelease(dataset, solutionHash));
        await Client.SendAsync(Bob, Network, new OrderComplete(subOrderId, OrderStatus.Done, solutionHash, sealedRelease));
    }

    /// <summary>Waits for a condition on the order (e.g. Processing, or a result kept after a cancel).</summary>
    public async Task<Order> WaitForAsync(long orderId, Func<Order, bool> condition, string what, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(90);
        while (true)
        {
            var order = (await Client.GetOrderAsync(orderId))!.Order;
            if (condition(order)) return order;
            Assert.True(sw.Elapsed < limit, $"order {orderId}: not {what} within {limit}: {order.Status} {order.StatusMessage}");
            await Task.Delay(50);
        }
    }

    /// <summary>One order with one dataset, released at once; returns the order id.</summary>
    public async Task<long> RunOrderAsync(long teeOfferId, ResourceFile solution, ResourceFile dataset)
    {
        var (order, subs) = await PlaceOrderAsync(teeOfferId, solution);
        await ReleaseDataAsync(subs[0], dataset, solution.Hash.Value.ToLowerInvariant());
        return order;
    }

    public async Task<Order> WaitForEndAsync(long orderId, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(90);
        while (true)
        {
            Order? order = null;
            try { order = (await Client.GetOrderAsync(orderId))!.Order; }
            catch (TransientError) when (sw.Elapsed < limit) { } // the node may be restarting
            if (order is not null && order.Status is OrderStatus.Done or OrderStatus.Error or OrderStatus.Canceled) return order;
            Assert.True(sw.Elapsed < limit, $"order {orderId} did not end within {limit}: {order?.Status} {order?.StatusMessage}");
            await Task.Delay(100);
        }
    }

    /// <summary>The resource file of the order's result, opened with Alice's result key.</summary>
    public ResourceFile ResultResource(Order order)
    {
        Assert.NotNull(order.SealedResult);
        return Sealed.Open<ResourceFile>(AliceResultKey.PrivateKey, Sealed.ResultInfo, Sealed.ResultAad(order.Id), order.SealedResult!)!;
    }

    /// <summary>The order's result archive (gzip tar, plaintext), opened with Alice's result key, read from the store it names.</summary>
    public async Task<byte[]> ResultArchiveAsync(Order order, IBlobStore? local = null)
    {
        var resource = ResultResource(order);
        using var ms = new MemoryStream();
        await new FileTransfer(BlobStores.ForResource(resource.Resource, Client, local)).DownloadToStreamAsync(resource, ms);
        return ms.ToArray();
    }

    /// <summary>The order's result (output/… and log.txt) by entry name; an entry named twice fails the test.</summary>
    public async Task<Dictionary<string, byte[]>> ResultAsync(Order order, IBlobStore? local = null)
    {
        var entries = new Dictionary<string, byte[]>();
        using var gz = new GZipStream(new MemoryStream(await ResultArchiveAsync(order, local)), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } e)
        {
            using var data = new MemoryStream();
            e.DataStream?.CopyTo(data);
            Assert.True(entries.TryAdd(e.Name, data.ToArray()), $"the result archive holds '{e.Name}' twice");
        }
        return entries;
    }

    public static string Text(Dictionary<string, byte[]> result, string name) =>
        result.TryGetValue(name, out var b) ? Encoding.UTF8.GetString(b) : throw new KeyNotFoundException($"{name} not in the result: {string.Join(", ", result.Keys)}");

    public async ValueTask DisposeAsync()
    {
        _node?.Dispose();
        Client.Dispose();
        Alice.Dispose();
        Bob.Dispose();
        await Task.CompletedTask;
    }
}
