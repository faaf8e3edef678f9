using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sp.Storage.Blobs;

namespace Sp.Storage.Tests;

/// <summary>
/// A real s3rver (npm) on a free loopback port, installed by scripts/ensure-s3rver.sh when missing, with one
/// bucket. Shared by the tests of <see cref="S3Collection"/>. If it cannot start, every test using it fails.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string Bucket = "sp-tests";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly TempDir _data = new();
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; private set; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    /// <summary>The folder s3rver keeps buckets in.</summary>
    public string DataDirectory => _data.Path;

    /// <summary>Options for a store on this server; each caller gets its own key prefix.</summary>
    public S3StorageOptions Options(string? prefix = null, int partSize = S3StorageOptions.MinPartSize, int parallelism = 3) => new()
    {
        Endpoint = Endpoint,
        Bucket = Bucket,
        Prefix = prefix ?? $"t-{Guid.NewGuid():N}/",
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        PartSize = partSize,
        Parallelism = parallelism,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
    };

    public async Task InitializeAsync()
    {
        Port = FreeLoopbackPort();
        var script = Path.Combine(TestData.RepositoryRoot, "scripts", "ensure-s3rver.sh");
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { script, "start", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), _data.Path },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash for scripts/ensure-s3rver.sh");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!await AcceptsAsync(Port))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before listening on {Endpoint}: {Output()}");
            if (deadline.Elapsed > StartTimeout)
                throw new TimeoutException($"s3rver did not listen on {Endpoint} within {StartTimeout.TotalSeconds} s: {Output()}");
            await Task.Delay(100);
        }
        using var store = new S3BlobStore(Options());
        await store.EnsureBucketAsync();
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5_000);
        }
        _process?.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private string Output()
    {
        lock (_output) return _output.Length == 0 ? "(no output)" : _output.ToString();
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class S3Collection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
