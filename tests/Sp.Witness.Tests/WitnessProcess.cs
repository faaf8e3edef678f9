using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sp.Witness.Tests;

/// <summary>A real sp-witness process (this checkout's bin/sp-witness) on its own folder and loopback port.</summary>
public sealed class WitnessProcess : IAsyncDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    private WitnessProcess(string dir, int port)
    {
        Dir = dir;
        Port = port;
    }

    public string Dir { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public string VerifierKey => File.ReadAllText(Path.Combine(Dir, "witness-key.pub")).Trim();

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>sp-witness init DIR --name NAME --log KEY…</c>, then run it.</summary>
    public static async Task<WitnessProcess> StartAsync(string dir, string name, params string[] logKeys)
    {
        var args = new List<string> { "init", dir, "--name", name };
        foreach (var k in logKeys) args.AddRange(["--log", k]);
        var (code, output) = await RunAsync(args);
        if (code != 0) throw new InvalidOperationException("sp-witness init failed: " + output);
        var w = new WitnessProcess(dir, FreePort());
        await w.StartAsync();
        return w;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "bin", "sp-witness")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "bin", "sp-witness")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", Dir, "--urls", Url, "--log-level", "debug" }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited) throw new InvalidOperationException("sp-witness exited: " + Output);
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGKILL: no chance to flush anything, as a crash or a power cut.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "bin", "sp-witness"))) return dir.FullName;
        throw new InvalidOperationException($"bin/sp-witness not found above {AppContext.BaseDirectory}");
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
