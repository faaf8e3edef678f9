namespace Sp.Certification.Tests;

public sealed class TeeKeyBindingTests
{
    private static readonly byte[] Spki = Enumerable.Range(0, 91).Select(i => (byte)i).ToArray();
    private static readonly byte[] Enc = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Matches_the_documented_vector()
    {
        // docs/formats-report.md: spki = 00 01 .. 5a (91 bytes), enc = 00 01 .. 1f (32 bytes).
        Assert.Equal(
            "0257e586e7bf216937decb7723d837dab3e5c3e8ba6edacd314e139d0df0a411ce6ff5468dcb1b99a990e43723aa8c8e462b240487ee443db258ea83c7221350",
            Convert.ToHexStringLower(TeeKeyBinding.ReportData(Spki, Enc)));
    }

    [Fact]
    public void Is_64_bytes_and_depends_on_both_keys()
    {
        var binding = TeeKeyBinding.ReportData(Spki, Enc);
        Assert.Equal(64, binding.Length);
        var otherEnc = Enc.ToArray();
        otherEnc[0] ^= 1;
        Assert.NotEqual(binding, TeeKeyBinding.ReportData(Spki, otherEnc));
        var otherSpki = Spki.ToArray();
        otherSpki[90] ^= 1;
        Assert.NotEqual(binding, TeeKeyBinding.ReportData(otherSpki, Enc));
    }

    [Fact]
    public void Length_prefixes_keep_the_split_between_the_keys_unambiguous()
    {
        var all = Spki.Concat(Enc).ToArray();
        Assert.NotEqual(TeeKeyBinding.ReportData(Spki, Enc), TeeKeyBinding.ReportData(all[..90], all[90..]));
    }

    [Fact]
    public void Refuses_empty_keys()
    {
        Assert.Throws<ArgumentException>(() => TeeKeyBinding.ReportData([], Enc));
        Assert.Throws<ArgumentException>(() => TeeKeyBinding.ReportData(Spki, []));
    }
}
