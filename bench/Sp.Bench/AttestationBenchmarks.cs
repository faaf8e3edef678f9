using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Sp.Attestation;
using Sp.Attestation.SevSnp;
using Sp.Attestation.Tdx;

namespace Sp.Bench;

/// <summary>
/// Time to verify the public sample evidence offline (issue 7's figure): the TDX quote v4 (quote signature, QE
/// report signature, key binding, PCK chain to the pinned Intel root) and the SEV-SNP report (P-384 signature,
/// VCEK -> ASK -> ARK). Run: dotnet run -c Release --project bench/Sp.Bench -- --filter '*Attestation*'
/// </summary>
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class AttestationBenchmarks
{
    private static readonly DateTimeOffset TdxAt = new(2023, 7, 1, 1, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SnpAt = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private Evidence _tdx = null!;
    private Evidence _snp = null!;
    private byte[] _vcek = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = Samples();
        _tdx = new Evidence(EvidenceTypes.Tdx, File.ReadAllBytes(Path.Combine(dir, "tdx", "tdx_quote_4.dat")));
        _snp = new Evidence(EvidenceTypes.SevSnp, File.ReadAllBytes(Path.Combine(dir, "sev-snp", "attestation.bin")));
        _vcek = File.ReadAllBytes(Path.Combine(dir, "sev-snp", "vcek.der"));
    }

    [Benchmark]
    public VerifiedEvidence VerifyTdxQuote() => new TdxVerifier().Verify(_tdx, TdxAt);

    [Benchmark]
    public VerifiedEvidence VerifySevSnpReport() => new SevSnpVerifier(_vcek).Verify(_snp, SnpAt);

    private static string Samples()
    {
        if (Environment.GetEnvironmentVariable("SP_TESTDATA") is { } env) return Path.Combine(env, "attestation");
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "testdata", "attestation");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/testdata/attestation not found above the current folder; set SP_TESTDATA");
    }
}
