using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>A second sp-tee, as its provider starts it (`sp-tee run --config tee.json`), its output kept; killed on dispose.</summary>
internal sealed partial class TeeLoaderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TeeLoaderProcess(string teeJson, string? logLevel)
    {
        _process = new Process
        {
            StartInfo = new ProcessStartInfo(Cli.Bin("sp-tee"), ["run", "--config", teeJson, .. logLevel is null ? Array.Empty<string>() : ["--log-level", logLevel]])
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

    [GeneratedRegex(@"serving TEE offer (\d+)")]
    private static partial Regex Serving();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
