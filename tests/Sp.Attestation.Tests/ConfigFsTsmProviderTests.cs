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

    [Fact]
    public void Asks_for_exactly_64_bytes_of_report_data()
    {
        var provider = new ConfigFsTsmProvider(EvidenceTypes.Tdx, Directory.CreateTempSubdirectory("tsm-").FullName);
        Assert.Throws<ArgumentException>(() => provider.GetEvidence(new byte[32]));
    }
}
