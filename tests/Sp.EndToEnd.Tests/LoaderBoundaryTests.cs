using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The TEE loader reads inputs only where its operator allows, through the real programs: spctl, sp-node and
/// sp-tee processes. A resource file that names another endpoint (here a listener on another loopback port that
/// records connections) or a LOCAL object that is a symbolic link out of the loader's folder ends its order with
/// Error naming the host or the path, and nothing is read.
/// </summary>
[Collection("devnet")]
public sealed class LoaderBoundaryTests(DevnetFixture net)
{
    /// <summary>A loopback port that accepts connections and counts them (it never answers).</summary>
    private sealed class ConnectionRecorder : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _accepted;

        public ConnectionRecorder()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    try { (await _listener.AcceptTcpClientAsync()).Dispose(); }
                    catch (Exception) { return; }
                    Interlocked.Increment(ref _accepted);
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Accepted => Volatile.Read(ref _accepted);
        public void Dispose() => _listener.Dispose();
    }

    private async Task<string> StatusMessageAsync(long order)
    {
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString());
        return get.Stdout.Split('\n').First(l => l.StartsWith("status_message: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dataset_whose_resource_file_names_an_unlisted_host_ends_its_order_with_Error_naming_it_and_no_connection_is_made()
    {
        using var recorder = new ConnectionRecorder();
        var solution = await net.UploadSolutionAsync("unlisted-host-sol");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));
        var (order, sub) = await net.PlaceOrderAsync(solution);

        // Bob's dataset resource file, pointed at another loopback port by whoever edited it.
        var resource = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Bob, "dataset.resource.json")))!;
        resource["resource"] = new JsonObject
        {
            ["type"] = "STORAGE_PROVIDER", ["storageType"] = "S3", ["filepath"] = "datasets/0123456789abcdef",
            ["credentials"] = new JsonObject
            {
                ["endpoint"] = $"http://127.0.0.1:{recorder.Port}", ["bucket"] = "bucket", ["accessKey"] = "AK", ["secretKey"] = "SK",
            },
        };
        File.WriteAllText(Path.Combine(net.Bob, "unlisted.resource.json"), resource.ToJsonString());
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./unlisted.resource.json", "--status", "done", "--solution-hash", h);

        Assert.Equal("Error", await net.WaitForEndAsync(order));
        var message = await StatusMessageAsync(order);
        Assert.Contains($"storage endpoint host 127.0.0.1:{recorder.Port} is not allowed: tee.json allowedStorageHosts does not list it", message);
        Assert.Equal(0, recorder.Accepted);
        // sp-devnet wrote the hosts it uses: the node's, and nothing else on loopback.
        var tee = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Net, "tee", "tee.json")))!;
        Assert.Equal([new Uri(net.NodeUrl).Authority], tee["allowedStorageHosts"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task A_download_that_fails_is_reported_without_quoting_any_of_its_bytes()
    {
        // An allowed endpoint that serves bytes that are not an SP stream (say, a metadata service's credentials).
        var body = "SECRET-CREDENTIALS-OF-THE-HOST"u8.ToArray();
        using var server = new Sp.Storage.Tests.FakeHttpServer((method, _) => new Sp.Storage.Tests.FakeHttpServer.Response(method == "HEAD" ? 200 : 206, "OK",
            new() { ["Content-Type"] = "application/octet-stream", ["ETag"] = "\"e\"", ["Content-Length"] = body.Length.ToString() }, body));
        var teeJson = net.WriteTeeConfig("tee-listed-server", new JsonObject { ["allowedStorageHosts"] = new JsonArray($"127.0.0.1:{server.Port}") });
        await using var loader = TeeLoaderProcess.Start(teeJson);
        var offer = await loader.WaitServingAsync();
        var solution = await net.UploadSolutionAsync("listed-server-sol");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));
        var (order, sub) = await net.PlaceOrderAsync(solution, offer);
        var resource = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Bob, "dataset.resource.json")))!;
        resource["resource"] = new JsonObject
        {
            ["type"] = "STORAGE_PROVIDER", ["storageType"] = "S3", ["filepath"] = "datasets/0123456789abcdef",
            ["credentials"] = new JsonObject { ["endpoint"] = server.Url, ["bucket"] = "bucket", ["accessKey"] = "AK", ["secretKey"] = "SK" },
        };
        File.WriteAllText(Path.Combine(net.Bob, "listed-server.resource.json"), resource.ToJsonString());
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./listed-server.resource.json", "--status", "done", "--solution-hash", h);

        Assert.Equal("Error", await net.WaitForEndAsync(order));
        var message = await StatusMessageAsync(order);
        Assert.Contains("not an SP stream", message);
        Assert.True(server.Connections > 0); // it was read, and failed
        Assert.DoesNotContain("SECRET", message);
        Assert.DoesNotContain("SECRET", loader.Output);
        var saveTo = Path.Combine(net.Work, $"listed-server-{order}.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        Assert.DoesNotContain("SECRET", DevnetFixture.ReadTarGz(saveTo)["log.txt"]);
    }

    [Fact]
    public async Task A_LOCAL_dataset_that_is_a_symbolic_link_out_of_the_folder_is_refused_by_the_loader_and_by_spctl()
    {
        // Bob keeps an encrypted dataset in a LOCAL folder of his own: a genuine object, which the order would use
        // if a link to it were followed.
        var bobLocal = Path.Combine(net.Net, "bob-local");
        Directory.CreateDirectory(bobLocal);
        foreach (var f in new[] { "root-ca.pem", "attestation-policy.json" }) File.Copy(Path.Combine(net.Bob, f), Path.Combine(bobLocal, f), overwrite: true);
        var bobConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Bob, "config.json")))!;
        bobConfig["storage"] = new JsonObject { ["type"] = "LOCAL", ["path"] = "objects" };
        File.WriteAllText(Path.Combine(bobLocal, "config.json"), bobConfig.ToJsonString());
        Directory.CreateDirectory(Path.Combine(bobLocal, "dataset"));
        File.WriteAllText(Path.Combine(bobLocal, "dataset", "data.csv"), "name,value\nx,1\n");
        await Cli.MustAsync(bobLocal, net.Spctl, "files", "upload", "dataset", "--output", "dataset.resource.json");
        var name = JsonNode.Parse(File.ReadAllText(Path.Combine(bobLocal, "dataset.resource.json")))!["resource"]!["filepath"]!.GetValue<string>();
        var outside = Path.Combine(bobLocal, "objects", name);

        // A loader whose LOCAL folder holds a link, under the object's name, to that file outside the folder.
        var teeJson = net.WriteTeeConfig("tee-local-link", new JsonObject { ["storage"] = new JsonObject { ["type"] = "LOCAL", ["path"] = "local-store" } });
        var loaderFolder = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(teeJson)!, "local-store")).FullName;
        var link = Path.Combine(loaderFolder, name);
        File.CreateSymbolicLink(link, outside);

        await using (var loader = TeeLoaderProcess.Start(teeJson))
        {
            var offer = await loader.WaitServingAsync();
            var solution = await net.UploadSolutionAsync("local-link-sol");
            var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));
            var (order, sub) = await net.PlaceOrderAsync(solution, offer);
            await Cli.MustAsync(bobLocal, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);

            Assert.Equal("Error", await net.WaitForEndAsync(order));
            Assert.Contains($"LOCAL object {link} is a symbolic link: refused", await StatusMessageAsync(order));
        }

        // spctl with that folder as its LOCAL storage refuses the link too, and reads the genuine object.
        var linkConfig = JsonNode.Parse(bobConfig.ToJsonString())!;
        linkConfig["storage"] = new JsonObject { ["type"] = "LOCAL", ["path"] = loaderFolder };
        File.WriteAllText(Path.Combine(bobLocal, "config-link.json"), linkConfig.ToJsonString());
        var viaLink = Directory.CreateDirectory(Path.Combine(bobLocal, "via-link")).FullName;
        var refused = await Cli.RunAsync(bobLocal, net.Spctl, "files", "download", "dataset.resource.json", "./via-link", "--config", "config-link.json");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"LOCAL object {link} is a symbolic link: refused", refused.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(viaLink));
        var direct = Directory.CreateDirectory(Path.Combine(bobLocal, "direct")).FullName;
        await Cli.MustAsync(bobLocal, net.Spctl, "files", "download", "dataset.resource.json", "./direct");
        Assert.Equal("name,value\nx,1\n", File.ReadAllText(Directory.GetFiles(direct, "data.csv", SearchOption.AllDirectories).Single()));
    }
}
