using System.Diagnostics;
using System.Text;

namespace Sp.EndToEnd.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;
}

/// <summary>Runs the real binaries (./bin/*) as separate processes, as a user types them.</summary>
public static class Cli
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static string Bin(string name) => Path.Combine(RepoRoot, "bin", name);

    public static async Task<CliResult> RunAsync(string cwd, string exe, IEnumerable<string> args, string? stdin = null, int timeoutSeconds = 180)
    {
        var psi = new ProcessStartInfo(exe)
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(exe)} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutSeconds} s; output so far: {await stdout}");
        }
        return new CliResult(p.ExitCode, await stdout, await stderr);
    }

    public static Task<CliResult> RunAsync(string cwd, string exe, params string[] args) => RunAsync(cwd, exe, args, null);

    public static async Task<CliResult> MustAsync(string cwd, string exe, params string[] args)
    {
        var r = await RunAsync(cwd, exe, args, null);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', args)} failed ({r.ExitCode}): {r.All}");
        return r;
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ConfidentialCollaboration.slnx"))) return d.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public static string Sha256File(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs));
    }

    public static string Lines(params string[] lines) => string.Join('\n', lines) + "\n";

    public static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
