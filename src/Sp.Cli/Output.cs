using System.Text;

namespace Sp.Cli;

/// <summary>The output contract of cli-reference.md: `key: value` lines and tables with snake_case names.</summary>
public static class Output
{
    public const string Empty = "<empty>";

    public static string KeyValues(IEnumerable<(string Key, string? Value)> pairs)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs) sb.Append(k).Append(": ").Append(string.IsNullOrEmpty(v) ? Empty : v).Append('\n');
        return sb.ToString();
    }

    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => string.IsNullOrEmpty(c) ? Empty : c!).ToList()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToList();
        var sb = new StringBuilder();
        void Row(IReadOnlyList<string> cells) =>
            sb.Append(string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i])))).Append('\n');
        Row(headers);
        foreach (var r in all) Row(r);
        return sb.ToString();
    }

    public static string Time(long unixMillis) =>
        unixMillis == 0 ? "" : DateTimeOffset.FromUnixTimeMilliseconds(unixMillis).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
}
