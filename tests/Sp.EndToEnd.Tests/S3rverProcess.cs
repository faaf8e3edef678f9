using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sp.Storage.Blobs;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// A real s3rver (npm; scripts/ensure-s3rver.sh installs it when missing) on a free loopback port, keeping its
/// buckets in a folder of its own, with one bucket created. Killed on dispose.
/// </summary>
internal sealed class S3rverProcess : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private readonly Process _process;

    private S3rverProcess(Process process, int port, string dataDirectory, string bucket)
    {
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
        Bucket = bucket;
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    /// <summary>The folder s3rver keeps its buckets and objects in.</summary>
    public string DataDirectory { get; }
    public string Bucket { get; }

    public S3StorageOptions Options(string prefix = "") => new() { Endpoint = Endpoint, Bucket = Bucket, Prefix = prefix, AccessKey = AccessKey, SecretKey = SecretKey };

    public static async Task<S3rverProcess> StartAsync(string bucket)
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        var data = Directory.CreateTempSubdirectory("sp-s3-").FullName;
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(Cli.RepoRoot, "scripts", "ensure-s3rver.sh"), "start", port.ToString(), data }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var s3 = new S3rverProcess(process, port, data, bucket);
        var sw = Stopwatch.StartNew();
        while (!await AcceptsAsync(port))
        {
            if (process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(120))
            {
                await s3.DisposeAsync();
                throw new InvalidOperationException("s3rver did not start (scripts/ensure-s3rver.sh)");
            }
            await Task.Delay(100);
        }
        using var store = new S3BlobStore(s3.Options());
        await store.EnsureBucketAsync();
        return s3;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
