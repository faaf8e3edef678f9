using System.Text.Json.Nodes;
using Sp.Client.Sealing;
using Sp.Core.Model;
using Sp.Core;
using Sp.Crypto.Hpke;
using Sp.Api;
using Sp.Ledger.Transactions;
using Sp.Tee.Tests.Runtime;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// The node's operator as an attacker: it cannot sign for anyone, but it answers the loader's reads. A real sp-node,
/// a dishonest proxy in front of it (<see cref="RewritingNodeProxy"/>), a real loader and Docker.
/// </summary>
public sealed class NodeOperatorTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-tee-operator-tests-").FullName;
    private TestNetwork _net = null!;
    private ResourceFile _digest = null!;

    /// <summary>The real node's storage (where the datasets live) is allowed to the loaders that talk through the proxy.</summary>
    private string NodeHost => new Uri(_net.Url).Authority;

    public async Task InitializeAsync()
    {
        await DockerFixture.EnsureDockerAsync();
        _net = await TestNetwork.StartAsync(Path.Combine(_work, "net"));
        _digest = await _net.UploadAsync(await SolutionImages.BuildAsync(_work, "digest", SolutionImages.DigestEntry));
    }

    public async Task DisposeAsync()
    {
        await _net.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task A_node_that_serves_its_own_result_key_with_an_order_gets_no_result_and_the_order_ends_Error()
    {
        var operatorKey = HpkeKeyPair.Generate();
        var forgedKey = Convert.ToBase64String(operatorKey.PublicKey);
        await using var proxy = new RewritingNodeProxy(_net.Url, view =>
        {
            if (view["order"]?["resultPublicKey"] is not null) view["order"]!["resultPublicKey"] = forgedKey;
            return view;
        });
        await using var loader = await InProcessLoader.StartAsync(_net, Path.Combine(_work, "tee-key"), c => c with { NodeUrl = proxy.Url, AllowedStorageHosts = [NodeHost] });

        var order = await _net.RunOrderAsync(loader.OfferId, _digest, await _net.UploadTextAsync("secret.csv", "bob's secret\n"));
        var ended = await _net.WaitForEndAsync(order);

        Assert.True(proxy.Rewritten > 0, "the proxy served the loader a forged result key");
        Assert.Equal(OrderStatus.Error, ended.Status);
        // Caught twice over: the served result key is not the one the consumer signed in the log, nor the one the sealed
        // solution names. The first check ends it.
        Assert.Matches($@"^order {order} is not served as its consumer signed it in ledger entry \d+ \(offer, solution, result key or inputs differ\); nothing of the order is opened$", ended.StatusMessage);
        Assert.Null(ended.SealedResult); // nothing sealed to the operator's key (nor to anyone's)
        Assert.DoesNotContain(ended.Report!.WorkloadInfo.RuntimeInfo, e => e.Type == "Data"); // no dataset was fetched
    }

    [Fact]
    public async Task A_node_that_swaps_the_places_of_the_consumers_own_datasets_gets_none_opened()
    {
        // Alice's two own files at input-0001 and input-0002; the proxy serves them the other way round.
        long order = 0;
        await using var proxy = new RewritingNodeProxy(_net.Url, view =>
        {
            if (view["order"]!["id"]!.GetValue<long>() != order || view["order"]!["consumerData"] is not JsonArray own) return view;
            (own[0]!["position"], own[1]!["position"]) = (own[1]!["position"]!.DeepClone(), own[0]!["position"]!.DeepClone());
            return view;
        });
        await using var loader = await InProcessLoader.StartAsync(_net, Path.Combine(_work, "tee-own"), c => c with { NodeUrl = proxy.Url, AllowedStorageHosts = [NodeHost] });

        var first = await _net.UploadTextAsync("first.csv", "first\n");
        var second = await _net.UploadTextAsync("second.csv", "second\n");
        (order, _) = await _net.PlaceOrderAsync(loader.OfferId, _digest, datasets: 0, own: [(0, first), (1, second)]);
        var ended = await _net.WaitForEndAsync(order);

        Assert.True(proxy.Rewritten > 0, "the proxy swapped the places of Alice's datasets");
        Assert.Equal(OrderStatus.Error, ended.Status);
        Assert.Matches($@"^order {order} is not served as its consumer signed it in ledger entry \d+ \(offer, solution, result key or inputs differ\); nothing of the order is opened$", ended.StatusMessage);
        Assert.DoesNotContain(ended.Report!.WorkloadInfo.RuntimeInfo, e => e.Type == "Data");
    }

    [Fact]
    public async Task A_node_that_serves_another_orders_released_data_with_its_own_order_gets_no_data_released()
    {
        // Alice's order A, with Bob's data released for it; the operator's own order B for the same solution. The
        // proxy hides A from the loader and serves B with A's released sub-order, consistently renumbered as B's.
        long orderA = 0, orderB = 0, subA = 0;
        JsonNode? releasedSubOfA = null;
        await using var proxy = new RewritingNodeProxy(_net.Url, view =>
        {
            var id = view["order"]!["id"]!.GetValue<long>();
            if (id == orderA) return null;
            if (id != orderB || releasedSubOfA is null) return view;
            var sub = releasedSubOfA.DeepClone();
            sub["parentId"] = orderB;
            view["subOrders"] = new JsonArray(sub);
            view["order"]!["subOrderIds"] = new JsonArray(subA);
            return view;
        });
        await using var loader = await InProcessLoader.StartAsync(_net, Path.Combine(_work, "tee-sub"), c => c with { NodeUrl = proxy.Url, AllowedStorageHosts = [NodeHost] });

        (orderA, var subsA) = await _net.PlaceOrderAsync(loader.OfferId, _digest);
        subA = subsA.Single();
        await _net.ReleaseDataAsync(subA, await _net.UploadTextAsync("secret.csv", "bob's secret for order A only\n"), _digest.Hash.Value.ToLowerInvariant());
        var released = (await _net.Client.GetOrderAsync(subA))!.Order;
        Assert.NotNull(released.SealedResource);
        releasedSubOfA = JsonNode.Parse(Sp.Core.Json.SpJson.Serialize(released));
        (orderB, _) = await _net.PlaceOrderAsync(loader.OfferId, _digest, datasets: 0);

        var endedB = await _net.WaitForEndAsync(orderB);
        Assert.True(proxy.Rewritten > 0, "the proxy served order B with A's sub-order");
        Assert.Equal(OrderStatus.Error, endedB.Status);
        Assert.Matches($@"^order {orderB} is not served as its consumer signed it in ledger entry \d+ \(offer, solution, result key or inputs differ\); nothing of the order is opened$", endedB.StatusMessage);
        Assert.Null(endedB.SealedResult); // nothing ran, nothing was sealed
        Assert.DoesNotContain(endedB.Report!.WorkloadInfo.RuntimeInfo, e => e.Type == "Data");
        Assert.Equal(OrderStatus.New, (await _net.Client.GetOrderAsync(orderA))!.Order.Status); // A was never run
    }

    [Fact]
    public async Task A_node_that_serves_a_made_up_order_with_its_own_image_under_the_consumers_key_gets_nothing_run()
    {
        // The operator seals its own image to the TEE (anyone can), naming Alice and her result key in the AAD, and serves
        // it as Alice's order: were it run, Alice would get a TEE-signed result of the operator's code.
        var own = await _net.UploadAsync(await SolutionImages.BuildAsync(_work, "operators-own", "#!/bin/sh\necho operator > /sp/output/x\n"));
        long order = 0;
        string? forgedSolution = null;
        await using var proxy = new RewritingNodeProxy(_net.Url, view =>
        {
            if (forgedSolution is null || view["order"]!["id"]!.GetValue<long>() != order) return view;
            view["order"]!["solution"]!["sealedResource"] = forgedSolution;
            view["order"]!["solution"]!["hash"] = own.Hash.Value.ToLowerInvariant();
            view["order"]!["solution"]!["size"] = own.Size;
            return view;
        });
        await using var loader = await InProcessLoader.StartAsync(_net, Path.Combine(_work, "tee-made-up"), c => c with { NodeUrl = proxy.Url, AllowedStorageHosts = [NodeHost] });
        var tee = (await _net.Client.GetOfferAsync(loader.OfferId))!;
        var teeKey = Sp.Certification.SpExtensions.DecodeEncryptionKey(Sp.Certification.Pem.ReadCertificates(tee.Offer.TeeCertificate!)[0]);
        var resultKey = Convert.ToBase64String(_net.AliceResultKey.PublicKey);
        forgedSolution = Sealed.Seal(teeKey, Sealed.SolutionInfo, Sealed.SolutionAad(loader.OfferId, _net.Alice.Address.Lower, resultKey), own);
        (order, _) = await _net.PlaceOrderAsync(loader.OfferId, _digest, datasets: 0);

        var ended = await _net.WaitForEndAsync(order);
        Assert.True(proxy.Rewritten > 0, "the proxy served the made-up order");
        Assert.Equal(OrderStatus.Error, ended.Status);
        Assert.Matches($@"^order {order} is not served as its consumer signed it in ledger entry \d+ \(offer, solution, result key or inputs differ\); nothing of the order is opened$", ended.StatusMessage);
        Assert.Null(ended.SealedResult);
        Assert.DoesNotContain(ended.Report!.WorkloadInfo.RuntimeInfo, e => e.Type == "Image"); // the operator's image was never even fetched
    }

    [Fact]
    public async Task A_log_rollback_found_while_taking_an_order_stops_the_loader_and_is_not_swallowed_by_the_order()
    {
        // The operator rolls its log back (serves an older checkpoint) right after the loader's order.start.
        byte[]? firstCheckpoint = null;
        var rolledBack = false;
        await using var proxy = new RewritingNodeProxy(_net.Url, view => view, exchange =>
        {
            if (exchange.Path == "log/checkpoint")
            {
                firstCheckpoint ??= exchange.ResponseBody;
                return Volatile.Read(ref rolledBack) ? firstCheckpoint : exchange.ResponseBody;
            }
            if (exchange.Method == "POST" && System.Text.Encoding.UTF8.GetString(exchange.RequestBody).Contains("\"order.start\"", StringComparison.Ordinal))
                Volatile.Write(ref rolledBack, true);
            return exchange.ResponseBody;
        });
        var loader = await InProcessLoader.StartAsync(_net, Path.Combine(_work, "tee-rollback"), c => c with { NodeUrl = proxy.Url, AllowedStorageHosts = [NodeHost] });
        long order;
        LogIntegrityError stopped;
        try
        {
            order = await _net.RunOrderAsync(loader.OfferId, _digest, await _net.UploadTextAsync("secret.csv", "bob's secret\n"));
            stopped = await Assert.ThrowsAsync<LogIntegrityError>(() => loader.Running.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            try { await loader.DisposeAsync(); } catch (LogIntegrityError) { } // its run ended with it, as asserted
        }
        Assert.Contains("(a rollback)", stopped.Message);
        Assert.Contains($"order {order}", stopped.Message);
        // The loader stopped where it found it: the order was taken, and nothing was run or published after.
        var o = (await _net.Client.GetOrderAsync(order))!.Order;
        Assert.Equal(OrderStatus.Processing, o.Status);
        Assert.Null(o.Report);
    }
}
