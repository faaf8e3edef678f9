using System.Security.Cryptography;
using Sp.Attestation;

namespace Sp.Certification.Tests;

public sealed class EvidenceCheckerTests : IDisposable
{
    private static readonly byte[] Bound = SHA512.HashData("keys"u8);
    private readonly SimPlatform _platform = SimPlatform.Create();
    private readonly byte[] _measurement = SHA256.HashData("loader"u8);

    public void Dispose() => _platform.Dispose();

    private Evidence Sim(byte[]? reportData = null) =>
        new SimEvidenceProvider(_platform, _measurement, new FixedClock(TestWorld.Now)).GetEvidence(reportData ?? Bound);

    private AttestationPolicy Devnet => AttestationPolicy.Devnet(_platform.PublicKeyId);

    private static string Refused(Evidence evidence, AttestationPolicy policy, IEnumerable<IEvidenceVerifier>? verifiers = null,
        byte[]? expected = null) =>
        Assert.Throws<AttestationException>(() =>
            EvidenceChecker.Check(evidence, policy, verifiers ?? EvidenceVerifiers.Default, TestWorld.Now, expected ?? Bound)).Reason;

    [Fact]
    public void Accepts_sim_evidence_under_the_devnet_policy()
    {
        var verified = EvidenceChecker.Check(Sim(), Devnet, EvidenceVerifiers.Default, TestWorld.Now, Bound);
        Assert.True(verified.Simulated);
        Assert.Equal(Convert.ToHexStringLower(_measurement), verified.Measurement);
    }

    [Fact]
    public void Accepts_any_platform_key_when_the_policy_lists_none()
    {
        var policy = new AttestationPolicy { AllowSim = true };
        Assert.True(EvidenceChecker.Check(Sim(), policy, EvidenceVerifiers.Default, TestWorld.Now, Bound).Simulated);
    }

    [Fact]
    public void Sim_not_allowed()
    {
        Assert.Equal("sim-not-allowed", Refused(Sim(), new AttestationPolicy()));
        Assert.Equal("sim-not-allowed", Refused(Sim(), AttestationPolicy.Production()));
    }

    [Fact]
    public void Type_not_accepted()
    {
        Assert.Equal("type-not-accepted", Refused(Sim(), Devnet with { AcceptedTypes = ["tdx"] }));
    }

    [Fact]
    public void Sim_platform_unknown()
    {
        using var other = SimPlatform.Create();
        Assert.Equal("sim-platform-unknown", Refused(Sim(), AttestationPolicy.Devnet(other.PublicKeyId)));
    }

    [Fact]
    public void Measurement_not_allowed_unless_listed()
    {
        var listed = Devnet with { AllowedMeasurements = [Convert.ToHexStringLower(_measurement)] };
        Assert.NotNull(EvidenceChecker.Check(Sim(), listed, EvidenceVerifiers.Default, TestWorld.Now, Bound));
        var other = Devnet with { AllowedMeasurements = [Convert.ToHexStringLower(new byte[32])] };
        Assert.Equal("measurement-not-allowed", Refused(Sim(), other));
    }

    [Fact]
    public void Report_data_mismatch()
    {
        Assert.Equal("report-data-mismatch", Refused(Sim(), Devnet, expected: SHA512.HashData("other keys"u8)));
    }

    [Fact]
    public void Debug_not_allowed_unless_the_policy_allows_it()
    {
        var verifiers = new IEvidenceVerifier[] { new FakeDebugTdxVerifier() };
        var evidence = new Evidence("tdx", [1, 2, 3]);
        Assert.Equal("debug-not-allowed", Refused(evidence, Devnet, verifiers));
        Assert.True(EvidenceChecker.Check(evidence, Devnet with { AllowDebug = true }, verifiers, TestWorld.Now, Bound).Debug);
    }

    [Fact]
    public void No_verifier_for_a_real_tdx_quote_when_only_sim_is_installed()
    {
        var quote = File.ReadAllBytes(TestData.File("attestation/tdx/tdx_quote_4.dat"));
        Assert.Equal("no-verifier", Refused(new Evidence("tdx", quote), Devnet, [new SimEvidenceVerifier()]));
    }

    [Fact]
    public void The_verifiers_own_reason_comes_through()
    {
        var evidence = Sim();
        evidence.Data[^1] ^= 1;
        Assert.Equal("bad-signature", Refused(evidence, Devnet));
        Assert.Equal("malformed", Refused(evidence with { Data = [.. evidence.Data, 0] }, Devnet));
    }

    [Fact]
    public void A_verifier_reporting_simulated_evidence_is_held_to_the_sim_rules()
    {
        // A verifier of another type that says "simulated" must not slip past a no-sim policy.
        var verifiers = new IEvidenceVerifier[] { new FakeDebugTdxVerifier(simulated: true) };
        Assert.Equal("sim-not-allowed",
            Refused(new Evidence("tdx", [1]), new AttestationPolicy { AllowDebug = true }, verifiers));
    }

    [Fact]
    public void The_default_verifiers_are_a_fresh_list_with_sim()
    {
        var list = EvidenceVerifiers.Default;
        Assert.Contains(list, v => v.Type == "sim");
        list.Clear();
        Assert.NotEmpty(EvidenceVerifiers.Default);
    }

    private sealed class FakeDebugTdxVerifier(bool simulated = false) : IEvidenceVerifier
    {
        public string Type => "tdx";

        public VerifiedEvidence Verify(Evidence evidence, DateTimeOffset now) => new()
        {
            Type = "tdx", ReportData = Bound, Measurement = "00", Debug = true, Simulated = simulated,
        };
    }
}
