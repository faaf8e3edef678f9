using Sp.Attestation;
using Sp.Attestation.Tdx;

namespace Sp.Attestation.Tests;

/// <summary>The attestation policy applied to the real TDX sample: measurements, required fields, minimum TCB, debug.</summary>
public sealed class PolicyOnRealEvidenceTests
{
    private const string Mrtd = "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031";
    private const string Rtmr0 = "e940da7c2712d2790e2961e00484f4fa8e6f9eed71361655ae22699476b14f9e63867eb41edd4b480fef0c59f496b288";

    private static readonly AttestationPolicy Base = AttestationPolicy.Production() with { AllowDebug = true };

    private static VerifiedEvidence Check(AttestationPolicy policy)
    {
        var quote = TdxQuote.Parse(Samples.TdxQuote);
        return EvidenceChecker.Check(new Evidence(EvidenceTypes.Tdx, Samples.TdxQuote), policy, EvidenceVerifiers.Default, Samples.At, quote.Body.ReportData);
    }

    private static string Reason(AttestationPolicy policy) => Assert.Throws<AttestationException>(() => Check(policy)).Reason;

    [Fact]
    public void A_policy_pinning_the_MRTD_and_RTMR0_with_a_minimum_TCB_accepts_the_sample()
    {
        var policy = Base with
        {
            AllowedMeasurements = [Mrtd],
            RequiredFields = new() { ["rtmr0"] = Rtmr0 },
            MinimumFields = new() { ["pce_svn"] = 11, ["qe_isv_svn"] = 4 },
        };
        Assert.Equal(Mrtd, Check(policy).Measurement);
    }

    [Fact]
    public void Another_MRTD_is_refused() =>
        Assert.Equal(AttestationReasons.MeasurementNotAllowed, Reason(Base with { AllowedMeasurements = [new string('0', 96)] }));

    [Fact]
    public void Another_RTMR_is_refused() =>
        Assert.Equal(AttestationReasons.FieldMismatch, Reason(Base with { RequiredFields = new() { ["rtmr1"] = Rtmr0 } }));

    [Fact]
    public void A_TCB_below_the_minimum_is_refused() =>
        Assert.Equal(AttestationReasons.TcbTooLow, Reason(Base with { MinimumFields = new() { ["pce_svn"] = 12 } }));

    [Fact]
    public void The_debug_bit_of_the_sample_is_refused_unless_allowed() =>
        Assert.Equal(AttestationReasons.DebugNotAllowed, Reason(Base with { AllowDebug = false }));

    [Fact]
    public void Report_data_that_does_not_bind_the_expected_keys_is_refused()
    {
        var e = Assert.Throws<AttestationException>(() =>
            EvidenceChecker.Check(new Evidence(EvidenceTypes.Tdx, Samples.TdxQuote), Base, EvidenceVerifiers.Default, Samples.At, new byte[64]));
        Assert.Equal(AttestationReasons.ReportDataMismatch, e.Reason);
    }

    [Fact]
    public void A_minimum_TDX_TCB_is_checked_component_by_component()
    {
        // tee_tcb_svn 03000500...: component 0 is 3, component 2 is 5.
        Assert.Equal(Mrtd, Check(Base with { MinimumFields = new() { ["tdx_tcb_component_00"] = 3, ["tdx_tcb_component_02"] = 5 } }).Measurement);
        Assert.Equal(AttestationReasons.TcbTooLow, Reason(Base with { MinimumFields = new() { ["tdx_tcb_component_02"] = 6 } }));
    }

    [Fact]
    public void A_no_sim_policy_accepts_real_evidence_but_not_sim()
    {
        Assert.False(Check(Base).Simulated);
        using var sim = SimPlatform.Create();
        var simEvidence = new SimEvidenceProvider(sim, new byte[32]).GetEvidence(new byte[64]);
        var e = Assert.Throws<AttestationException>(() => EvidenceChecker.Check(simEvidence, Base, EvidenceVerifiers.Default, DateTimeOffset.UtcNow, new byte[64]));
        Assert.Equal(AttestationReasons.SimNotAllowed, e.Reason);
    }
}

/// <summary>The attestation policy applied to the real SEV-SNP sample: measurement, debug, minimum TCB per part.</summary>
public sealed class PolicyOnRealSnpEvidenceTests
{
    private static readonly AttestationPolicy Base = AttestationPolicy.Production() with { AllowDebug = true };

    private static VerifiedEvidence Check(AttestationPolicy policy) =>
        EvidenceChecker.Check(new Evidence(EvidenceTypes.SevSnp, Sp.Attestation.SevSnp.SnpEvidenceData.Compose(Samples.SnpReport, Samples.Vcek)),
            policy, EvidenceVerifiers.Default, Samples.At, Samples.SnpReportData);

    private static string Reason(AttestationPolicy policy) => Assert.Throws<AttestationException>(() => Check(policy)).Reason;

    [Fact]
    public void A_policy_pinning_the_measurement_and_a_minimum_TCB_per_part_accepts_the_sample()
    {
        var policy = Base with
        {
            AllowedMeasurements = [Samples.SnpMeasurement],
            RequiredFields = new() { ["vmpl"] = "0", ["product"] = "Milan" },
            MinimumFields = new() { ["reported_tcb_bootloader"] = 2, ["reported_tcb_snp"] = 5, ["reported_tcb_microcode"] = 0x44 },
        };
        Assert.Equal(Samples.SnpMeasurement, Check(policy).Measurement);
    }

    [Fact]
    public void Another_measurement_is_refused() =>
        Assert.Equal(AttestationReasons.MeasurementNotAllowed, Reason(Base with { AllowedMeasurements = [new string('0', 96)] }));

    [Theory]
    [InlineData("reported_tcb_snp", 6)]
    [InlineData("reported_tcb_microcode", 0x45)]
    [InlineData("guest_svn", 1)]
    public void A_TCB_part_below_its_minimum_is_refused(string field, long minimum) =>
        Assert.Equal(AttestationReasons.TcbTooLow, Reason(Base with { MinimumFields = new() { [field] = minimum } }));

    [Fact]
    public void The_debug_policy_bit_of_the_sample_is_refused_unless_allowed() =>
        Assert.Equal(AttestationReasons.DebugNotAllowed, Reason(Base with { AllowDebug = false }));

    [Fact]
    public void Report_data_that_does_not_bind_the_expected_keys_is_refused()
    {
        var e = Assert.Throws<AttestationException>(() => EvidenceChecker.Check(
            new Evidence(EvidenceTypes.SevSnp, Sp.Attestation.SevSnp.SnpEvidenceData.Compose(Samples.SnpReport, Samples.Vcek)),
            Base, EvidenceVerifiers.Default, Samples.At, new byte[64]));
        Assert.Equal(AttestationReasons.ReportDataMismatch, e.Reason);
    }
}
