using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sp.Attestation.Tdx;
using Sp.Attestation.Vendor;
using Xunit.Abstractions;

namespace Sp.Attestation.Tests;

public sealed class TdxQuoteTests(ITestOutputHelper output)
{
    private static Evidence Tdx(byte[] data) => new(EvidenceTypes.Tdx, data);

    private static string Reason(Action act) => Assert.Throws<AttestationException>(act).Reason;

    public sealed class TheParseMethod
    {
        [Fact]
        public void Should_Read_Header_And_Body_Fields_Of_The_Sample()
        {
            var q = TdxQuote.Parse(Samples.TdxQuote);
            Assert.Equal(4, q.Header.Version);
            Assert.Equal(2, q.Header.AttestationKeyType);
            Assert.Equal(0x81u, q.Header.TeeType);
            Assert.Equal("939a7233f79c4ca9940a0db3957f0607", Convert.ToHexStringLower(q.Header.QeVendorId));
            Assert.Equal("03000500000000000000000000000000", Convert.ToHexStringLower(q.Body.TeeTcbSvn));
            Assert.Equal("0100001000000000", Convert.ToHexStringLower(q.Body.TdAttributes));
            Assert.True(q.Body.Debug);
            Assert.Equal(Samples.TdxMrtd, Convert.ToHexStringLower(q.Body.MrTd));
            Assert.Equal(Samples.TdxRtmr0, Convert.ToHexStringLower(q.Body.Rtmrs[0]));
            Assert.Equal(Samples.TdxReportData, Convert.ToHexStringLower(q.Body.ReportData));
            Assert.Equal(0x278, q.SignedArea.Length);
            Assert.Equal(32, q.QeAuthData.Length);
            Assert.Equal(0, q.TrailingBytes);
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", q.PckCertChainText);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(10)]
        [InlineData(0x2F)]
        [InlineData(0x277)]
        [InlineData(0x27B)]
        [InlineData(0x27C + 100)]
        [InlineData(0x302 + 200)]
        [InlineData(4935)]
        public void Should_Reject_Truncated_Input_As_Malformed(int length)
        {
            var e = Assert.Throws<AttestationException>(() => TdxQuote.Parse(Samples.TdxQuote.AsSpan(0, length)));
            Assert.Equal(AttestationReasons.Malformed, e.Reason);
        }

        [Fact]
        public void Should_Reject_A_Signature_Data_Length_Past_The_End()
        {
            var data = Samples.Flip(Samples.TdxQuote, 0x278, 0x80);
            Assert.Equal(AttestationReasons.Malformed, Reason(() => TdxQuote.Parse(data)));
        }

        [Fact]
        public void Should_Reject_Another_Version_Or_Tee_Type_As_Unsupported()
        {
            Assert.Equal(AttestationReasons.Unsupported, Reason(() => TdxQuote.Parse(Samples.Flip(Samples.TdxQuote, 0, 0x07))));
            Assert.Equal(AttestationReasons.Unsupported, Reason(() => TdxQuote.Parse(Samples.Flip(Samples.TdxQuote, 4, 0x81))));
        }

        [Fact]
        public void Should_Accept_Padding_After_The_Signature_Data()
        {
            var q = TdxQuote.Parse([.. Samples.TdxQuote, .. new byte[100]]);
            Assert.Equal(100, q.TrailingBytes);
        }
    }

    [Fact]
    public void Sample_Verifies_With_Expected_Measurement_ReportData_And_Debug()
    {
        var sw = Stopwatch.StartNew();
        var v = new TdxVerifier().Verify(Tdx(Samples.TdxQuote), Samples.At);
        var first = sw.Elapsed;
        sw.Restart();
        const int n = 20;
        for (var i = 0; i < n; i++)
            new TdxVerifier().Verify(Tdx(Samples.TdxQuote), Samples.At);
        output.WriteLine($"TDX quote verify: first {first.TotalMilliseconds:F1} ms, then {sw.Elapsed.TotalMilliseconds / n:F2} ms each");

        Assert.Equal(EvidenceTypes.Tdx, v.Type);
        Assert.Equal(Samples.TdxMrtd, v.Measurement);
        Assert.Equal(Samples.TdxReportData, Convert.ToHexStringLower(v.ReportData));
        Assert.True(v.Debug);
        Assert.False(v.Simulated);
        Assert.Equal(Samples.TdxRtmr0, Samples.Field(v, "rtmr0"));
        Assert.Equal("03000500000000000000000000000000", Samples.Field(v, "tee_tcb_svn"));
        Assert.Equal("50806f000000", Samples.Field(v, "fmspc"));
        Assert.Equal(TdxVerifier.TcbNotEvaluated, Samples.Field(v, "tcb_status"));
    }

    [Fact]
    public void Padding_After_The_Signature_Data_Still_Verifies()
    {
        var v = new TdxVerifier().Verify(Tdx([.. Samples.TdxQuote, .. new byte[64]]), Samples.At);
        Assert.Equal(Samples.TdxMrtd, v.Measurement);
    }

    /// <summary>The sample with <paramref name="extra"/> inside its signature data (after the certification data),
    /// the signature data length grown to match; the quote signature covers neither.</summary>
    private static byte[] WithinSignatureData(byte[] extra)
    {
        var q = Samples.TdxQuote;
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(q.AsSpan(0x278));
        var end = Samples.TdxQuoteSignatureOffset + (int)length;
        byte[] grown = [.. q.AsSpan(0, end), .. extra, .. q.AsSpan(end)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(grown.AsSpan(0x278), length + (uint)extra.Length);
        return grown;
    }

    [Fact]
    public void Zero_padding_inside_the_signature_data_is_tolerated_and_other_bytes_are_not()
    {
        Assert.Equal(Samples.TdxMrtd, new TdxVerifier().Verify(Tdx(WithinSignatureData(new byte[16])), Samples.At).Measurement);
        var e = Assert.Throws<AttestationException>(() => new TdxVerifier().Verify(Tdx(WithinSignatureData([0, 0, 7])), Samples.At));
        Assert.Equal(AttestationReasons.Malformed, e.Reason);
        Assert.Contains("not all zero", e.Message);
    }

    [Theory]
    [InlineData(0x0C)]            // header: QE vendor id
    [InlineData(0x1C)]            // header: user data
    [InlineData(0x30)]            // body: TEE_TCB_SVN
    [InlineData(0x30 + 0x78)]     // body: TD attributes (the DEBUG bit)
    [InlineData(0x30 + 0x88)]     // body: MRTD
    [InlineData(0x30 + 0x148)]    // body: RTMR0
    [InlineData(0x30 + 0x208)]    // body: REPORTDATA
    [InlineData(0x277)]           // last signed byte
    [InlineData(Samples.TdxQuoteSignatureOffset)]      // the signature itself (r)
    [InlineData(Samples.TdxQuoteSignatureOffset + 63)] // (s)
    [InlineData(Samples.TdxAttestationKeyOffset + 5)]  // the attestation key
    public void Flipped_Byte_In_Quote_Signed_Area_Fails_With_BadQuoteSignature(int offset)
    {
        var data = Samples.Flip(Samples.TdxQuote, offset);
        Assert.Equal(AttestationReasons.BadQuoteSignature,
            Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Theory]
    [InlineData(Samples.TdxQeReportOffset + 0x40)]  // QE report MRENCLAVE
    [InlineData(Samples.TdxQeReportOffset + 0x140)] // QE report data (the key binding)
    [InlineData(Samples.TdxQeReportSignatureOffset)]
    [InlineData(Samples.TdxQeReportSignatureOffset + 40)]
    public void Flipped_Byte_In_QE_Report_Or_Its_Signature_Fails_With_BadQeReportSignature(int offset)
    {
        var data = Samples.Flip(Samples.TdxQuote, offset);
        Assert.Equal(AttestationReasons.BadQeReportSignature,
            Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Fact]
    public void Flipped_Byte_In_QE_Auth_Data_Breaks_The_Attestation_Key_Binding()
    {
        var data = Samples.Flip(Samples.TdxQuote, Samples.TdxQeAuthDataOffset + 3);
        Assert.Equal(AttestationReasons.AttestationKeyBinding,
            Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Fact]
    public void Another_Pinned_Root_Fails_With_UntrustedRoot()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=Intel SGX Root CA, O=Not Intel", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var fake = req.CreateSelfSigned(new DateTimeOffset(2018, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2049, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var e = Assert.Throws<AttestationException>(() =>
            new TdxVerifier(intelRoot: fake).Verify(Tdx(Samples.TdxQuote), Samples.At));
        Assert.Equal(AttestationReasons.UntrustedRoot, e.Reason);
        Assert.Contains("Intel SGX Root CA", e.Message);
    }

    [Fact]
    public void Chain_Without_The_Intermediate_Fails_With_IncompleteChain()
    {
        // Blank the second PEM block (PCK Platform CA) with spaces: sizes stay, the chain loses its middle.
        var data = BlankPemBlock(Samples.TdxQuote, 1);
        Assert.Equal(AttestationReasons.IncompleteChain,
            Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Fact]
    public void Chain_With_The_Leaf_Only_Fails_With_IncompleteChain()
    {
        var data = BlankPemBlock(BlankPemBlock(Samples.TdxQuote, 2), 1);
        Assert.Equal(AttestationReasons.IncompleteChain,
            Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Fact]
    public void Chain_With_No_Certificate_Fails_With_IncompleteChain()
    {
        var data = BlankPemBlock(BlankPemBlock(BlankPemBlock(Samples.TdxQuote, 2), 1), 0);
        Assert.Equal(AttestationReasons.IncompleteChain,
            Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Fact]
    public void Tampered_Certificate_In_The_Chain_Fails()
    {
        // A flipped base64 character inside the leaf's signature: parses, but no longer chains.
        var data = (byte[])Samples.TdxQuote.Clone();
        var text = Encoding.ASCII.GetString(data);
        var end = text.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal);
        var at = end - 10;
        data[at] = data[at] == (byte)'A' ? (byte)'B' : (byte)'A';
        Assert.Equal(AttestationReasons.Chain, Reason(() => new TdxVerifier().Verify(Tdx(data), Samples.At)));
    }

    [Theory]
    [InlineData("2022-06-01T00:00:00Z")] // before the PCK leaf was issued
    [InlineData("2031-01-01T00:00:00Z")] // after it expired
    public void Verification_Outside_The_Certificates_Validity_Fails_With_CertificateExpired(string at)
    {
        Assert.Equal(AttestationReasons.CertificateExpired,
            Reason(() => new TdxVerifier().Verify(Tdx(Samples.TdxQuote), DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public void Wrong_Evidence_Type_Is_Refused()
    {
        Assert.Equal(AttestationReasons.Unsupported,
            Reason(() => new TdxVerifier().Verify(new Evidence(EvidenceTypes.SevSnp, Samples.TdxQuote), Samples.At)));
    }

    public static byte[] BlankPemBlock(byte[] quote, int index)
    {
        var data = (byte[])quote.Clone();
        var text = Encoding.ASCII.GetString(data);
        var start = -1;
        for (var i = 0; i <= index; i++)
            start = text.IndexOf("-----BEGIN CERTIFICATE-----", start + 1, StringComparison.Ordinal);
        Assert.True(start > 0, $"PEM block {index} not found");
        const string endMarker = "-----END CERTIFICATE-----";
        var end = text.IndexOf(endMarker, start, StringComparison.Ordinal) + endMarker.Length;
        data.AsSpan(start, end - start).Fill((byte)' ');
        return data;
    }
}
