using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Sp.Client;
using Sp.Client.Config;
using Sp.Core;

namespace Sp.Node.Tests;

/// <summary>A real sp-node process (the build's sp-node.dll) on its own data folder and loopback port.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    public const string Network = "node-tests";
    private readonly Process _process;

    private NodeProcess(string dir, int port, Process process)
    {
        Dir = dir;
        Url = $"http://127.0.0.1:{port}";
        Port = port;
        _process = process;
        Client = new NodeClient(Url, TimeSpan.FromSeconds(60));
    }

    public string Dir { get; }
    public string Url { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public NodeClient Client { get; }

    /// <summary>Initialises a node folder, sets node.json's <c>limits</c> members given, and runs the node until it answers.</summary>
    public static async Task<NodeProcess> StartAsync(Dictionary<string, long>? limits = null)
    {
        var dir = Directory.CreateTempSubdirectory("sp-node-tests-").FullName;
        var nodeDir = Path.Combine(dir, "node");
        var init = await RunAsync(["init", nodeDir, "--network", Network]);
        Assert.True(init.ExitCode == 0, init.Output);
        if (limits is not null)
        {
            var settingsPath = Path.Combine(nodeDir, "node.json");
            var settings = JsonNode.Parse(File.ReadAllText(settingsPath))!;
            foreach (var (name, value) in limits) settings["limits"]![name] = value;
            File.WriteAllText(settingsPath, settings.ToJsonString());
        }
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Dll, "run", nodeDir, "--urls", $"http://127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var node = new NodeProcess(dir, port, process);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try { await node.Client.GetInfoAsync(); return node; }
            catch (TransientError) when (sw.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited) { await Task.Delay(100); }
        }
    }

    /// <summary>The node's resident memory (VmRSS of /proc/PID/status), in bytes.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>sp-node.dll of the same build configuration as these tests.</summary>
    private static string Dll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name; // …/bin/{Configuration}/net10.0/
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "src", "Sp.Node", "bin", configuration, "net10.0", "sp-node.dll");
                if (File.Exists(path)) return path;
            }
            throw new InvalidOperationException($"sp-node.dll ({configuration}) not found above {AppContext.BaseDirectory}: build the solution (./build.sh)");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Client.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
