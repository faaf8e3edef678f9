using System.Diagnostics;

namespace Sp.Witness.Tests;

/// <summary>
/// tests/go-cosignature-check: Go's golang.org/x/mod/sumdb/note (Debian's golang-golang-x-mod-dev) and crypto/ed25519
/// verify a checkpoint's log signature and each named witness's cosignature (cosignature/v1), independently of our C#.
/// </summary>
public static class GoCosignatureCheck
{
    /// <summary>Runs the check on the note in <paramref name="checkpointFile"/>: exit code 0 when the log and every witness signed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string checkpointFile, string logKey, params string[] witnessKeys)
    {
        var psi = new ProcessStartInfo("env") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = Path.Combine(WitnessProcess.RepoRoot, "tests", "go-cosignature-check") };
        foreach (var a in new[] { "GO111MODULE=off", "GOPATH=/usr/share/gocode", "go", "run", "main.go", checkpointFile, logKey }.Concat(witnessKeys)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
