namespace Sp.Core;

public static class Hex
{
    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Parses hex with or without a 0x prefix; throws FormatException naming what was expected.</summary>
    public static byte[] Parse(string hex, int? expectedBytes = null, string what = "value")
    {
        var s = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        byte[] bytes;
        try { bytes = Convert.FromHexString(s); }
        catch (FormatException) { throw new FormatException($"{what}: '{Truncate(hex)}' is not hexadecimal"); }
        if (expectedBytes is { } n && bytes.Length != n)
            throw new FormatException($"{what}: expected {n * 2} hex digits, got {s.Length}");
        return bytes;
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
