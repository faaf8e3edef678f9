using System.Text.Json;
using Sp.Crypto.Hpke;

namespace Sp.Crypto.Tests.Hpke;

/// <summary>
/// RFC 9180 Appendix A / CFRG test-vectors.json (the 24-vector subset in tests/testdata/hpke): every mode,
/// DHKEM(X25519) and DHKEM(P-256) with HKDF-SHA256, AES-128-GCM, AES-256-GCM and ChaCha20Poly1305.
/// </summary>
public sealed class Rfc9180VectorTests
{
    private static readonly Lazy<JsonElement[]> All = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.PathOf("hpke", "rfc9180-test-vectors.json")));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    });

    public static TheoryData<int, string> Vectors()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < All.Value.Length; i++)
        {
            var v = All.Value[i];
            data.Add(i, $"mode {v.GetProperty("mode").GetInt32()}, kem 0x{v.GetProperty("kem_id").GetInt32():x4}, aead {v.GetProperty("aead_id").GetInt32()}");
        }
        return data;
    }

    [Fact]
    public void File_Holds_The_24_Vectors_Its_Readme_Describes()
    {
        Assert.Equal(24, All.Value.Length);
        Assert.Equal(4, All.Value.Select(v => v.GetProperty("mode").GetInt32()).Distinct().Count());
        Assert.Equal(2, All.Value.Select(v => v.GetProperty("kem_id").GetInt32()).Distinct().Count());
        Assert.Equal(3, All.Value.Select(v => v.GetProperty("aead_id").GetInt32()).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_Matches(int index, string suite)
    {
        var v = All.Value[index];
        var mode = (HpkeMode)v.GetProperty("mode").GetInt32();
        var hpke = new HpkeSuite((HpkeKemId)v.GetProperty("kem_id").GetInt32(), (HpkeKdfId)v.GetProperty("kdf_id").GetInt32(),
            (HpkeAeadId)v.GetProperty("aead_id").GetInt32());

        // DeriveKeyPair from the ikm values (§7.1.3).
        var recipient = hpke.Kem.DeriveKeyPair(Bytes(v, "ikmR"));
        AssertHex(v, "skRm", recipient.PrivateKey, suite);
        AssertHex(v, "pkRm", recipient.PublicKey, suite);
        var ephemeral = hpke.Kem.DeriveKeyPair(Bytes(v, "ikmE"));
        AssertHex(v, "skEm", ephemeral.PrivateKey, suite);
        AssertHex(v, "pkEm", ephemeral.PublicKey, suite);
        KemKeyPair? sender = null;
        if (v.TryGetProperty("ikmS", out _))
        {
            sender = hpke.Kem.DeriveKeyPair(Bytes(v, "ikmS"));
            AssertHex(v, "skSm", sender.Value.PrivateKey, suite);
            AssertHex(v, "pkSm", sender.Value.PublicKey, suite);
        }
        var psk = Optional(v, "psk");
        var pskId = Optional(v, "psk_id");
        var info = Bytes(v, "info");

        // Sender and recipient setups (§5.1) both reproduce every published intermediate value.
        var s = hpke.SetupSender(mode, recipient.PublicKey, info, Bytes(v, "ikmE"), psk, pskId, sender?.PrivateKey ?? []);
        var r = hpke.SetupRecipient(mode, Bytes(v, "enc"), recipient.PrivateKey, info, psk, pskId, sender?.PublicKey ?? []);
        foreach (var setup in new[] { s, r })
        {
            AssertHex(v, "enc", setup.Enc, suite);
            AssertHex(v, "shared_secret", setup.SharedSecret, suite);
            AssertHex(v, "key_schedule_context", setup.KeyScheduleContext, suite);
            AssertHex(v, "secret", setup.Secret, suite);
            AssertHex(v, "key", setup.Context.Key, suite);
            AssertHex(v, "base_nonce", setup.Context.BaseNonce, suite);
            AssertHex(v, "exporter_secret", setup.Context.ExporterSecret, suite);
        }

        // encryptions[i] uses sequence number i: seal gives ct exactly, and ct opens back to pt.
        var encryptions = v.GetProperty("encryptions").EnumerateArray().ToArray();
        Assert.Equal(10, encryptions.Length);
        for (var i = 0; i < encryptions.Length; i++)
        {
            var e = encryptions[i];
            Assert.Equal((ulong)i, s.Context.Sequence);
            AssertHex(e, "ct", s.Context.Seal(Bytes(e, "aad"), Bytes(e, "pt")), $"{suite}, encryption {i}");
            var opened = r.Context.Open(Bytes(e, "aad"), Bytes(e, "ct"));
            Assert.NotNull(opened);
            AssertHex(e, "pt", opened, $"{suite}, encryption {i}");
        }

        foreach (var x in v.GetProperty("exports").EnumerateArray())
        {
            var context = Bytes(x, "exporter_context");
            var length = x.GetProperty("L").GetInt32();
            AssertHex(x, "exported_value", s.Context.Export(context, length), suite);
            AssertHex(x, "exported_value", r.Context.Export(context, length), suite);
        }
    }

    [Fact]
    public void Open_Out_Of_Sequence_Fails_And_Does_Not_Advance()
    {
        var v = All.Value.First(x => x.GetProperty("mode").GetInt32() == 0 && x.GetProperty("kem_id").GetInt32() == 0x20
                                    && x.GetProperty("aead_id").GetInt32() == 2);
        var hpke = new HpkeSuite(HpkeKemId.DhKemX25519HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes256Gcm);
        var recipient = hpke.Kem.DeriveKeyPair(Bytes(v, "ikmR"));
        var r = hpke.SetupRecipient(HpkeMode.Base, Bytes(v, "enc"), recipient.PrivateKey, Bytes(v, "info"));
        var encryptions = v.GetProperty("encryptions").EnumerateArray().ToArray();
        Assert.Null(r.Context.Open(Bytes(encryptions[1], "aad"), Bytes(encryptions[1], "ct"))); // expects seq 0
        Assert.Equal(0UL, r.Context.Sequence);
        Assert.NotNull(r.Context.Open(Bytes(encryptions[0], "aad"), Bytes(encryptions[0], "ct")));
    }

    [Fact]
    public void Psk_Inputs_Are_Checked()
    {
        var hpke = new HpkeSuite(HpkeKemId.DhKemX25519HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes256Gcm);
        var recipient = hpke.Kem.DeriveKeyPair(new byte[32]);
        Assert.Throws<ArgumentException>(() => hpke.SetupSender(HpkeMode.Psk, recipient.PublicKey, [], new byte[32]));
        Assert.Throws<ArgumentException>(() => hpke.SetupSender(HpkeMode.Base, recipient.PublicKey, [], new byte[32], new byte[32], "id"u8));
        Assert.Throws<ArgumentException>(() => hpke.SetupSender(HpkeMode.Psk, recipient.PublicKey, [], new byte[32], new byte[32], []));
    }

    private static byte[] Bytes(JsonElement e, string name) => Convert.FromHexString(e.GetProperty(name).GetString()!);

    private static byte[] Optional(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? Convert.FromHexString(p.GetString()!) : [];

    private static void AssertHex(JsonElement e, string name, byte[] actual, string where) =>
        Assert.True(e.GetProperty(name).GetString() == Convert.ToHexStringLower(actual),
            $"{where}: {name} expected {e.GetProperty(name).GetString()}, got {Convert.ToHexStringLower(actual)}");
}
