namespace Sp.Attestation.Tests;

/// <summary>The published test vectors in tests/testdata (<see cref="Sp.Testing.TestDataRoot"/>).</summary>
internal static class TestData
{
    private static readonly Lazy<string> s_root = new(Find);

    public static string Root => s_root.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static byte[] Bytes(params string[] parts) => File.ReadAllBytes(Path(parts));

    public static string Attestation(params string[] parts) => Path(["attestation", .. parts]);

    private static string Find() => Sp.Testing.TestDataRoot.Path;
}

/// <summary>The published samples and the values their README says they verify to.</summary>
internal static class Samples
{
    /// <summary>A time inside every certificate's and the collateral's validity.</summary>
    public static readonly DateTimeOffset At = new(2023, 7, 1, 1, 0, 0, TimeSpan.Zero);

    public static byte[] TdxQuote => TestData.Bytes("attestation", "tdx", "tdx_quote_4.dat");
    public static string TdxCollateralDir => TestData.Attestation("tdx-collateral");
    public const string TdxMrtd = "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031";
    public const string TdxRtmr0 = "e940da7c2712d2790e2961e00484f4fa8e6f9eed71361655ae22699476b14f9e63867eb41edd4b480fef0c59f496b288";
    public const string TdxReportData = "7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656aeb755da3d44d098c0c87382f3a5f85b45c8a28fee1d3bdb38342bf96671501429";

    // Offsets inside the TDX sample (v4: header 0x30 + body 0x248; signature data at 0x27C).
    public const int TdxQuoteSignatureOffset = 0x27C;
    public const int TdxAttestationKeyOffset = 0x2BC;
    public const int TdxQeReportOffset = 0x302;
    public const int TdxQeReportSignatureOffset = TdxQeReportOffset + 384;
    public const int TdxQeAuthDataOffset = TdxQeReportSignatureOffset + 64 + 2;

    public static byte[] SnpReport => TestData.Bytes("attestation", "sev-snp", "attestation.bin");
    public static byte[] Vcek => TestData.Bytes("attestation", "sev-snp", "vcek.der");
    public const string SnpMeasurement = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
    public static readonly byte[] SnpReportData = [1, 2, 3, 4, 5, .. new byte[59]];

    public static byte[] Flip(byte[] data, int offset, byte mask = 0x01)
    {
        var copy = (byte[])data.Clone();
        copy[offset] ^= mask;
        return copy;
    }

    public static string Field(VerifiedEvidence v, string key) =>
        v.Fields.Single(f => f.Key == key).Value;
}

/// <summary>Signs a SEV-SNP report as the firmware does: ECDSA P-384 over bytes 0..0x2A0, r and s little-endian in 72-byte fields.</summary>
internal static class SnpTestSigning
{
    public static void Sign(byte[] report, System.Security.Cryptography.ECDsa key)
    {
        var sig = key.SignData(report.AsSpan(0, Sp.Attestation.SevSnp.SnpReport.SignedSize), System.Security.Cryptography.HashAlgorithmName.SHA384,
            System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        const int at = Sp.Attestation.SevSnp.SnpReport.SignatureOffset, field = Sp.Attestation.SevSnp.SnpReport.SignatureComponentSize;
        report.AsSpan(at, 2 * field).Clear();
        for (var i = 0; i < 48; i++)
        {
            report[at + i] = sig[47 - i];          // r
            report[at + field + i] = sig[95 - i];  // s
        }
    }
}
