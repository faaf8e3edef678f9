using Sp.Attestation;

namespace Sp.Certification.Tests;

/// <summary>
/// The example of docs/formats-sim-evidence.md, produced from that document by an independent encoder
/// (Python `cryptography`): platform scalar d = SHA-256("sp sim platform example key"), measurement =
/// SHA-256("loader v1"), report data = SHA-512("example report data"), timestamp 2030-01-15T12:00:00Z.
/// </summary>
public sealed class SimEvidenceVectorTests
{
    private const string EvidenceHex =
        "535045560001000173696d0000000000473e4526adccb1203f59b993ee978a2d34ce92cc230974435b6de065d15802fa" +
        "02377d810492c770607f74120fb70d5a813e4f54b4a9b5bb58da1a25148c5ec67352b4a845e3a4b87782a42a41446d1c" +
        "cb59804ec6d9566dfd834a46882f3d9a000001b92571ea0073696d756c617465643a206e6f2068617264776172652069" +
        "736f6c6174696f6e005b3059301306072a8648ce3d020106082a8648ce3d03010703420004c9f2c0ed3083a486896fcf" +
        "0c5e567aff04be5aeceb18da1e048647e838eb8a23004427939c3defdb51ea28a048cadb6d19c37314ee0b189cbea9f3" +
        "d867e8d95fcb71ce48ad73fe19f71fcc473c1338c868f25b46d640f6ec584737017ab97aea4c32758ae3fe6be9601fde" +
        "0d5ec5850079905238e1b33c5b24bfc028f3794f59";

    private const string PlatformKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgDkC8vMtPTA3JfeaH
        iUEZ2/uqhKA7Hfe1tCvH3WqPucKhRANCAATJ8sDtMIOkholvzwxeVnr/BL5a7OsY
        2h4EhkfoOOuKIwBEJ5OcPe/bUeoooEjK220Zw3MU7gsYnL6p89hn6Nlf
        -----END PRIVATE KEY-----
        """;

    private const string PlatformKeyId = "29d7b42926d68df61e316a7857cbd31248f1d50412f4bb6789893be62c1a9ad2";

    [Fact]
    public void The_documented_example_verifies_to_the_documented_claims()
    {
        var verified = new SimEvidenceVerifier().Verify(new Evidence("sim", Convert.FromHexString(EvidenceHex)), TestWorld.Now);
        Assert.Equal("473e4526adccb1203f59b993ee978a2d34ce92cc230974435b6de065d15802fa", verified.Measurement);
        Assert.Equal(
            "02377d810492c770607f74120fb70d5a813e4f54b4a9b5bb58da1a25148c5ec67352b4a845e3a4b87782a42a41446d1ccb59804ec6d9566dfd834a46882f3d9a",
            Convert.ToHexStringLower(verified.ReportData));
        Assert.True(verified.Simulated);
        Assert.Equal(PlatformKeyId, verified.Fields.Single(f => f.Key == "platform_key").Value);
        Assert.Equal("2030-01-15T12:00:00.000Z", verified.Fields.Single(f => f.Key == "timestamp").Value);
    }

    [Fact]
    public void The_documented_platform_key_has_the_documented_id()
    {
        using var platform = SimPlatform.FromPem(PlatformKeyPem);
        Assert.Equal(PlatformKeyId, platform.PublicKeyId);
    }

    [Fact]
    public void Our_encoder_gives_the_same_bytes_up_to_the_signature()
    {
        // ECDSA signatures are randomised, so compare everything they cover.
        using var platform = SimPlatform.FromPem(PlatformKeyPem);
        var expected = Convert.FromHexString(EvidenceHex);
        var ours = new SimEvidenceProvider(platform, System.Security.Cryptography.SHA256.HashData("loader v1"u8), new FixedClock(TestWorld.Now))
            .GetEvidence(System.Security.Cryptography.SHA512.HashData("example report data"u8)).Data;
        Assert.Equal(expected.Length, ours.Length);
        Assert.Equal(expected[..^64], ours[..^64]);
    }
}
