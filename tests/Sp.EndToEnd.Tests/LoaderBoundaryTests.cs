using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The TEE loader reads inputs only where its operator allows, through the real programs: spctl, sp-node and
/// sp-tee processes. A resource file that names another endpoint (here a listener on another loopback port that
/// records connections) ends its order with Error naming the host, and no connection is made.
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
}
