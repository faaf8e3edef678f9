using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// One devnet for the end-to-end tests: Docker is made available (the tests fail, never skip, when it cannot),
/// the example solution is built and saved as the guide says, and the network is started with ./bin/sp-devnet
/// (sp-node and sp-tee at the Trace level: LogSecretsTests searches all they log).
/// Bob's data offer is registered once through provider-tools' dialog.
/// </summary>
public sealed partial class DevnetFixture : IAsyncLifetime
{
    public string Work { get; } = Directory.CreateTempSubdirectory("sp-e2e-").FullName;
    public string Net => Path.Combine(Work, "net");
    public string Alice => Path.Combine(Net, "alice");
    public string Bob => Path.Combine(Net, "bob");
    public string Spctl => Cli.Bin("spctl");
    public long TeeOfferId { get; private set; }
    public long DataOfferId { get; private set; }
    public long DataSlotId { get; private set; }
    public string RegisterOutput { get; private set; } = "";
    public string SolutionArchive => Path.Combine(Work, "stats-solution.tar.gz");

    public async Task InitializeAsync()
    {
        var docker = await Cli.RunAsync(Cli.RepoRoot, Path.Combine(Cli.RepoRoot, "scripts", "ensure-docker.sh"), [], null, 600);
        if (docker.ExitCode != 0) throw new InvalidOperationException("Docker Engine is required and could not be started: " + docker.All);
        foreach (var b in new[] { "spctl", "provider-tools", "sp-node", "sp-tee", "sp-devnet" })
            if (!File.Exists(Cli.Bin(b))) throw new InvalidOperationException($"missing ./bin/{b}");
        await Cli.MustAsync(Work, Path.Combine(Cli.RepoRoot, "examples", "collaboration", "build-solution.sh"), "e2e-stats", SolutionArchive);
        var up = await Cli.RunAsync(Work, Cli.Bin("sp-devnet"), ["up", Net, "--log-level", "trace"], null, 300);
        if (up.ExitCode != 0) throw new InvalidOperationException("sp-devnet up failed: " + up.All);

        var tees = await Cli.MustAsync(Alice, Spctl, "offers", "list", "tee");
        TeeOfferId = long.Parse(tees.Stdout.Split('\n')[1].Split(' ')[0]);

        // Bob: dataset upload, then offer registration through the guide's dialog with answers piped on stdin.
        Directory.CreateDirectory(Path.Combine(Bob, "dataset"));
        File.WriteAllText(Path.Combine(Bob, "dataset", "data.csv"), "name,value\na,1\nb,2\nc,39\n");
        await Cli.MustAsync(Bob, Spctl, "files", "upload", "dataset", "--output", "dataset.resource.json", "--use-addon");
        File.WriteAllText(Path.Combine(Bob, "offer-info.json"), OfferInfo);
        File.WriteAllText(Path.Combine(Bob, "slot-info.json"), SlotInfo);
        var answers = Cli.Lines("Bob Data Inc", "Sales data of Bob", "y", "./provider-info.json", "n", "./offer-info.json", "./slot-info.json", "n");
        var reg = await Cli.RunAsync(Bob, Cli.Bin("provider-tools"), ["register", "data", "--result", "./dataset.resource.json"], answers);
        RegisterOutput = reg.All;
        var m = SlotLine().Match(reg.Stdout);
        if (reg.ExitCode != 0 || !m.Success) throw new InvalidOperationException("provider-tools register data failed: " + reg.All);
        DataSlotId = long.Parse(m.Groups[1].Value);
        DataOfferId = long.Parse(m.Groups[2].Value);
    }

    public async Task DisposeAsync()
    {
        await Cli.RunAsync(Work, Cli.Bin("sp-devnet"), ["down", Net], null, 120);
    }

    public static string HashOf(string resourceFile) => JsonNode.Parse(File.ReadAllText(resourceFile))!["hash"]!["hash"]!.GetValue<string>();

    /// <summary>Alice places an order for a solution resource (on the devnet's TEE offer unless another is named); returns (order id, data sub-order id).</summary>
    public async Task<(long Order, long Sub)> PlaceOrderAsync(string solutionResource, long? teeOffer = null)
    {
        var created = await Cli.MustAsync(Alice, Spctl, "workflows", "create", "--solution", solutionResource, "--data", $"{DataOfferId},{DataSlotId}", "--tee", (teeOffer ?? TeeOfferId).ToString());
        var order = long.Parse(OrderLine().Match(created.Stdout).Groups[1].Value);
        var get = await Cli.MustAsync(Alice, Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type,status");
        var row = get.Stdout.Split('\n').Single(l => Regex.IsMatch(l, @"^\d+\s+Data\s+"));
        return (order, long.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
    }

    /// <summary>The devnet node's URL (from Alice's config.json).</summary>
    public string NodeUrl => JsonNode.Parse(File.ReadAllText(Path.Combine(Alice, "config.json")))!["backend"]!["url"]!.GetValue<string>();

    /// <summary>
    /// tee.json of a second loader on this devnet (its own account and TEE offer, the devnet's sim platform key and
    /// log key), written to <c>NET/NAME/tee.json</c> with <paramref name="extra"/> members; returns its path.
    /// </summary>
    public string WriteTeeConfig(string name, JsonObject? extra = null)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Net, name)).FullName;
        var alice = JsonNode.Parse(File.ReadAllText(Path.Combine(Alice, "config.json")))!;
        using var key = Sp.Crypto.Accounts.AccountKey.Generate();
        var config = new JsonObject
        {
            ["nodeUrl"] = alice["backend"]!["url"]!.GetValue<string>(),
            ["network"] = alice["backend"]!["network"]!.GetValue<string>(),
            ["accountPrivateKey"] = key.ExportHex(),
            ["simPlatformKey"] = Path.Combine(Net, "node", "sim-platform.key.pem"),
            ["logKey"] = alice["trust"]!["logKey"]!.GetValue<string>(),
            ["offerName"] = name,
        };
        foreach (var (k, v) in extra ?? []) config[k] = v?.DeepClone();
        var path = Path.Combine(dir, "tee.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    /// <summary>Alice uploads a copy of the example solution under <paramref name="name"/>; returns its resource file.</summary>
    public async Task<string> UploadSolutionAsync(string name)
    {
        var file = $"{name}.tar.gz";
        File.Copy(SolutionArchive, Path.Combine(Alice, file), overwrite: true);
        await Cli.MustAsync(Alice, Spctl, "files", "upload", file, "--output", $"{name}.resource.json");
        return $"./{name}.resource.json";
    }

    /// <summary>Builds the example solution, sleeping <paramref name="seconds"/> before its work, and saves it (docker save,
    /// gzip) to <paramref name="archive"/>.</summary>
    public static async Task BuildSlowSolutionAsync(string archive, string name, int seconds)
    {
        var ctx = Directory.CreateTempSubdirectory("sp-slow-").FullName;
        var example = Path.Combine(Cli.RepoRoot, "examples", "collaboration", "solution");
        File.Copy(Path.Combine(example, "Dockerfile"), Path.Combine(ctx, "Dockerfile"));
        File.WriteAllText(Path.Combine(ctx, "stats.sh"), $"sleep {seconds}\n" + File.ReadAllText(Path.Combine(example, "stats.sh")));
        File.Copy("/bin/busybox", Path.Combine(ctx, "busybox"));
        await Cli.MustAsync(ctx, "/bin/sh", "-c", $"DOCKER_BUILDKIT=0 docker build -q -t sp-e2e-{name} . >/dev/null && docker save sp-e2e-{name}:latest | gzip > {archive}");
        Directory.Delete(ctx, recursive: true);
    }

    /// <summary>The entries of a result archive (gzip tar) and their text.</summary>
    public static Dictionary<string, string> ReadTarGz(string path)
    {
        var result = new Dictionary<string, string>();
        using var fs = File.OpenRead(path);
        using var gz = new System.IO.Compression.GZipStream(fs, System.IO.Compression.CompressionMode.Decompress);
        using var tar = new System.Formats.Tar.TarReader(gz);
        while (tar.GetNextEntry() is { } e)
        {
            if (e.DataStream is null) { result[e.Name] = ""; continue; }
            using var r = new StreamReader(e.DataStream);
            result[e.Name] = r.ReadToEnd();
        }
        return result;
    }

    public async Task<string> WaitForEndAsync(long order, int seconds = 120)
    {
        var status = "";
        for (var i = 0; i < seconds * 2; i++)
        {
            var r = await Cli.MustAsync(Alice, Spctl, "orders", "get", order.ToString());
            status = r.Stdout.Split('\n').First(l => l.StartsWith("status: ", StringComparison.Ordinal))["status: ".Length..];
            if (status is "Done" or "Error") return status;
            await Task.Delay(500);
        }
        return status;
    }

    [GeneratedRegex(@"Slot (\d+) for offer (\d+) has been created successfully")]
    private static partial Regex SlotLine();

    [GeneratedRegex(@"^Workflow was created, TEE order id: \[""(\d+)""\]$", RegexOptions.Multiline)]
    private static partial Regex OrderLine();

    internal const string OfferInfo = """
        {"name":"Bob sales data","group":"0","offerType":"3","cancelable":false,"description":"Quarterly sales",
         "restrictions":{"offers":[],"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":[],
         "argsPublicKey":"","resultResource":"","subType":"0",
         "version":{"version":1,"status":"0","info":{"metadata":{"groupingOffers":true}}}}
        """;

    internal const string SlotInfo = """
        {"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},
         "usage":{"maxTimeMinutes":0,"minTimeMinutes":15000,"price":"0","priceType":"1"},
         "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
        """;
}

[CollectionDefinition("devnet")]
public sealed class DevnetCollection : ICollectionFixture<DevnetFixture>;
