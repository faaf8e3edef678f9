using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tests;

public sealed class QuoteValidationTests
{
    private static string Line(QuoteValidationResult r, string key) => r.Lines.Single(l => l.Key == key).Value;

    [Fact]
    public void GuessType_Recognises_Both_Formats_And_Nothing_Else()
    {
        Assert.Equal("tdx", QuoteValidation.GuessType(Samples.TdxQuote));
        Assert.Equal("sev-snp", QuoteValidation.GuessType(Samples.SnpReport));
        Assert.Equal("sev-snp", QuoteValidation.GuessType(Sp.Attestation.SevSnp.SnpEvidenceData.Compose(Samples.SnpReport, Samples.Vcek)));
        Assert.Equal(QuoteValidation.Unknown, QuoteValidation.GuessType("{\"type\":\"sim\"}"u8));
        Assert.Equal(QuoteValidation.Unknown, QuoteValidation.GuessType(new byte[2000]));
    }

    [Fact]
    public void Tdx_Sample_Prints_Its_Fields_In_Order()
    {
        var r = QuoteValidation.Validate(Samples.TdxQuote, null, null, Samples.At, null);
        Assert.True(r.Success, r.ErrorMessage);
        Assert.Equal(["type", "measurement", "report_data", "debug"], r.Lines.Take(4).Select(l => l.Key));
        Assert.Equal("tdx", Line(r, "type"));
        Assert.Equal(Samples.TdxMrtd, Line(r, "measurement"));
        Assert.Equal(Samples.TdxMrtd, Line(r, "mrtd"));
        Assert.Equal(Samples.TdxRtmr0, Line(r, "rtmr0"));
        Assert.Equal(Samples.TdxReportData, Line(r, "report_data"));
        Assert.Equal("true", Line(r, "debug"));
        Assert.Equal("not evaluated", Line(r, "tcb_status"));
        Assert.All(r.Lines, l => Assert.Matches("^[a-z0-9_]+$", l.Key));
    }

    [Fact]
    public void Tdx_Sample_With_Collateral_Reports_UpToDate()
    {
        var r = QuoteValidation.Validate(Samples.TdxQuote, "tdx", null, Samples.At, Samples.TdxCollateralDir);
        Assert.True(r.Success, r.ErrorMessage);
        Assert.Equal("UpToDate", Line(r, "tcb_status"));
    }

    [Fact]
    public void Snp_Sample_With_Vcek_Validates()
    {
        var r = QuoteValidation.Validate(Samples.SnpReport, null, Samples.Vcek, Samples.At, null);
        Assert.True(r.Success, r.ErrorMessage);
        Assert.Equal("sev-snp", Line(r, "type"));
        Assert.Equal(Samples.SnpMeasurement, Line(r, "measurement"));
        Assert.Equal("true", Line(r, "debug")); // policy 0xb0000: bit 19 (DEBUG) set
    }

    [Fact]
    public void An_option_of_the_other_vendor_is_refused_not_ignored()
    {
        var collateral = QuoteValidation.Validate(Samples.SnpReport, null, Samples.Vcek, Samples.At, Samples.TdxCollateralDir);
        Assert.False(collateral.Success);
        Assert.Equal(AttestationReasons.Unsupported, collateral.ErrorReason);
        Assert.Contains("--collateral", collateral.ErrorMessage);
        var vcek = QuoteValidation.Validate(Samples.TdxQuote, null, Samples.Vcek, Samples.At, null);
        Assert.False(vcek.Success);
        Assert.Contains("--vcek", vcek.ErrorMessage);
    }

    [Fact]
    public void Snp_Vcek_May_Be_Given_As_Pem()
    {
        var pem = System.Text.Encoding.ASCII.GetBytes(System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", Samples.Vcek));
        var r = QuoteValidation.Validate(Samples.SnpReport, "sev-snp", pem, Samples.At, null);
        Assert.True(r.Success, r.ErrorMessage);
    }

    [Fact]
    public void Failure_Carries_Its_Reason()
    {
        var r = QuoteValidation.Validate(Samples.SnpReport, null, null, Samples.At, null);
        Assert.False(r.Success);
        Assert.Equal(AttestationReasons.MissingVcek, r.ErrorReason);
        Assert.Equal(AttestationReasons.MissingVcek, Line(r, "error"));

        var bad = Samples.Flip(Samples.TdxQuote, 0x100);
        Assert.Equal(AttestationReasons.BadQuoteSignature, QuoteValidation.Validate(bad, null, null, Samples.At, null).ErrorReason);
    }

    [Fact]
    public void Unknown_Bytes_Ask_For_A_Type()
    {
        var r = QuoteValidation.Validate(new byte[10], null, null, Samples.At, null);
        Assert.False(r.Success);
        Assert.Equal(AttestationReasons.Unsupported, r.ErrorReason);
        Assert.Contains("--type", r.ErrorMessage);
    }

    [Fact]
    public void Truncated_Tdx_Quote_With_Explicit_Type_Is_Malformed()
    {
        var r = QuoteValidation.Validate(Samples.TdxQuote[..1000], "tdx", null, Samples.At, null);
        Assert.Equal(AttestationReasons.Malformed, r.ErrorReason);
    }
}
