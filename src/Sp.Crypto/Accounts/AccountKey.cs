using System.Security.Cryptography;
using NBitcoin.Secp256k1;
using Org.BouncyCastle.Crypto.Digests;
using Sp.Core;

namespace Sp.Crypto.Accounts;

/// <summary>
/// An account: a secp256k1 key with an Ethereum-style address (keccak-256 of the uncompressed public key,
/// last 20 bytes), so an EVM chain can back the ledger later. Signatures are 65 bytes r || s || v (recovery id),
/// with low s, and are checked by recovering the signer's address.
/// </summary>
public sealed class AccountKey : IDisposable
{
    public const int PrivateKeySize = 32;
    public const int SignatureSize = 65;

    private readonly ECPrivKey _key;

    private AccountKey(ECPrivKey key)
    {
        _key = key;
        Span<byte> pub = stackalloc byte[65];
        key.CreatePubKey().WriteToSpan(false, pub, out _);
        Address = AddressOf(pub);
    }

    public Address Address { get; }

    public static AccountKey Generate()
    {
        Span<byte> seed = stackalloc byte[PrivateKeySize];
        try
        {
            while (true)
            {
                RandomNumberGenerator.Fill(seed);
                if (ECPrivKey.TryCreate(seed, out var k)) return new AccountKey(k!);
            }
        }
        finally { CryptographicOperations.ZeroMemory(seed); }
    }

    public static AccountKey FromHex(string hex)
    {
        var bytes = Hex.Parse(hex.Trim(), PrivateKeySize, "account private key");
        try
        {
            if (!ECPrivKey.TryCreate(bytes, out var k)) throw new FormatException("account private key: not a valid secp256k1 scalar");
            return new AccountKey(k!);
        }
        finally { CryptographicOperations.ZeroMemory(bytes); }
    }

    public string ExportHex()
    {
        Span<byte> b = stackalloc byte[PrivateKeySize];
        _key.WriteToSpan(b);
        var s = "0x" + Hex.Lower(b);
        CryptographicOperations.ZeroMemory(b);
        return s;
    }

    /// <summary>Signs a 32-byte digest; returns r || s || v with v in {0, 1}.</summary>
    public byte[] SignDigest(ReadOnlySpan<byte> digest32)
    {
        if (digest32.Length != 32) throw new ArgumentException("digest must be 32 bytes", nameof(digest32));
        if (!_key.TrySignRecoverable(digest32, out var sig) || sig is null)
            throw new CryptographicException("secp256k1 signing failed");
        var result = new byte[SignatureSize];
        sig.WriteToSpanCompact(result.AsSpan(0, 64), out var recId);
        result[64] = (byte)recId;
        return result;
    }

    /// <summary>Recovers the signer's address, or null when the signature is malformed.</summary>
    public static Address? Recover(ReadOnlySpan<byte> digest32, ReadOnlySpan<byte> signature)
    {
        if (digest32.Length != 32 || signature.Length != SignatureSize) return null;
        var v = signature[64];
        if (v >= 27) v -= 27;
        if (v > 3) return null;
        if (!SecpRecoverableECDSASignature.TryCreateFromCompact(signature[..64], v, out var sig) || sig is null) return null;
        // Reject high-s signatures: each message has exactly one accepted signature per key (no malleability).
        if (!SecpECDSASignature.TryCreateFromCompact(signature[..64], out var plain) || plain is null) return null;
        if (plain.s.IsHigh) return null;
        if (!ECPubKey.TryRecover(Context.Instance, sig, digest32, out var pub) || pub is null) return null;
        Span<byte> raw = stackalloc byte[65];
        pub.WriteToSpan(false, raw, out _);
        return AddressOf(raw);
    }

    public static byte[] Keccak256(ReadOnlySpan<byte> data)
    {
        var d = new KeccakDigest(256);
        d.BlockUpdate(data);
        var o = new byte[32];
        d.DoFinal(o);
        return o;
    }

    private static Address AddressOf(ReadOnlySpan<byte> uncompressedPub)
    {
        var h = Keccak256(uncompressedPub[1..]);
        return Address.FromBytes(h.AsSpan(12, 20));
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>An Ethereum-style account address, printed EIP-55 checksummed, parsed in any case.</summary>
public readonly record struct Address
{
    private readonly string _lower;

    private Address(string lower) => _lower = lower;

    public static Address FromBytes(ReadOnlySpan<byte> twenty) =>
        twenty.Length == 20 ? new Address(Hex.Lower(twenty)) : throw new ArgumentException("an address is 20 bytes");

    public static bool TryParse(string? s, out Address address)
    {
        address = default;
        if (s is null) return false;
        s = s.Trim();
        if (!s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || s.Length != 42) return false;
        var body = s[2..];
        foreach (var c in body) if (!Uri.IsHexDigit(c)) return false;
        address = new Address(body.ToLowerInvariant());
        return true;
    }

    public static Address Parse(string s) =>
        TryParse(s, out var a) ? a : throw new FormatException($"'{s}' is not an account address (expected 0x followed by 40 hex digits)");

    /// <summary>EIP-55 mixed-case checksum encoding.</summary>
    public override string ToString()
    {
        if (_lower is null) return "0x0000000000000000000000000000000000000000";
        var hash = AccountKey.Keccak256(System.Text.Encoding.ASCII.GetBytes(_lower));
        var chars = new char[42];
        chars[0] = '0'; chars[1] = 'x';
        for (var i = 0; i < 40; i++)
        {
            var nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
            var c = _lower[i];
            chars[i + 2] = c is >= 'a' and <= 'f' && nibble >= 8 ? char.ToUpperInvariant(c) : c;
        }
        return new string(chars);
    }

    public string Lower => "0x" + (_lower ?? new string('0', 40));
}
