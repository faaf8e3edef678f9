using System.Text.Json.Nodes;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// Bob keeps his dataset on S3 (a real s3rver on loopback): spctl uploads it there, and a TEE whose operator allows
/// that endpoint (tee.json allowedStorageHosts) reads it from there through the credentials sealed to it, so the
/// order runs exactly as with the node's storage.
/// </summary>
[Collection("devnet")]
public sealed class S3DatasetTests(DevnetFixture net) : IAsyncLifetime
{
    private const string Bucket = "bob-data";
    private S3rverProcess? _s3;

    public async Task InitializeAsync() => _s3 = await S3rverProcess.StartAsync(Bucket);

    public async Task DisposeAsync()
    {
        if (_s3 is not null) await _s3.DisposeAsync();
    }

    [Fact]
    public async Task A_dataset_uploaded_to_S3_reaches_the_TEE_and_the_report()
    {
        // Bob's second folder: the same account, storage on S3.
        var bobS3 = Path.Combine(net.Net, "bob-s3");
        Directory.CreateDirectory(bobS3);
        foreach (var f in new[] { "root-ca.pem", "attestation-policy.json" }) File.Copy(Path.Combine(net.Bob, f), Path.Combine(bobS3, f), overwrite: true);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Bob, "config.json")))!;
        config["storage"] = new JsonObject
        {
            ["type"] = "S3",
            ["s3"] = new JsonObject { ["endpoint"] = $"http://127.0.0.1:{_s3!.Port}", ["bucket"] = Bucket, ["accessKey"] = "S3RVER", ["secretKey"] = "S3RVER", ["prefix"] = "datasets/" },
        };
        File.WriteAllText(Path.Combine(bobS3, "config.json"), config.ToJsonString());
        Directory.CreateDirectory(Path.Combine(bobS3, "dataset"));
        File.WriteAllText(Path.Combine(bobS3, "dataset", "data.csv"), "name,value\nx,10\ny,20\n");
        await Cli.MustAsync(bobS3, net.Spctl, "files", "upload", "dataset", "--output", "dataset.resource.json");
        Assert.Equal("S3", JsonNode.Parse(File.ReadAllText(Path.Combine(bobS3, "dataset.resource.json")))!["resource"]!["storageType"]!.GetValue<string>());

        // The devnet's loader lists only the node: this S3 server on another loopback port is for a loader that lists it.
        var teeJson = net.WriteTeeConfig("tee-s3-inputs", new JsonObject { ["allowedStorageHosts"] = new JsonArray($"127.0.0.1:{_s3!.Port}") });
        await using var loader = TeeLoaderProcess.Start(teeJson);
        var teeOffer = await loader.WaitServingAsync();
        File.Copy(net.SolutionArchive, Path.Combine(net.Alice, "s3sol.tar.gz"), overwrite: true);
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "s3sol.tar.gz", "--output", "s3sol.resource.json");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, "s3sol.resource.json"));
        var (order, sub) = await net.PlaceOrderAsync("./s3sol.resource.json", teeOffer);
        await Cli.MustAsync(bobS3, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        var saveTo = Path.Combine(net.Work, $"s3-result-{order}.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var extract = Directory.CreateTempSubdirectory("sp-s3res-").FullName;
        await Cli.MustAsync(extract, "/bin/tar", "-xzf", saveTo);
        Assert.Contains("data.csv rows=2 sum=30", File.ReadAllText(Path.Combine(extract, "output", "summary.txt")));
        var rep = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", $"s3-report-{order}.json");
        Assert.Contains($"Data sha256:{DevnetFixture.HashOf(Path.Combine(bobS3, "dataset.resource.json"))}", rep.Stdout);
    }

    [Fact]
    public async Task A_loader_with_S3_storage_writes_its_results_there_and_alice_downloads_them_from_there()
    {
        // A second loader (its own TEE offer) whose tee.json keeps results on S3.
        var teeDir = Directory.CreateDirectory(Path.Combine(net.Net, "tee-s3")).FullName;
        var alice = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "config.json")))!;
        using var key = Sp.Crypto.Accounts.AccountKey.Generate();
        var teeConfig = new JsonObject
        {
            ["nodeUrl"] = alice["backend"]!["url"]!.GetValue<string>(),
            ["network"] = alice["backend"]!["network"]!.GetValue<string>(),
            ["accountPrivateKey"] = key.ExportHex(),
            ["simPlatformKey"] = Path.Combine(net.Net, "node", "sim-platform.key.pem"),
            ["logKey"] = alice["trust"]!["logKey"]!.GetValue<string>(),
            ["offerName"] = "S3 results TEE",
            ["storage"] = new JsonObject
            {
                ["type"] = "S3",
                ["s3"] = new JsonObject { ["endpoint"] = $"http://127.0.0.1:{_s3!.Port}", ["bucket"] = Bucket, ["accessKey"] = "S3RVER", ["secretKey"] = "S3RVER", ["prefix"] = "results/" },
            },
        };
        File.WriteAllText(Path.Combine(teeDir, "tee.json"), teeConfig.ToJsonString());
        await using (var loader = TeeLoaderProcess.Start(Path.Combine(teeDir, "tee.json")))
        {
            var offer = await loader.WaitServingAsync();
            File.Copy(net.SolutionArchive, Path.Combine(net.Alice, "s3res-sol.tar.gz"), overwrite: true);
            await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "s3res-sol.tar.gz", "--output", "s3res-sol.resource.json");
            var h = DevnetFixture.HashOf(Path.Combine(net.Alice, "s3res-sol.resource.json"));
            var created = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", "./s3res-sol.resource.json", "--data", $"{net.DataOfferId},{net.DataSlotId}", "--tee", offer.ToString());
            var order = long.Parse(System.Text.RegularExpressions.Regex.Match(created.Stdout, @"TEE order id: \[""(\d+)""\]").Groups[1].Value);
            var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type");
            var sub = get.Stdout.Split('\n').Single(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d+\s+Data$")).Split(' ')[0];
            var objectsBefore = Directory.GetFiles(_s3!.DataDirectory, "*", SearchOption.AllDirectories).Length;
            await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub, "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
            Assert.Equal("Done", await net.WaitForEndAsync(order));

            // The result's ciphertext is in the bucket, under the loader's prefix, and Alice reads it from there.
            var objects = Directory.GetFiles(_s3!.DataDirectory, "*", SearchOption.AllDirectories);
            Assert.True(objects.Length > objectsBefore, "no new object in the S3 bucket");
            Assert.Contains(objects, o => o.Replace('\\', '/').Contains("/results/", StringComparison.Ordinal));
            var saveTo = Path.Combine(net.Work, $"s3res-{order}.tar.gz");
            await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
            Assert.Contains("data.csv rows=3 sum=42", DevnetFixture.ReadTarGz(saveTo)["output/summary.txt"]);
        }
    }
}
