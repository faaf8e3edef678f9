using System.Text;
using Sp.Tlog;

namespace Sp.Witness.Tests;

/// <summary>Cosignatures of sp-witness checked by Go (tests/go-cosignature-check: golang.org/x/mod/sumdb/note + crypto/ed25519).</summary>
public sealed class WitnessCrossCheckTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-witness-go-").FullName;
    private readonly TestLog _log = new("example.com/go");
    private WitnessProcess _w1 = null!;
    private WitnessProcess _w2 = null!;

    public async Task InitializeAsync()
    {
        _w1 = await WitnessProcess.StartAsync(Path.Combine(_work, "w1"), "witness.example/w1", _log.Key.Verifier.VerifierKey);
        _w2 = await WitnessProcess.StartAsync(Path.Combine(_work, "w2"), "witness.example/w2", _log.Key.Verifier.VerifierKey);
    }

    public async Task DisposeAsync()
    {
        await _w1.DisposeAsync();
        await _w2.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Gos_sumdb_note_with_an_ed25519_cosignature_v1_verifier_accepts_both_witnesses_cosignatures_and_refuses_a_changed_one()
    {
        var note = _log.Checkpoint(17);
        var lines = new StringBuilder();
        foreach (var w in new[] { _w1, _w2 })
        {
            var (status, body, _) = await WitnessHttp.AddAsync(w.Url, 0, [], note);
            Assert.Equal(200, status);
            lines.Append(body);
        }
        var file = Path.Combine(_work, "cosigned");
        await File.WriteAllBytesAsync(file, [.. note, .. Encoding.UTF8.GetBytes(lines.ToString())]);
        var ok = await GoCosignatureCheck.RunAsync(file, _log.Key.Verifier.VerifierKey, _w1.VerifierKey, _w2.VerifierKey);
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.Matches(@"verified: checkpoint of example\.com/go at tree size 17, cosigned by witness\.example/w1 at \d+, witness\.example/w2 at \d+", ok.Output);

        // One bit of w2's timestamp changed: Go finds the signature invalid (note.Open fails on a known key's bad signature).
        var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
        var line = text.Split('\n').Single(l => l.StartsWith("— witness.example/w2 ", StringComparison.Ordinal));
        var sig = Convert.FromBase64String(line.Split(' ')[2]);
        sig[11] ^= 1;
        await File.WriteAllTextAsync(file, text.Replace(line, "— witness.example/w2 " + Convert.ToBase64String(sig), StringComparison.Ordinal));
        var bad = await GoCosignatureCheck.RunAsync(file, _log.Key.Verifier.VerifierKey, _w1.VerifierKey, _w2.VerifierKey);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("invalid signature for key witness.example/w2", bad.Output);

        // Without w2's line, Go sees the missing cosignature.
        await File.WriteAllTextAsync(file, text.Replace(line + "\n", "", StringComparison.Ordinal));
        var missing = await GoCosignatureCheck.RunAsync(file, _log.Key.Verifier.VerifierKey, _w1.VerifierKey, _w2.VerifierKey);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no valid cosignature by witness.example/w2", missing.Output);
    }
}
