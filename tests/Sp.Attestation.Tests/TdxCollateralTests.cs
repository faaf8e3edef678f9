using Sp.Attestation.Tdx;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tests;

public sealed class TdxCollateralTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("sp-attest-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static Evidence Tdx(byte[] data) => new(EvidenceTypes.Tdx, data);

    [Fact]
    public void Load_Recognises_Every_File_By_Content()
    {
        var c = TdxCollateral.Load(Samples.TdxCollateralDir);
        Assert.Equal(2, c.SigningChain.Count);
        Assert.Contains("TCB Signing", c.SigningChain[0].Subject);
        Assert.NotNull(c.PckCrl);
        Assert.NotNull(c.RootCrl);
        Assert.Contains("PCK Platform CA", c.PckCrl!.Issuer.Name);
        Assert.True(c.PckCrl.RevokedCount > 0);
        Assert.Equal(0, c.RootCrl!.RevokedCount);
    }

    [Fact]
    public void Sample_With_Collateral_Is_UpToDate_And_Not_Revoked()
    {
        var v = new TdxVerifier(TdxCollateral.Load(Samples.TdxCollateralDir)).Verify(Tdx(Samples.TdxQuote), Samples.At);
        Assert.Equal("UpToDate", Samples.Field(v, "tcb_status"));
        Assert.Equal("UpToDate", Samples.Field(v, "qe_tcb_status"));
        Assert.Equal("pck not revoked; intermediates not revoked", Samples.Field(v, "revocation"));
        Assert.Equal("50806f000000", Samples.Field(v, "fmspc"));
        Assert.Equal(Samples.TdxMrtd, v.Measurement);
    }

    [Fact]
    public void Crls_Are_Signed_By_Their_Issuers()
    {
        var c = TdxCollateral.Load(Samples.TdxCollateralDir);
        var pckChain = PinnedChainOf(Samples.TdxQuote);
        Assert.True(c.PckCrl!.IsSignedBy(pckChain[1]));
        Assert.False(c.PckCrl.IsSignedBy(VendorRoots.IntelSgxRootCa));
        Assert.True(c.RootCrl!.IsSignedBy(VendorRoots.IntelSgxRootCa));
        Assert.False(c.PckCrl.IsRevoked(pckChain[0]));
    }

    [Fact]
    public void Collateral_Past_Its_NextUpdate_Fails_With_CollateralExpired()
    {
        var verifier = new TdxVerifier(TdxCollateral.Load(Samples.TdxCollateralDir));
        var e = Assert.Throws<AttestationException>(() =>
            verifier.Verify(Tdx(Samples.TdxQuote), new DateTimeOffset(2023, 9, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(AttestationReasons.CollateralExpired, e.Reason);
    }

    [Fact]
    public void Tampered_TcbInfo_Fails_With_BadCollateralSignature()
    {
        CopyCollateral();
        var path = Path.Combine(_tmp, "sample_tcbInfo_response");
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text.Replace("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"UpToDatf\"", StringComparison.Ordinal));
        var e = Assert.Throws<AttestationException>(() =>
            new TdxVerifier(TdxCollateral.Load(_tmp)).Verify(Tdx(Samples.TdxQuote), Samples.At));
        Assert.Equal(AttestationReasons.BadCollateralSignature, e.Reason);
    }

    [Fact]
    public void Tampered_Crl_Fails_With_BadCollateralSignature()
    {
        CopyCollateral();
        var path = Path.Combine(_tmp, "pckcrl");
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x01; // inside the signature value
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<AttestationException>(() =>
            new TdxVerifier(TdxCollateral.Load(_tmp)).Verify(Tdx(Samples.TdxQuote), Samples.At));
        Assert.Equal(AttestationReasons.BadCollateralSignature, e.Reason);
    }

    [Fact]
    public void Without_Crls_Revocation_Says_Not_Checked()
    {
        CopyCollateral();
        File.Delete(Path.Combine(_tmp, "pckcrl"));
        File.Delete(Path.Combine(_tmp, "rootcrl.der"));
        var v = new TdxVerifier(TdxCollateral.Load(_tmp)).Verify(Tdx(Samples.TdxQuote), Samples.At);
        Assert.Equal("UpToDate", Samples.Field(v, "tcb_status"));
        Assert.Contains("not checked", Samples.Field(v, "revocation"));
    }

    [Fact]
    public void Directory_Without_TcbInfo_Is_Refused()
    {
        CopyCollateral();
        File.Delete(Path.Combine(_tmp, "sample_tcbInfo_response"));
        Assert.Equal(AttestationReasons.Malformed, Assert.Throws<AttestationException>(() => TdxCollateral.Load(_tmp)).Reason);
    }

    private void CopyCollateral()
    {
        foreach (var f in Directory.EnumerateFiles(Samples.TdxCollateralDir))
            File.Copy(f, Path.Combine(_tmp, Path.GetFileName(f)));
    }

    private static List<System.Security.Cryptography.X509Certificates.X509Certificate2> PinnedChainOf(byte[] quote)
    {
        var pem = TdxQuote.Parse(quote).PckCertChainText;
        var certs = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        certs.ImportFromPem(pem);
        return [.. certs];
    }
}
