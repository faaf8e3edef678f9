using System.Diagnostics;
using System.Text.RegularExpressions;
using Sp.EndToEnd.Tests;

namespace Sp.Ui.Tests;

using Cli = Sp.EndToEnd.Tests.Cli; // the linked helper, not the Sp.Cli namespace Sp.Ui brings in

/// <summary>A real `spctl ui` process on one config folder; <see cref="Url"/> is the address it printed (with its token).</summary>
public sealed partial class UiProcess : IAsyncDisposable
{
    private readonly Process _process;

    public string Url { get; }

    /// <summary>The address without the token (a browser that never had it gets 403).</summary>
    public string Base => Url[..Url.IndexOf("/?token=", StringComparison.Ordinal)];

    private UiProcess(Process process, string url) { _process = process; Url = url; }

    public static async Task<UiProcess> StartAsync(string folder, string config = "config.json")
    {
        var psi = new ProcessStartInfo(Cli.Bin("spctl"), ["ui", "--config", config])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            if (UrlLine().Match(line) is { Success: true } m)
            {
                _ = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = p.StandardError.ReadToEndAsync(CancellationToken.None);
                return new UiProcess(p, m.Value);
            }
        }
        var err = await p.StandardError.ReadToEndAsync(CancellationToken.None);
        throw new InvalidOperationException($"spctl ui printed no address: {err}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{48}")]
    private static partial Regex UrlLine();
}
