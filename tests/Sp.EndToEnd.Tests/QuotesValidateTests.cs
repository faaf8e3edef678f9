namespace Sp.EndToEnd.Tests;

/// <summary>`spctl quotes validate` on the public sample evidence: no config.json, no network.</summary>
public sealed class QuotesValidateTests
{
    private static readonly string Samples = FindSamples();
    private readonly string _empty = Directory.CreateTempSubdirectory("sp-quotes-").FullName;

    [Fact]
    public async Task The_TDX_sample_verifies_with_its_MRTD_and_says_the_TCB_was_not_evaluated()
    {
        var r = await Cli.RunAsync(_empty, Cli.Bin("spctl"), "quotes", "validate", Path.Combine(Samples, "tdx", "tdx_quote_4.dat"), "--at", "2023-07-01T01:00:00Z");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("type: tdx", r.Stdout);
        Assert.Contains("mrtd: 705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031", r.Stdout);
        Assert.Contains("tcb_status: not evaluated", r.Stdout);
        Assert.Contains("report_data: 7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656aeb755da3d44d098c0c87382f3a5f85b45c8a28fee1d3bdb38342bf96671501429\n", r.Stdout);
        Assert.Contains("debug: true\n", r.Stdout); // the sample is a debug TD, and it is reported so
        Assert.Contains("rtmr0: e940da7c2712d2790e2961e00484f4fa8e6f9eed71361655ae22699476b14f9e63867eb41edd4b480fef0c59f496b288\n", r.Stdout);
        Assert.Contains("tee_tcb_svn: 03000500000000000000000000000000\n", r.Stdout);
        Assert.Contains("tdx_tcb_component_02: 5\n", r.Stdout);
        Assert.EndsWith("Quote validation successful!\n", r.Stdout);
    }

    [Fact]
    public async Task With_collateral_the_TDX_TCB_level_is_evaluated()
    {
        var r = await Cli.RunAsync(_empty, Cli.Bin("spctl"), "quotes", "validate", Path.Combine(Samples, "tdx", "tdx_quote_4.dat"),
            "--at", "2023-07-01T01:00:00Z", "--collateral", Path.Combine(Samples, "tdx-collateral"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("tcb_status: UpToDate", r.Stdout);
    }

    [Fact]
    public async Task The_SEV_SNP_sample_verifies_with_its_VCEK()
    {
        var r = await Cli.RunAsync(_empty, Cli.Bin("spctl"), "quotes", "validate", Path.Combine(Samples, "sev-snp", "attestation.bin"),
            "--vcek", Path.Combine(Samples, "sev-snp", "vcek.der"), "--at", "2025-01-01T00:00:00Z");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("type: sev-snp", r.Stdout);
        Assert.Contains("measurement: b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01\n", r.Stdout);
        Assert.Contains("report_data: 0102030405" + new string('0', 118) + "\n", r.Stdout);
        Assert.Contains("debug: true\n", r.Stdout); // policy 0xb0000: bit 19 (DEBUG) is set
        Assert.Contains("signing_key: VCEK\n", r.Stdout);
        Assert.Contains("product: Milan\n", r.Stdout);
        Assert.Contains("reported_tcb_snp: 5\n", r.Stdout);
        Assert.Contains("reported_tcb_microcode: 68\n", r.Stdout);
        Assert.Contains("Quote validation successful!", r.Stdout);

        // Guessed from the bytes, without --type; and without the VCEK it names what is missing.
        var noVcek = await Cli.RunAsync(_empty, Cli.Bin("spctl"), "quotes", "validate", Path.Combine(Samples, "sev-snp", "attestation.bin"), "--at", "2025-01-01T00:00:00Z");
        Assert.Equal(1, noVcek.ExitCode);
        Assert.Contains("missing-vcek", noVcek.Stderr);
        Assert.Contains("--vcek", noVcek.Stderr);
    }

    [Fact]
    public async Task A_flipped_byte_fails_with_its_reason_and_a_nonzero_exit()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Samples, "tdx", "tdx_quote_4.dat"));
        bytes[0x100] ^= 1; // inside the TD report body (0x30..0x278), covered by the quote signature
        var path = Path.Combine(_empty, "flipped.dat");
        File.WriteAllBytes(path, bytes);
        var r = await Cli.RunAsync(_empty, Cli.Bin("spctl"), "quotes", "validate", path, "--at", "2023-07-01T01:00:00Z");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("bad-quote-signature", r.Stderr);
        Assert.DoesNotContain("successful", r.Stdout);
    }

    private static string FindSamples()
    {
        var env = Environment.GetEnvironmentVariable("SP_TESTDATA");
        if (env is not null) return Path.Combine(env, "attestation");
        var candidate = Path.Combine(Cli.RepoRoot, "tests", "testdata", "attestation");
        return Directory.Exists(candidate) ? Path.GetFullPath(candidate) : throw new DirectoryNotFoundException($"test data not found at {candidate}");
    }
}
