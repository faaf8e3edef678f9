using System.Text.Json;
using Sp.Crypto.Hpke;
using HpkeApi = Sp.Crypto.Hpke.Hpke;

namespace Sp.Crypto.Tests.Hpke;

public sealed class HpkeTests
{
    private static readonly byte[] Info = "sp test info"u8.ToArray();
    private static readonly byte[] Aad = "sp test aad"u8.ToArray();
    private static readonly byte[] Message = "a confidential message"u8.ToArray();

    [Fact]
    public void Seal_Then_Open_Round_Trips()
    {
        var keys = HpkeKeyPair.Generate();
        var sealedMessage = HpkeApi.Seal(keys.PublicKey, Info, Aad, Message);
        Assert.Equal(HpkeApi.EncSize + Message.Length + HpkeApi.TagSize, sealedMessage.Length);
        Assert.Equal(Message, HpkeApi.Open(keys.PrivateKey, Info, Aad, sealedMessage));
    }

    [Fact]
    public void Empty_Plaintext_Round_Trips()
    {
        var keys = HpkeKeyPair.Generate();
        Assert.Equal(Array.Empty<byte>(), HpkeApi.Open(keys.PrivateKey, [], [], HpkeApi.Seal(keys.PublicKey, [], [], [])));
    }

    [Fact]
    public void Each_Seal_Uses_A_Fresh_Ephemeral_Key()
    {
        var keys = HpkeKeyPair.Generate();
        var a = HpkeApi.Seal(keys.PublicKey, Info, Aad, Message);
        var b = HpkeApi.Seal(keys.PublicKey, Info, Aad, Message);
        Assert.NotEqual(a[..HpkeApi.EncSize], b[..HpkeApi.EncSize]);
    }

    [Fact]
    public void Wrong_Aad_Info_Or_Key_Gives_Null()
    {
        var keys = HpkeKeyPair.Generate();
        var sealedMessage = HpkeApi.Seal(keys.PublicKey, Info, Aad, Message);
        Assert.Null(HpkeApi.Open(keys.PrivateKey, Info, "other aad"u8, sealedMessage));
        Assert.Null(HpkeApi.Open(keys.PrivateKey, "other info"u8, Aad, sealedMessage));
        Assert.Null(HpkeApi.Open(HpkeKeyPair.Generate().PrivateKey, Info, Aad, sealedMessage));
    }

    [Fact]
    public void Any_Flipped_Byte_Or_Malformed_Input_Gives_Null()
    {
        var keys = HpkeKeyPair.Generate();
        var sealedMessage = HpkeApi.Seal(keys.PublicKey, Info, Aad, Message);
        for (var i = 0; i < sealedMessage.Length; i++)
        {
            var tampered = (byte[])sealedMessage.Clone();
            tampered[i] ^= 0x01;
            Assert.Null(HpkeApi.Open(keys.PrivateKey, Info, Aad, tampered));
        }
        Assert.Null(HpkeApi.Open(keys.PrivateKey, Info, Aad, sealedMessage[..^1]));
        Assert.Null(HpkeApi.Open(keys.PrivateKey, Info, Aad, []));
        Assert.Null(HpkeApi.Open(keys.PrivateKey[..31], Info, Aad, sealedMessage));
        // enc = an all-zero (low-order) X25519 point: the DH result is zero and must be refused, not used.
        var lowOrder = (byte[])sealedMessage.Clone();
        Array.Clear(lowOrder, 0, HpkeApi.EncSize);
        Assert.Null(HpkeApi.Open(keys.PrivateKey, Info, Aad, lowOrder));
    }

    [Fact]
    public void Seal_Refuses_Bad_Public_Keys()
    {
        Assert.Throws<ArgumentException>(() => HpkeApi.Seal(new byte[31], Info, Aad, Message));
        Assert.Throws<ArgumentException>(() => HpkeApi.Seal(new byte[32], Info, Aad, Message)); // low-order point
    }

    [Fact]
    public void FromPrivateKey_Recovers_The_Public_Key_And_Copies()
    {
        var keys = HpkeKeyPair.Generate();
        var again = HpkeKeyPair.FromPrivateKey(keys.PrivateKey);
        Assert.Equal(keys.PublicKey, again.PublicKey);
        Assert.NotSame(keys.PrivateKey, again.PrivateKey);
        Assert.Throws<ArgumentException>(() => HpkeKeyPair.FromPrivateKey(new byte[16]));
    }

    [Fact]
    public void FromPrivateKey_Matches_Rfc9180_Recipient_Key()
    {
        // The base-mode X25519/AES-256-GCM vector: skRm -> pkRm, and its first ciphertext opens with the public API's pieces.
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.PathOf("hpke", "rfc9180-test-vectors.json")));
        var v = doc.RootElement.EnumerateArray().First(x => x.GetProperty("mode").GetInt32() == 0
            && x.GetProperty("kem_id").GetInt32() == 0x20 && x.GetProperty("aead_id").GetInt32() == 2);
        var keys = HpkeKeyPair.FromPrivateKey(Convert.FromHexString(v.GetProperty("skRm").GetString()!));
        Assert.Equal(v.GetProperty("pkRm").GetString(), Convert.ToHexStringLower(keys.PublicKey));

        var first = v.GetProperty("encryptions")[0];
        var sealedMessage = Convert.FromHexString(v.GetProperty("enc").GetString()! + first.GetProperty("ct").GetString()!);
        var opened = HpkeApi.Open(keys.PrivateKey, Convert.FromHexString(v.GetProperty("info").GetString()!),
            Convert.FromHexString(first.GetProperty("aad").GetString()!), sealedMessage);
        Assert.Equal(first.GetProperty("pt").GetString(), Convert.ToHexStringLower(opened!));
    }
}
