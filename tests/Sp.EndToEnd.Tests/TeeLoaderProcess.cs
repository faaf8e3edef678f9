using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>A second sp-tee, as its provider starts it (`sp-tee run --config tee.json`), its output kept; killed on dispose.</summary>
internal sealed partial class TeeLoaderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TeeLoaderProcess(string teeJson, string? logLevel, string? networkNamespace = null)
    {
        string[] run = [Cli.Bin("sp-tee"), "run", "--config", teeJson, .. logLevel is null ? Array.Empty<string>() : ["--log-level", logLevel]];
        // nsenter enters the network namespace only and execs the loader (the process started here is the loader
        // itself). Not `ip netns exec`: it also gives the process a mount namespace of its own, where the loader's
        // tmpfs mounts (inputs, output) would be invisible to the Docker daemon, as they are on a host where the loader
        // runs with systemd's PrivateTmp/PrivateMounts (docs/deploy.md).
        string[] command = networkNamespace is null ? run : ["nsenter", $"--net=/run/netns/{networkNamespace}", "--", .. run];
        _process = new Process
        {
            StartInfo = new ProcessStartInfo(command[0], command[1..])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            },
        };
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static TeeLoaderProcess Start(string teeJson, string? logLevel = null) => new(teeJson, logLevel);

    /// <summary>A loader inside the network namespace <paramref name="networkNamespace"/> (as on a host of its own).</summary>
    public static TeeLoaderProcess StartIn(string networkNamespace, string teeJson) => new(teeJson, null, networkNamespace);

    public int Pid => _process.Id;

    /// <summary>SIGKILL, as a host that loses power: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Waits until the loader serves its TEE offer; returns the offer's id.</summary>
    public async Task<long> WaitServingAsync(int seconds = 60)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var m = Serving().Match(Output);
            if (m.Success) return long.Parse(m.Groups[1].Value);
            if (_process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail("sp-tee did not start serving: " + Output);
            await Task.Delay(250);
        }
    }

    /// <summary>Waits until the loader's output holds <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, int seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail($"sp-tee did not write '{text}': " + Output);
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the loader exits by itself (<paramref name="seconds"/> at most); returns its exit code, its output all read.</summary>
    public async Task<int> WaitForExitAsync(int seconds = 60)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { Assert.Fail($"sp-tee did not exit within {seconds} s: " + Output); }
        return _process.ExitCode;
    }

    [GeneratedRegex(@"serving TEE offer (\d+)")]
    private static partial Regex Serving();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
