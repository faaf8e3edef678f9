using Sp.Core;
using Sp.Crypto.Accounts;

namespace Sp.Crypto.Tests.Accounts;

/// <summary>
/// Account keys against published Ethereum values: addresses of well-known keys (Hardhat's first development
/// account; the key of web3.js's documentation) and the deterministic (RFC 6979) signature that web3.js's
/// documentation prints for <c>accounts.sign("Some data", key)</c>.
/// </summary>
public sealed class AccountKeyTests
{
    private const string Web3DocKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    // keccak256("\x19Ethereum Signed Message:\n9Some data") and its signature r || s || v (v = 28), from the web3.js docs.
    private const string Web3DocMessageHash = "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655";
    private const string Web3DocSignature =
        "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c";

    [Theory]
    [InlineData("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    [InlineData(Web3DocKey, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")]
    public void A_known_key_has_its_published_checksummed_address(string key, string address)
    {
        using var k = AccountKey.FromHex(key);
        Assert.Equal(address, k.Address.ToString());
        Assert.Equal(address.ToLowerInvariant(), k.Address.Lower);
        Assert.Equal(key, k.ExportHex());
    }

    [Fact]
    public void Signing_is_deterministic_and_matches_the_published_signature()
    {
        using var k = AccountKey.FromHex(Web3DocKey);
        var sig = k.SignDigest(Convert.FromHexString(Web3DocMessageHash));
        var published = Convert.FromHexString(Web3DocSignature);
        Assert.Equal(published[..64], sig[..64]);
        Assert.Equal(published[64] - 27, sig[64]);
    }

    [Fact]
    public void The_published_signature_recovers_to_its_signer_with_either_v_convention()
    {
        var digest = Convert.FromHexString(Web3DocMessageHash);
        var published = Convert.FromHexString(Web3DocSignature);
        Assert.Equal("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", AccountKey.Recover(digest, published)?.Lower);
        published[64] -= 27;
        Assert.Equal("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", AccountKey.Recover(digest, published)?.Lower);
    }

    [Fact]
    public void A_fresh_key_signs_what_recovers_to_its_address_and_nothing_else()
    {
        using var k = AccountKey.Generate();
        var digest = System.Security.Cryptography.SHA256.HashData("a transaction"u8);
        var sig = k.SignDigest(digest);
        Assert.Equal(k.Address, AccountKey.Recover(digest, sig));
        var other = (byte[])digest.Clone();
        other[0] ^= 1;
        Assert.NotEqual(k.Address, AccountKey.Recover(other, sig));
        var flipped = (byte[])sig.Clone();
        flipped[64] ^= 1;
        Assert.NotEqual(k.Address, AccountKey.Recover(digest, flipped));
    }

    [Fact]
    public void A_high_s_twin_of_a_valid_signature_is_refused()
    {
        // secp256k1 group order n: (r, n - s) with the other recovery id verifies for the same key in plain ECDSA.
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        var digest = Convert.FromHexString(Web3DocMessageHash);
        var sig = Convert.FromHexString(Web3DocSignature);
        var s = new System.Numerics.BigInteger(sig.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var twin = (byte[])sig.Clone();
        (n - s).TryWriteBytes(twin.AsSpan(32, 32), out _, isUnsigned: true, isBigEndian: true);
        twin[64] = (byte)((sig[64] - 27) ^ 1);
        Assert.Null(AccountKey.Recover(digest, twin));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(66)]
    public void A_signature_of_the_wrong_length_recovers_nothing(int length)
    {
        Assert.Null(AccountKey.Recover(new byte[32], new byte[length]));
    }

    [Fact]
    public void A_zero_or_out_of_range_private_key_is_refused_with_its_reason()
    {
        var zero = Assert.Throws<FormatException>(() => AccountKey.FromHex("0x" + new string('0', 64)));
        Assert.Contains("not a valid secp256k1", zero.Message);
        Assert.Throws<FormatException>(() => AccountKey.FromHex("0x" + new string('f', 64)));
        Assert.Throws<FormatException>(() => AccountKey.FromHex("0x1234"));
    }

    [Fact]
    public void Keccak256_of_the_empty_string_is_the_published_value()
    {
        Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Hex.Lower(AccountKey.Keccak256([])));
    }
}
