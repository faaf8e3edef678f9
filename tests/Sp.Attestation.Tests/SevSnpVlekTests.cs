using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation.SevSnp;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tests;

/// <summary>
/// VLEK-signed SEV-SNP reports (what cloud providers' hosts produce): VLEK -> ASVK -> ARK. No public VLEK sample is
/// at hand, so the chain is made here with .NET's X.509 (RSA-PSS SHA-384 like AMD's, a P-384 VLEK with the SPL and
/// CSP_ID extensions) and the published report is re-signed with it as a VLEK report; the built-in ASVKs are checked
/// against the pinned ARKs.
/// </summary>
public sealed class SevSnpVlekTests
{
    private static readonly DateTimeOffset At = Samples.At;

    /// <summary>A test product: its ARK, its ASVK, and a VLEK matching the sample's REPORTED_TCB.</summary>
    private sealed class TestChain : IDisposable
    {
        public RSA ArkKey { get; } = RSA.Create(2048);
        public RSA AsvkKey { get; } = RSA.Create(2048);
        public ECDsa VlekKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        public X509Certificate2 Ark { get; }
        public X509Certificate2 Asvk { get; }
        public X509Certificate2 Vlek { get; }

        public TestChain(byte microcodeSpl = 0x44, RSA? asvkSigner = null)
        {
            var arkName = new X500DistinguishedName("CN=ARK-Test, O=Advanced Micro Devices");
            var arkReq = new CertificateRequest(arkName, ArkKey, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
            arkReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            Ark = arkReq.CreateSelfSigned(At.AddYears(-1), At.AddYears(20));

            var asvkName = new X500DistinguishedName("CN=SEV-VLEK-Test, O=Advanced Micro Devices");
            var asvkReq = new CertificateRequest(asvkName, AsvkKey, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
            asvkReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            Asvk = asvkReq.Create(arkName, X509SignatureGenerator.CreateForRSA(asvkSigner ?? ArkKey, RSASignaturePadding.Pss),
                At.AddYears(-1), At.AddYears(20), [2]);

            var vlekReq = new CertificateRequest(new X500DistinguishedName("CN=SEV-VLEK"), VlekKey, HashAlgorithmName.SHA384);
            foreach (var (oid, value) in new[] { (SevSnpVerifier.OidBlSpl, 2), (SevSnpVerifier.OidTeeSpl, 0), (SevSnpVerifier.OidSnpSpl, 5), (SevSnpVerifier.OidUcodeSpl, (int)microcodeSpl) })
            {
                var w = new AsnWriter(AsnEncodingRules.DER);
                w.WriteInteger(value);
                vlekReq.CertificateExtensions.Add(new X509Extension(oid, w.Encode(), false));
            }
            var csp = new AsnWriter(AsnEncodingRules.DER);
            csp.WriteCharacterString(UniversalTagNumber.IA5String, "cc-test.example.com");
            vlekReq.CertificateExtensions.Add(new X509Extension(SevSnpVerifier.OidCspId, csp.Encode(), false));
            Vlek = vlekReq.Create(asvkName, X509SignatureGenerator.CreateForRSA(AsvkKey, RSASignaturePadding.Pss), At.AddDays(-10), At.AddYears(5), [3]);
        }

        public AmdProductRoots Roots(bool asvkBuiltIn = true) => new("Test", Asvk /* unused for VLEKs */, Ark, asvkBuiltIn ? Asvk : null);

        /// <summary>The published report, marked VLEK-signed (KEY_INFO bits 2-4 = 1) and signed with this VLEK.</summary>
        public byte[] SignedReport()
        {
            var r = (byte[])Samples.SnpReport.Clone();
            var keyInfo = BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(SnpReport.KeyInfoOffset));
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(SnpReport.KeyInfoOffset), (keyInfo & ~0x1Cu) | (SnpReport.SigningKeyVlek << 2));
            SnpTestSigning.Sign(r, VlekKey);
            return r;
        }

        public void Dispose()
        {
            ArkKey.Dispose();
            AsvkKey.Dispose();
            VlekKey.Dispose();
        }
    }

    private static Evidence Snp(byte[] data) => new(EvidenceTypes.SevSnp, data);

    [Fact]
    public void A_VLEK_signed_report_verifies_through_the_ASVK_to_the_pinned_ARK_and_names_its_provider()
    {
        using var chain = new TestChain();
        var evidence = SnpEvidenceData.Compose(chain.SignedReport(), [(SnpEvidenceData.VlekGuid, chain.Vlek.RawData)]);
        var verified = new SevSnpVerifier(roots: [chain.Roots()]).Verify(Snp(evidence), At);

        Assert.Equal(Samples.SnpMeasurement, verified.Measurement);
        Assert.Equal(Samples.SnpReportData, verified.ReportData);
        var fields = verified.Fields.ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal("VLEK", fields["signing_key"]);
        Assert.Equal("cc-test.example.com", fields["csp_id"]);
        Assert.Equal("Test", fields["product"]);
        Assert.Equal("5", fields["reported_tcb_snp"]);
        Assert.Equal("68", fields["reported_tcb_microcode"]);
    }

    [Fact]
    public void The_ASVK_may_come_with_the_evidence_but_only_the_pinned_ARK_makes_it_trusted()
    {
        using var chain = new TestChain();
        var report = chain.SignedReport();
        var roots = chain.Roots(asvkBuiltIn: false);
        // Not built in and not given: refused, saying where an ASVK may come from.
        var none = Assert.Throws<AttestationException>(() => new SevSnpVerifier(roots: [roots]).Verify(
            Snp(SnpEvidenceData.Compose(report, [(SnpEvidenceData.VlekGuid, chain.Vlek.RawData)])), At));
        Assert.Equal(AttestationReasons.UntrustedRoot, none.Reason);
        Assert.Contains("none of the AMD ASVKs known here", none.Message);
        // Given in the certificate table (ASK entry): verified.
        var withAsvk = SnpEvidenceData.Compose(report, [(SnpEvidenceData.VlekGuid, chain.Vlek.RawData), (SnpEvidenceData.AskGuid, chain.Asvk.RawData)]);
        Assert.Equal("VLEK", new SevSnpVerifier(roots: [roots]).Verify(Snp(withAsvk), At).Fields.Single(f => f.Key == "signing_key").Value);

        // An ASVK of the same name that the ARK did not sign: the chain fails.
        using var forged = new TestChain(asvkSigner: RSA.Create(2048));
        var forgedEvidence = SnpEvidenceData.Compose(report, [(SnpEvidenceData.VlekGuid, chain.Vlek.RawData), (SnpEvidenceData.AskGuid, forged.Asvk.RawData)]);
        var e = Assert.Throws<AttestationException>(() => new SevSnpVerifier(roots: [roots]).Verify(Snp(forgedEvidence), At));
        Assert.Equal(AttestationReasons.Chain, e.Reason);
        Assert.Contains("ASVK Test signature by the ARK", e.Message);
    }

    [Fact]
    public void A_VLEK_of_another_TCB_or_a_tampered_report_is_refused_with_its_reason()
    {
        using var otherTcb = new TestChain(microcodeSpl: 0x45);
        var mismatch = Assert.Throws<AttestationException>(() => new SevSnpVerifier(roots: [otherTcb.Roots()]).Verify(
            Snp(SnpEvidenceData.Compose(otherTcb.SignedReport(), [(SnpEvidenceData.VlekGuid, otherTcb.Vlek.RawData)])), At));
        Assert.Equal(AttestationReasons.VcekMismatch, mismatch.Reason);
        Assert.Contains("VLEK microcode SPL is 69", mismatch.Message);

        using var chain = new TestChain();
        var tampered = chain.SignedReport();
        tampered[SnpReport.ReportDataOffset] ^= 1;
        var bad = Assert.Throws<AttestationException>(() => new SevSnpVerifier(roots: [chain.Roots()]).Verify(
            Snp(SnpEvidenceData.Compose(tampered, [(SnpEvidenceData.VlekGuid, chain.Vlek.RawData)])), At));
        Assert.Equal(AttestationReasons.BadReportSignature, bad.Reason);
        Assert.Contains("does not verify with the VLEK", bad.Message);

        // The VCEK of the published sample cannot stand in for a VLEK.
        var vcekForVlek = Assert.Throws<AttestationException>(() => new SevSnpVerifier(Samples.Vcek).Verify(Snp(chain.SignedReport()), At));
        Assert.Equal(AttestationReasons.UntrustedRoot, vcekForVlek.Reason);
    }

    [Theory]
    [InlineData("Genoa", "197e610743a917d6b9bb982a5a9226ccc0a15b611be0619e626aca9151457372")]
    [InlineData("Turin", "104e10a8bd060a3c20a434261a57d0588fd65a88915b4f65b08bdecaf8df1a3c")]
    public void The_built_in_ASVKs_are_signed_by_the_pinned_ARKs(string product, string derSha256)
    {
        var roots = VendorRoots.Amd.Single(r => r.Product == product);
        Assert.NotNull(roots.Asvk);
        Assert.Equal(derSha256, Convert.ToHexStringLower(SHA256.HashData(roots.Asvk!.RawData)));
        Assert.Equal($"CN=SEV-VLEK-{product}", roots.Asvk.Subject.Split(", ").Single(p => p.StartsWith("CN=", StringComparison.Ordinal)));
        Assert.True(PssSignedBy(roots.Asvk, roots.Ark), $"ASVK {product} is not signed by ARK-{product}");
        Assert.False(PssSignedBy(roots.Asvk, VendorRoots.Amd.Single(r => r.Product == "Milan").Ark));
    }

    [Theory]
    [InlineData("Milan", "amd_ask_ark_milan.pem", "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd")]
    [InlineData("Genoa", "amd_ask_ark_genoa.pem", "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1")]
    [InlineData("Turin", "amd_ask_ark_turin.pem", "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a")]
    public void The_built_in_AMD_roots_are_the_published_ones_and_sign_their_ASK(string product, string file, string arkSha256)
    {
        var roots = VendorRoots.Amd.Single(r => r.Product == product);
        var pem = File.ReadAllText(TestData.Attestation("roots", file));
        var published = new X509Certificate2Collection();
        published.ImportFromPem(pem);
        Assert.Equal(published[0].RawData, roots.Ask.RawData);
        Assert.Equal(published[1].RawData, roots.Ark.RawData);
        Assert.Equal(arkSha256, Convert.ToHexStringLower(SHA256.HashData(roots.Ark.RawData))); // the README's fingerprint
        Assert.True(PssSignedBy(roots.Ark, roots.Ark), $"ARK-{product} is not self-signed");
        Assert.True(PssSignedBy(roots.Ask, roots.Ark), $"the ASK of {product} is not signed by ARK-{product}");
    }

    [Fact]
    public void The_built_in_Intel_root_is_the_published_one()
    {
        var published = X509CertificateLoader.LoadCertificate(PemDer(File.ReadAllText(TestData.Attestation("roots", "intel_sgx_root_ca.pem"))));
        Assert.Equal(published.RawData, VendorRoots.IntelSgxRootCa.RawData);
        Assert.Equal("44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3", Convert.ToHexStringLower(SHA256.HashData(VendorRoots.IntelSgxRootCa.RawData)));
    }

    private static byte[] PemDer(string pem) => PemEncoding.TryFind(pem, out var f) ? Convert.FromBase64String(pem[f.Base64Data]) : throw new InvalidDataException("no PEM");

    /// <summary>RSASSA-PSS (SHA-384, salt 48) signature of the certificate's TBS bytes by the issuer's key.</summary>
    private static bool PssSignedBy(X509Certificate2 cert, X509Certificate2 issuer)
    {
        var outer = new AsnReader(cert.RawData, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadEncodedValue();
        outer.ReadEncodedValue(); // signature algorithm
        var signature = outer.ReadBitString(out _);
        using var key = issuer.GetRSAPublicKey()!;
        return key.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
    }
}
