using Sp.Attestation;
using Sp.Attestation.Tsm;

namespace Sp.Attestation.Tests;

/// <summary>The configfs-tsm provider against a stand-in report folder (the kernel's files are plain files to it).</summary>
public sealed class ConfigFsTsmProviderTests
{
    [Fact]
    public void Without_the_interface_the_error_names_it_and_the_sim_alternative()
    {
        var e = Assert.Throws<AttestationException>(() => new ConfigFsTsmProvider(EvidenceTypes.Tdx, "/nonexistent/tsm/report"));
        Assert.Equal(AttestationReasons.Unsupported, e.Reason);
        Assert.Contains("/nonexistent/tsm/report", e.Message);
        Assert.Contains("\"sim\"", e.Message);
    }

    [Fact]
    public void Refuses_types_configfs_does_not_give() =>
        Assert.Throws<ArgumentException>(() => new ConfigFsTsmProvider(EvidenceTypes.Sim, Path.GetTempPath()));

    [Fact]
    public void Fails_when_the_platform_gives_no_report_and_writes_the_report_data_it_was_given()
    {
        // A stand-in for configfs: the provider creates its entry and writes inblob; no kernel answers with an outblob.
        var root = Directory.CreateTempSubdirectory("tsm-").FullName;
        var provider = new ConfigFsTsmProvider(EvidenceTypes.SevSnp, root);
        var reportData = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        Assert.Throws<FileNotFoundException>(() => provider.GetEvidence(reportData));
        var entry = Assert.Single(Directory.GetDirectories(root));
        Assert.Equal(reportData, File.ReadAllBytes(Path.Combine(entry, "inblob")));
    }

    /// <summary>A stand-in for the kernel: the entry the provider will create, with the files the kernel would answer.</summary>
    private static (string Root, string Entry) StandIn(string provider, byte[] outblob, byte[]? auxblob = null)
    {
        var root = Directory.CreateTempSubdirectory("tsm-").FullName;
        var entry = Path.Combine(root, "entry");
        Directory.CreateDirectory(entry);
        File.WriteAllText(Path.Combine(entry, "provider"), provider + "\n");
        File.WriteAllBytes(Path.Combine(entry, "outblob"), outblob);
        if (auxblob is not null) File.WriteAllBytes(Path.Combine(entry, "auxblob"), auxblob);
        return (root, entry);
    }

    [Fact]
    public void A_SEV_SNP_report_and_its_certificate_table_become_evidence_that_verifies()
    {
        // outblob: the published report; auxblob: the certificate table the host hands out beside it (the VCEK).
        var table = Sp.Attestation.SevSnp.SnpEvidenceData.Compose(Samples.SnpReport, Samples.Vcek)[Sp.Attestation.SevSnp.SnpReport.Size..];
        var (root, entry) = StandIn("sev_guest", Samples.SnpReport, table);
        var reportData = Enumerable.Range(0, 64).Select(i => (byte)(255 - i)).ToArray();
        var evidence = new ConfigFsTsmProvider(EvidenceTypes.SevSnp, root, () => "entry").GetEvidence(reportData);

        Assert.Equal(reportData, File.ReadAllBytes(Path.Combine(entry, "inblob")));
        Assert.Equal(EvidenceTypes.SevSnp, evidence.Type);
        var verified = new Sp.Attestation.SevSnp.SevSnpVerifier().Verify(evidence, Samples.At); // the VCEK came from auxblob
        Assert.Equal(Samples.SnpMeasurement, verified.Measurement);
    }

    [Fact]
    public void A_TDX_quote_becomes_evidence_that_verifies()
    {
        var (root, _) = StandIn("tdx_guest", Samples.TdxQuote);
        var evidence = new ConfigFsTsmProvider(EvidenceTypes.Tdx, root, () => "entry").GetEvidence(new byte[64]);
        Assert.Equal(Samples.TdxQuote, evidence.Data);
        Assert.Equal(Samples.TdxMrtd, new Sp.Attestation.Tdx.TdxVerifier().Verify(evidence, Samples.At).Measurement);
    }

    [Fact]
    public void A_platform_of_the_other_kind_is_named()
    {
        var (root, _) = StandIn("tdx_guest", Samples.TdxQuote);
        var e = Assert.Throws<AttestationException>(() => new ConfigFsTsmProvider(EvidenceTypes.SevSnp, root, () => "entry").GetEvidence(new byte[64]));
        Assert.Equal(AttestationReasons.Unsupported, e.Reason);
        Assert.Contains("provider is 'tdx_guest', but sev-snp evidence was asked for", e.Message);
    }

    [Fact]
    public void Asks_for_exactly_64_bytes_of_report_data()
    {
        var provider = new ConfigFsTsmProvider(EvidenceTypes.Tdx, Directory.CreateTempSubdirectory("tsm-").FullName);
        Assert.Throws<ArgumentException>(() => provider.GetEvidence(new byte[32]));
    }
}
