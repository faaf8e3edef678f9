using System.Security.Cryptography;

namespace Sp.Crypto.Tests.Streaming;

/// <summary>
/// The primitive under the stream format: System.Security.Cryptography.AesGcm with a 256-bit key against the
/// published vectors of McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13-16.
/// </summary>
public sealed class AesGcmVectorTests
{
    private const string Key16 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    private const string Plain16 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                                 + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

    public static TheoryData<string, string, string, string, string, string, string> Vectors => new()
    {
        // name, key, iv, plaintext, aad, ciphertext, tag
        { "TC13", new string('0', 64), new string('0', 24), "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
        { "TC14", new string('0', 64), new string('0', 24), new string('0', 32), "",
          "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
        { "TC16", Key16, "cafebabefacedbaddecaf888", Plain16, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
          "76fc6ece0f4e1768cddf8853bb2d551b" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encrypt_Matches_Published_Vector(string name, string key, string iv, string plaintext, string aad, string ciphertext, string tag)
    {
        using var gcm = new AesGcm(Convert.FromHexString(key), 16);
        var pt = Convert.FromHexString(plaintext);
        var ct = new byte[pt.Length];
        var t = new byte[16];
        gcm.Encrypt(Convert.FromHexString(iv), pt, ct, t, Convert.FromHexString(aad));
        Assert.True(ciphertext == Convert.ToHexStringLower(ct), $"{name} ciphertext");
        Assert.Equal(tag, Convert.ToHexStringLower(t));

        var opened = new byte[ct.Length];
        gcm.Decrypt(Convert.FromHexString(iv), ct, t, opened, Convert.FromHexString(aad));
        Assert.Equal(pt, opened);

        t[0] ^= 1;
        Assert.Throws<AuthenticationTagMismatchException>(() => gcm.Decrypt(Convert.FromHexString(iv), ct, t, opened, Convert.FromHexString(aad)));
    }
}
