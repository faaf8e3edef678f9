namespace Sp.Certification.Tests;

public sealed class TeeKeyBindingTests
{
    private static readonly byte[] Spki = Enumerable.Range(0, 91).Select(i => (byte)i).ToArray();
    private static readonly byte[] Enc = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Account = Enumerable.Range(0xa0, 20).Select(i => (byte)i).ToArray();

    [Fact]
    public void Matches_the_documented_vector()
    {
        // docs/formats-report.md: spki = 00 01 .. 5a (91 bytes), enc = 00 01 .. 1f (32 bytes), account = a0 a1 .. b3 (20 bytes);
        // the expected value was computed with Python's hashlib from the formula, not with this code.
        Assert.Equal(
            "fcd475450c5f0b1e52dd4c492409ca4a8f8f680cf37e36c6184c3cb76c036bcb07a25ebdcebd90308e70f8c28e5a2d9a99239226ad54019941bd29cd55832992",
            Convert.ToHexStringLower(TeeKeyBinding.ReportData(Spki, Enc, Account)));
    }

    [Fact]
    public void Is_64_bytes_and_depends_on_all_three_keys()
    {
        var binding = TeeKeyBinding.ReportData(Spki, Enc, Account);
        Assert.Equal(64, binding.Length);
        var otherEnc = Enc.ToArray();
        otherEnc[0] ^= 1;
        Assert.NotEqual(binding, TeeKeyBinding.ReportData(Spki, otherEnc, Account));
        var otherSpki = Spki.ToArray();
        otherSpki[90] ^= 1;
        Assert.NotEqual(binding, TeeKeyBinding.ReportData(otherSpki, Enc, Account));
        var otherAccount = Account.ToArray();
        otherAccount[19] ^= 1;
        Assert.NotEqual(binding, TeeKeyBinding.ReportData(Spki, Enc, otherAccount));
    }

    [Fact]
    public void Length_prefixes_keep_the_split_between_the_keys_unambiguous()
    {
        var all = Spki.Concat(Enc).ToArray();
        Assert.NotEqual(TeeKeyBinding.ReportData(Spki, Enc, Account), TeeKeyBinding.ReportData(all[..90], all[90..], Account));
    }

    [Fact]
    public void Refuses_empty_keys_and_an_account_that_is_not_20_bytes()
    {
        Assert.Throws<ArgumentException>(() => TeeKeyBinding.ReportData([], Enc, Account));
        Assert.Throws<ArgumentException>(() => TeeKeyBinding.ReportData(Spki, [], Account));
        Assert.Throws<ArgumentException>(() => TeeKeyBinding.ReportData(Spki, Enc, new byte[19]));
    }
}
