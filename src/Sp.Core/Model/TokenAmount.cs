using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sp.Core.Model;

/// <summary>
/// An exact, non-negative amount of tokens held as an integer number of base units (18 decimals, as the original
/// platform's token: 1 token = 10^18 base units). No floating point anywhere. JSON: a string of base units
/// ("1500000000000000000"), so the ledger's canonical form never depends on number formatting.
/// <see cref="ToString"/> prints tokens ("1.5"); <see cref="ParseTokens"/> reads them back exactly.
/// </summary>
[JsonConverter(typeof(TokenAmountJsonConverter))]
public readonly record struct TokenAmount : IComparable<TokenAmount>
{
    /// <summary>Decimal places of one token.</summary>
    public const int Decimals = 18;

    /// <summary>Longest accepted base-unit string (far above any real supply; bounds parsing work).</summary>
    private const int MaxDigits = 60;

    public static readonly BigInteger UnitsPerToken = BigInteger.Pow(10, Decimals);
    public static readonly TokenAmount Zero = new(BigInteger.Zero);

    private readonly BigInteger _units;

    private TokenAmount(BigInteger units) => _units = units;

    /// <summary>Base units (10^-18 token).</summary>
    public BigInteger Units => _units;

    public bool IsZero => _units.IsZero;

    public static TokenAmount FromUnits(BigInteger units) =>
        units.Sign >= 0 ? new TokenAmount(units) : throw new ArgumentOutOfRangeException(nameof(units), $"a token amount cannot be negative, got {units}");

    public static TokenAmount FromTokens(long tokens) => FromUnits(new BigInteger(tokens) * UnitsPerToken);

    /// <summary>Parses a string of base units: decimal digits only, no sign, no exponent.</summary>
    public static bool TryParseUnits(string? s, out TokenAmount amount)
    {
        amount = Zero;
        if (string.IsNullOrEmpty(s) || s.Length > MaxDigits) return false;
        foreach (var c in s)
            if (c is < '0' or > '9') return false;
        amount = new TokenAmount(BigInteger.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture));
        return true;
    }

    public static TokenAmount ParseUnits(string s, string what) =>
        TryParseUnits(s, out var a) ? a : throw new FormatException($"{what}: expected a whole number of base units (decimal digits, 1 token = 10^{Decimals}), got '{s}'");

    /// <summary>Parses tokens as a decimal ("10", "0.25", "1.000000000000000001"): exact, at most 18 decimals.</summary>
    public static bool TryParseTokens(string? s, out TokenAmount amount)
    {
        amount = Zero;
        if (string.IsNullOrWhiteSpace(s)) return false;
        s = s.Trim();
        var dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        var frac = dot < 0 ? "" : s[(dot + 1)..];
        if (whole.Length == 0 && frac.Length == 0) return false;
        if (frac.Length > Decimals || whole.Length + Decimals > MaxDigits) return false;
        if (!(whole + frac).All(c => c is >= '0' and <= '9')) return false;
        var digits = (whole.Length == 0 ? "0" : whole) + frac.PadRight(Decimals, '0');
        amount = new TokenAmount(BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture));
        return true;
    }

    public static TokenAmount ParseTokens(string s, string what) =>
        TryParseTokens(s, out var a) ? a : throw new FormatException($"{what}: expected an amount of tokens such as 10 or 0.5 (at most {Decimals} decimals), got '{s}'");

    /// <summary>The amount in base units, as a string of digits.</summary>
    public string UnitsString => _units.ToString(CultureInfo.InvariantCulture);

    /// <summary>The amount in tokens, exact, without trailing zeros: "0", "10", "0.5", "0.000000000000000001".</summary>
    public override string ToString()
    {
        var whole = BigInteger.DivRem(_units, UnitsPerToken, out var rem);
        var w = whole.ToString(CultureInfo.InvariantCulture);
        if (rem.IsZero) return w;
        return w + "." + rem.ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0');
    }

    public int CompareTo(TokenAmount other) => _units.CompareTo(other._units);

    public static TokenAmount operator +(TokenAmount a, TokenAmount b) => new(a._units + b._units);

    /// <summary>Throws when the result would be negative: callers check first.</summary>
    public static TokenAmount operator -(TokenAmount a, TokenAmount b) => FromUnits(a._units - b._units);

    public static bool operator <(TokenAmount a, TokenAmount b) => a._units < b._units;
    public static bool operator >(TokenAmount a, TokenAmount b) => a._units > b._units;
    public static bool operator <=(TokenAmount a, TokenAmount b) => a._units <= b._units;
    public static bool operator >=(TokenAmount a, TokenAmount b) => a._units >= b._units;

    public static TokenAmount Min(TokenAmount a, TokenAmount b) => a <= b ? a : b;
    public static TokenAmount Max(TokenAmount a, TokenAmount b) => a >= b ? a : b;

    public static TokenAmount Sum(IEnumerable<TokenAmount> amounts) => amounts.Aggregate(Zero, (s, a) => s + a);
}

/// <summary>JSON of <see cref="TokenAmount"/>: a string of base units; anything else is a JsonException.</summary>
public sealed class TokenAmountJsonConverter : JsonConverter<TokenAmount>
{
    public override TokenAmount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"a token amount is a string of base units, got a JSON {reader.TokenType}");
        var s = reader.GetString();
        return TokenAmount.TryParseUnits(s, out var a)
            ? a
            : throw new JsonException($"'{s}' is not a token amount (a string of decimal digits: base units, 1 token = 10^{TokenAmount.Decimals})");
    }

    public override void Write(Utf8JsonWriter writer, TokenAmount value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UnitsString);

    public override TokenAmount ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, TokenAmount value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.UnitsString);
}
