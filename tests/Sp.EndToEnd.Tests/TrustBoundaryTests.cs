using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Sp.Certification;
using Sp.Client;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Api;
using Sp.Ledger.Transactions;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The compute provider as an attacker: it holds every file of the TEE's host (tee.json with its account key,
/// tee-state.json, the node's API) and tries to end a running order with a result of its choosing, correctly sealed
/// to Alice. Through the real node, loader, Docker and spctl.
/// </summary>
[Collection("devnet")]
public sealed class TrustBoundaryTests(DevnetFixture net)
{
    [Fact]
    public async Task A_provider_holding_every_file_of_its_host_cannot_finish_a_running_order_and_Alice_gets_the_TEEs_result()
    {
        // Alice's solution runs a few seconds: the provider attacks while the order is Processing.
        var solution = await UploadSlowSolutionAsync("slow-sol", seconds: 8);
        var (order, sub) = await net.PlaceOrderAsync(solution);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json",
            "--status", "done", "--solution-hash", DevnetFixture.HashOf(Path.Combine(net.Alice, solution)));

        var tee = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Net, "tee", "tee.json")))!;
        using var provider = AccountKey.FromHex(tee["accountPrivateKey"]!.GetValue<string>());
        var network = tee["network"]!.GetValue<string>();
        using var node = new NodeClient(tee["nodeUrl"]!.GetValue<string>());
        var running = await WaitForProcessingAsync(node, order);
        Assert.NotNull(running.TeeAccount);
        Assert.NotEqual(provider.Address.Lower, running.TeeAccount); // the TEE's key is not the provider's

        // A result of the provider's choosing, uploaded and sealed to Alice's (public) result key, as the TEE would.
        var forgedDir = Directory.CreateDirectory(Path.Combine(net.Bob, "forged-out")).FullName;
        File.WriteAllText(Path.Combine(forgedDir, "summary.txt"), "forged by the provider\n");
        await Cli.MustAsync(net.Bob, net.Spctl, "files", "upload", "forged-out", "--output", "forged.resource.json");
        var forgedResource = SpJson.Deserialize<ResourceFile>(File.ReadAllText(Path.Combine(net.Bob, "forged.resource.json")));
        var sealedForgery = Sealed.Seal(Convert.FromBase64String(running.ResultPublicKey!), Sealed.ResultInfo, Sealed.ResultAad(order), forgedResource);

        // 1. order.finish signed with tee.json's key: the ledger names the key it expected.
        var refused = await Assert.ThrowsAsync<NodeRefusedError>(() => node.SendAsync(provider, network,
            new OrderFinish(order, OrderStatus.Done, sealedForgery, "solution finished")));
        Assert.Contains($"only the TEE that took it (account {running.TeeAccount}) can finish order {order}; sender is {provider.Address.Lower}", refused.Message);

        // 2. With a statement signed by a key of its own under the TEE's public chain: the signer is still not the TEE.
        using var providerP256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = new ResultClaims { OrderId = order.ToString(), Status = "Done", ResultSha256 = forgedResource.Hash.Value, ResultSize = forgedResource.Size };
        var forgedStatement = new ResultStatement
        {
            Claims = claims,
            Certificate = running.Report?.Certificate ?? "",
            Signature = Convert.ToBase64String(providerP256.SignData(ResultStatements.SignedBytes(claims), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
        };
        refused = await Assert.ThrowsAsync<NodeRefusedError>(() => node.SendAsync(provider, network,
            new OrderFinish(order, OrderStatus.Done, sealedForgery, "solution finished", forgedStatement)));
        Assert.Contains($"only the TEE that took it (account {running.TeeAccount})", refused.Message);

        // 3. A TEE certificate of its own making (its own root) naming its own account: refused by the ledger.
        var offerId = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Net, "tee", "tee-state.json")))!["offerId"]!.GetValue<long>();
        refused = await Assert.ThrowsAsync<NodeRefusedError>(() => node.SendAsync(provider, network,
            new TeeCertificateUpdate(offerId, SelfMadeTeeChain(provider.Address))));
        Assert.Contains("teeCertificate: refused: [chain-invalid]", refused.Message);

        // The order ran on: Alice gets the TEE's result, and spctl checked the TEE's statement before writing it.
        Assert.Equal("Done", await net.WaitForEndAsync(order));
        var saveTo = Path.Combine(net.Work, $"trust-{order}.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var summary = DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"];
        Assert.DoesNotContain("forged", summary);
        Assert.Contains("data.csv", summary);
        var report = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "get-report", order.ToString());
        Assert.Matches($@"(?m)^result_statement: Done result=sha256:{Cli.Sha256File(saveTo)} size=\d+ report=[0-9a-f]{{64}} \(signed by the TEE under its order certificate\)$", report.Stdout);
        Assert.Contains("Order report validation successful!", report.Stdout);
    }

    [Fact]
    public async Task Download_result_refuses_a_result_the_TEE_did_not_sign_and_leaves_nothing_on_disk()
    {
        var solution = await net.UploadSolutionAsync("statement-sol");
        var (order, sub) = await net.PlaceOrderAsync(solution);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json",
            "--status", "done", "--solution-hash", DevnetFixture.HashOf(Path.Combine(net.Alice, solution)));
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        // Whoever serves Alice's reads (the node's operator, or the network) swaps the sealed result for an archive of
        // its choosing, sealed to her public result key; then it drops the TEE's statement altogether.
        var forgedDir = Directory.CreateDirectory(Path.Combine(net.Bob, "forged-swap")).FullName;
        File.WriteAllText(Path.Combine(forgedDir, "summary.txt"), "swapped\n");
        await Cli.MustAsync(net.Bob, net.Spctl, "files", "upload", "forged-swap", "--output", "forged-swap.resource.json");
        var forged = SpJson.Deserialize<ResourceFile>(File.ReadAllText(Path.Combine(net.Bob, "forged-swap.resource.json")));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        var nodeUrl = config["backend"]!["url"]!.GetValue<string>();
        using var node = new NodeClient(nodeUrl);
        var resultKey = (await node.GetOrderAsync(order))!.Order.ResultPublicKey!;
        var sealedForgery = Sealed.Seal(Convert.FromBase64String(resultKey), Sealed.ResultInfo, Sealed.ResultAad(order), forged);
        var dropStatement = false;
        await using var proxy = new Sp.Tee.Tests.Loader.RewritingNodeProxy(nodeUrl, view =>
        {
            if (view["order"]?["id"]?.GetValue<long>() != order) return view;
            view["order"]!["sealedResult"] = sealedForgery;
            if (dropStatement) view["order"]!.AsObject().Remove("resultStatement");
            return view;
        });
        var alice = AliceThrough(proxy.Url, $"alice-via-proxy-{order}");

        var swapped = await Cli.RunAsync(alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "swapped.tar.gz");
        Assert.Equal(1, swapped.ExitCode);
        Assert.Contains($"error: order {order}: result refused: the sealed result is sha256 {forged.Hash.Value} ({forged.Size} bytes), the TEE signed ", swapped.Stderr);
        Assert.Contains("nothing was downloaded", swapped.Stderr);
        dropStatement = true;
        var unsigned = await Cli.RunAsync(alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "swapped.tar.gz");
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Contains($"error: order {order}: its result carries no statement signed by the TEE", unsigned.Stderr);
        Assert.Empty(Directory.GetFiles(alice, "*swapped*", SearchOption.AllDirectories)); // no file, no .part

        // Through the honest node the same command writes the TEE's result.
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", $"honest-{order}.tar.gz");
        Assert.Contains("data.csv", DevnetFixture.ReadTarGz(Path.Combine(net.Alice, $"honest-{order}.tar.gz"))["output/summary.txt"]);

        // The saved report carries the statement; validate-report checks it offline, and an edited one fails.
        var saved = $"report-{order}.json";
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", saved);
        var valid = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "validate-report", "--path", saved);
        Assert.Matches(@"(?m)^result_statement: Done result=sha256:[0-9a-f]{64} ", valid.Stdout);
        var edited = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Bob, saved)))!;
        edited["resultStatement"]!["claims"]!["resultSha256"] = forged.Hash.Value;
        File.WriteAllText(Path.Combine(net.Bob, "edited-" + saved), edited.ToJsonString());
        var refused = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "validate-report", "--path", "edited-" + saved);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error: result statement: signature: does not verify under the order certificate's key", refused.Stderr);
        Assert.Contains("Order report validation failed", refused.Stderr);
    }

    /// <summary>
    /// `orders download-result` overwrites by default, atomically: a result refused before the download, or a download
    /// broken in transit (a flipped byte, a truncated body), leaves the existing file as it was and no temporary file
    /// beside it; only a whole, verified archive replaces it.
    /// </summary>
    [Fact]
    public async Task A_refused_or_broken_download_result_keeps_the_existing_file_and_leaves_no_temporary_file()
    {
        var solution = await net.UploadSolutionAsync("broken-dl-sol");
        var (order, sub) = await net.PlaceOrderAsync(solution);
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json",
            "--status", "done", "--solution-hash", DevnetFixture.HashOf(Path.Combine(net.Alice, solution)));
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        var mode = "flip";
        var fetched = 0;
        await using var proxy = new Sp.Tee.Tests.Loader.RewritingNodeProxy(net.NodeUrl, view =>
        {
            if (mode == "no-statement" && view["order"]?["id"]?.GetValue<long>() == order) view["order"]!.AsObject().Remove("resultStatement");
            return view;
        }, exchange =>
        {
            if (exchange.Method != "GET" || !exchange.Path.StartsWith("api/storage/objects/", StringComparison.Ordinal) || exchange.ResponseBody.Length < 64) return exchange.ResponseBody;
            Interlocked.Increment(ref fetched);
            var body = (byte[])exchange.ResponseBody.Clone();
            if (mode == "flip") body[body.Length / 2] ^= 0x01;
            return mode == "truncate" ? body[..(body.Length / 2)] : body;
        });
        var alice = AliceThrough(proxy.Url, $"alice-broken-dl-{order}");
        var dir = Directory.CreateDirectory(Path.Combine(alice, "results")).FullName;
        var target = Path.Combine(dir, "result.tar.gz");
        File.WriteAllText(target, "an older result");
        string[] Entries() => [.. Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order()!];

        foreach (var m in new[] { "flip", "truncate", "no-statement" })
        {
            mode = m;
            var before = fetched;
            var r = await Cli.RunAsync(alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "results/result.tar.gz");
            Assert.True(r.ExitCode == 1, $"{m}: {r.All}");
            Assert.StartsWith("error: ", r.Stderr);
            Assert.DoesNotContain("Order result was saved", r.Stdout);
            if (m == "no-statement")
            {
                Assert.Contains($"order {order}: its result carries no statement signed by the TEE", r.Stderr);
                Assert.Equal(before, fetched); // refused before a byte of the archive was asked for
            }
            else Assert.True(fetched > before, $"{m}: the archive was not downloaded through the proxy");
            Assert.Equal("an older result", File.ReadAllText(target));
            Assert.Equal(["result.tar.gz"], Entries()); // no .part left, whatever failed
        }

        // --no-clobber still refuses an existing file, before anything is downloaded; without it, the honest archive replaces it.
        mode = "honest";
        var refused = await Cli.RunAsync(alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "results/result.tar.gz", "--no-clobber");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("results/result.tar.gz already exists", refused.Stderr);
        Assert.Equal("an older result", File.ReadAllText(target));
        await Cli.MustAsync(alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "results/result.tar.gz");
        Assert.Contains("data.csv", DevnetFixture.ReadTarGz(target)["output/summary.txt"]);
        Assert.Equal(["result.tar.gz"], Entries());
    }

    [Fact]
    public async Task Get_report_refuses_a_report_the_node_serves_for_another_order()
    {
        async Task<long> RunOrderAsync(string name)
        {
            var solution = await net.UploadSolutionAsync(name);
            var (order, sub) = await net.PlaceOrderAsync(solution);
            await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json",
                "--status", "done", "--solution-hash", DevnetFixture.HashOf(Path.Combine(net.Alice, solution)));
            Assert.Equal("Done", await net.WaitForEndAsync(order));
            return order;
        }
        var asked = await RunOrderAsync("report-asked");
        var other = await RunOrderAsync("report-other");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        var nodeUrl = config["backend"]!["url"]!.GetValue<string>();
        using var http = new HttpClient();
        var otherReport = await http.GetByteArrayAsync($"{nodeUrl}/api/orders/{other}/report");

        // The node answers the report of `other` (a valid report, validly signed, included in the log) when asked for `asked`.
        await using var proxy = new Sp.Tee.Tests.Loader.RewritingNodeProxy(nodeUrl, view => view,
            exchange => exchange.Path == $"api/orders/{asked}/report" ? otherReport : exchange.ResponseBody);
        var alice = AliceThrough(proxy.Url, $"alice-report-proxy-{asked}");

        var r = await Cli.RunAsync(alice, net.Spctl, "orders", "get-report", asked.ToString(), "--save-to", "report.json");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"error: order {asked}: the node served a report whose order certificate is for order '{other}'", r.Stderr);
        Assert.False(File.Exists(Path.Combine(alice, "report.json")));
        Assert.DoesNotContain("Order report validation successful!", r.Stdout);
    }

    /// <summary>A copy of Alice's folder (keys, pinned root and log key, kept checkpoints) whose node is <paramref name="url"/>.</summary>
    private string AliceThrough(string url, string name)
    {
        var alice = Path.Combine(net.Work, name);
        CopyFolder(net.Alice, alice);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(alice, "config.json")))!;
        config["backend"]!["url"] = url;
        File.WriteAllText(Path.Combine(alice, "config.json"), config.ToJsonString());
        return alice;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>A certificate chain the provider can make without the network's CA: its own root over its own account.</summary>
    private static string SelfMadeTeeChain(Address account)
    {
        using var root = RootCa.Create("Provider's own root", DateTimeOffset.UtcNow);
        using var teeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=provider TEE", teeKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(SpExtensions.EncodeTeeAccount(Convert.FromHexString(account.Lower[2..])));
        using var issuer = X509Certificate2.CreateFromPem(root.CertificatePem, root.ExportPrivateKeyPem());
        using var cert = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [7, 7, 7]);
        return Pem.Join([cert]);
    }

    private static async Task<Order> WaitForProcessingAsync(NodeClient node, long order)
    {
        for (var i = 0; i < 240; i++)
        {
            var view = await node.GetOrderAsync(order);
            if (view?.Order is { Status: OrderStatus.Processing, Report: not null } o) return o;
            Assert.False(view?.Order.Status is OrderStatus.Done or OrderStatus.Error, $"order {order} ended before the attack: {view?.Order.StatusMessage}");
            await Task.Delay(250);
        }
        throw new TimeoutException($"order {order} did not start");
    }

    /// <summary>The example solution, sleeping <paramref name="seconds"/> before its work; uploaded by Alice.</summary>
    private async Task<string> UploadSlowSolutionAsync(string name, int seconds)
    {
        var archive = Path.Combine(net.Alice, $"{name}.tar.gz");
        await DevnetFixture.BuildSlowSolutionAsync(archive, name, seconds);
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", $"{name}.tar.gz", "--output", $"{name}.resource.json");
        return $"./{name}.resource.json";
    }
}
