using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sp.Core;
using Sp.Crypto.Accounts;

namespace Sp.Api;

/// <summary>
/// A request signed by an account, for calls that spend the account's resources on the node (creating a storage
/// object counts against its quota). Header <see cref="HeaderName"/>:
/// <c>address=0x…; time=UNIX_MS; nonce=32 HEX; signature=0x…(65 bytes)</c>. The signature is the account key's
/// secp256k1 signature (as for transactions) over keccak-256 of the UTF-8 text
/// <code>
/// SP-ACCOUNT-REQUEST-V1
/// network:NETWORK
/// address:0x… (lowercase)
/// method:POST
/// path:/api/storage/objects
/// time:UNIX_MS
/// nonce:HEX
/// </code>
/// The first line keeps it apart from a transaction's signing digest (keccak of a JSON object). The node accepts a
/// time within its window around its clock and each (address, nonce) once (docs/api.md, "Signed requests").
/// </summary>
public static class AccountRequestSignature
{
    public const string HeaderName = "SP-Account-Signature";
    private const string Domain = "SP-ACCOUNT-REQUEST-V1";
    public const int NonceBytes = 16;

    /// <summary>The parts of a signature header.</summary>
    public sealed record Parts(Address Address, long TimeMillis, string Nonce, byte[] Signature);

    /// <summary>The header value for a request of <paramref name="method"/> to <paramref name="path"/> (path and query).</summary>
    public static string Create(AccountKey key, string network, string method, string path, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        var time = now.ToUnixTimeMilliseconds();
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceBytes));
        var signature = key.SignDigest(Digest(network, key.Address, method, path, time, nonce));
        return $"address={key.Address.Lower}; time={time.ToString(CultureInfo.InvariantCulture)}; nonce={nonce}; signature=0x{Hex.Lower(signature)}";
    }

    public static byte[] Digest(string network, Address address, string method, string path, long timeMillis, string nonce) =>
        AccountKey.Keccak256(Encoding.UTF8.GetBytes(
            $"{Domain}\nnetwork:{network}\naddress:{address.Lower}\nmethod:{method.ToUpperInvariant()}\npath:{path}\n" +
            $"time:{timeMillis.ToString(CultureInfo.InvariantCulture)}\nnonce:{nonce}"));

    /// <summary>Parses a header value; null (and the reason) when it is not one.</summary>
    public static Parts? Parse(string? header, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(header))
        {
            error = $"no {HeaderName} header";
            return null;
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || !fields.TryAdd(part[..eq].Trim(), part[(eq + 1)..].Trim()))
            {
                error = $"{HeaderName}: expected address=…; time=…; nonce=…; signature=… once each";
                return null;
            }
        }
        if (fields.Count != 4 || !fields.TryGetValue("address", out var a) || !fields.TryGetValue("time", out var t)
            || !fields.TryGetValue("nonce", out var n) || !fields.TryGetValue("signature", out var s))
        {
            error = $"{HeaderName}: expected exactly address, time, nonce and signature";
            return null;
        }
        if (!Address.TryParse(a, out var address)) error = $"{HeaderName}: address '{a}' is not an account address";
        else if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var time)) error = $"{HeaderName}: time must be Unix milliseconds";
        else if (n.Length != 2 * NonceBytes || !n.All(char.IsAsciiHexDigitLower)) error = $"{HeaderName}: nonce must be {2 * NonceBytes} lowercase hex digits";
        else
        {
            try { return new Parts(address, time, n, Hex.Parse(s, AccountKey.SignatureSize, "signature")); }
            catch (FormatException e) { error = $"{HeaderName}: {e.Message}"; }
        }
        return null;
    }
}
