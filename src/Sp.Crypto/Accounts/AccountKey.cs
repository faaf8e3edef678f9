using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Sp.Core;
using Secp = Secp256k1Net.Secp256k1;

namespace Sp.Crypto.Accounts;

/// <summary>
/// An account: a secp256k1 key with an Ethereum-style address (keccak-256 of the uncompressed public key,
/// last 20 bytes), so an EVM chain can back the ledger later. Signatures are 65 bytes r || s || v (recovery id),
/// deterministic (RFC 6979) and low-s, and are checked by recovering the signer's address.
/// The curve arithmetic is Bitcoin Core's libsecp256k1 (native, through Secp256k1.Net): recovery there is about
/// five times faster than a managed port, and the ledger recovers the signer of every transaction it sequences.
/// </summary>
public sealed class AccountKey : IDisposable
{
    public const int PrivateKeySize = 32;
    public const int SignatureSize = 65;

    private readonly byte[] _secret;

    private AccountKey(byte[] secret)
    {
        _secret = secret;
        Address = AddressOf(Secp.CreatePublicKey(secret, compressed: false));
    }

    public Address Address { get; }

    public static AccountKey Generate()
    {
        var seed = new byte[PrivateKeySize];
        while (true)
        {
            RandomNumberGenerator.Fill(seed);
            if (Secp.IsValidSecretKey(seed)) return new AccountKey(seed);
        }
    }

    public static AccountKey FromHex(string hex)
    {
        var bytes = Hex.Parse(hex.Trim(), PrivateKeySize, "account private key");
        if (Secp.IsValidSecretKey(bytes)) return new AccountKey(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        throw new FormatException("account private key: not a valid secp256k1 scalar (zero, or not below the group order)");
    }

    public string ExportHex() => "0x" + Hex.Lower(_secret);

    /// <summary>Signs a 32-byte digest; returns r || s || v with v in {0, 1}.</summary>
    public byte[] SignDigest(ReadOnlySpan<byte> digest32)
    {
        if (digest32.Length != 32) throw new ArgumentException("digest must be 32 bytes", nameof(digest32));
        byte[] compact;
        int recId;
        try
        {
            (compact, recId) = Secp.SignRecoverable(digest32, _secret);
        }
        catch (ArgumentException e)
        {
            throw new CryptographicException("secp256k1 signing failed", e);
        }
        var result = new byte[SignatureSize];
        compact.CopyTo(result, 0);
        result[64] = (byte)recId;
        return result;
    }

    /// <summary>Recovers the signer's address, or null when the signature is malformed or not low-s.</summary>
    public static Address? Recover(ReadOnlySpan<byte> digest32, ReadOnlySpan<byte> signature)
    {
        if (digest32.Length != 32 || signature.Length != SignatureSize) return null;
        var v = signature[64];
        if (v >= 27) v -= 27;
        if (v > 3) return null;
        try
        {
            // Reject high-s signatures: each message has exactly one accepted signature per key (no malleability).
            if (!Secp.IsNormalizedSignature(signature[..64])) return null;
            return AddressOf(Secp.RecoverPublicKey(signature[..64], v, digest32, compressed: false));
        }
        catch (ArgumentException)
        {
            return null; // r or s out of range, or no point for this r and recovery id
        }
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

    public void Dispose() => CryptographicOperations.ZeroMemory(_secret);
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
