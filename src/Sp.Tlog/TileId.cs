using System.Globalization;
using System.Text;

namespace Sp.Tlog;

/// <summary>
/// Names a C2SP tlog-tiles resource. A hash tile at level L holds the hashes of tree level 8·L, nodes
/// <c>[Index·256, Index·256 + Width)</c>; an entry bundle (<see cref="Level"/> = <see cref="EntriesLevel"/>)
/// holds entries <c>[Index·256, Index·256 + Width)</c>. Paths:
/// <code>
/// tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]        hash tile, full when W = 256
/// tile/entries/&lt;N&gt;[.p/&lt;W&gt;]    entry bundle
/// N = 1234067 → x001/x234/067  (3-digit elements, all but the last prefixed by "x")
/// </code>
/// </summary>
public readonly record struct TileId
{
    /// <summary>The <see cref="Level"/> value of entry bundles.</summary>
    public const int EntriesLevel = -1;

    /// <summary>Highest hash tile level: level 7 holds tree level 56, enough for 2^63 leaves.</summary>
    public const int MaxLevel = 7;

    public TileId(int level, long index, int width)
    {
        if (level < EntriesLevel || level > MaxLevel)
        {
            throw new ArgumentOutOfRangeException(nameof(level), $"tile level must be in [{EntriesLevel}, {MaxLevel}], got {level}");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (width < 1 || width > TileMath.Width)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"tile width must be in [1, {TileMath.Width}], got {width}");
        }
        Level = level;
        Index = index;
        Width = width;
    }

    public int Level { get; }

    public long Index { get; }

    public int Width { get; }

    public bool IsEntryBundle => Level == EntriesLevel;

    public bool IsPartial => Width < TileMath.Width;

    /// <summary>A hash tile.</summary>
    public static TileId Hashes(int level, long index, int width = TileMath.Width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        return new TileId(level, index, width);
    }

    /// <summary>An entry bundle.</summary>
    public static TileId Entries(long index, int width = TileMath.Width) => new(EntriesLevel, index, width);

    /// <summary>The same tile at full width (what a client falls back to when a partial tile is gone).</summary>
    public TileId Full() => new(Level, Index, TileMath.Width);

    /// <summary>The path relative to the log URL.</summary>
    public string Path
    {
        get
        {
            var path = new StringBuilder("tile/");
            path.Append(IsEntryBundle ? "entries" : Level.ToString(CultureInfo.InvariantCulture)).Append('/');
            path.Append(EncodeIndex(Index));
            if (IsPartial)
            {
                path.Append(".p/").Append(Width.ToString(CultureInfo.InvariantCulture));
            }
            return path.ToString();
        }
    }

    /// <summary>N → "x001/x234/067".</summary>
    public static string EncodeIndex(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var text = (index % 1000).ToString("D3", CultureInfo.InvariantCulture);
        for (var n = index / 1000; n > 0; n /= 1000)
        {
            text = "x" + (n % 1000).ToString("D3", CultureInfo.InvariantCulture) + "/" + text;
        }
        return text;
    }

    /// <summary>Parses a canonical tile path (as written by <see cref="Path"/>); false for anything else.</summary>
    public static bool TryParsePath(string? path, out TileId tile)
    {
        tile = default;
        if (path is null || !path.StartsWith("tile/", StringComparison.Ordinal))
        {
            return false;
        }
        var parts = path["tile/".Length..].Split('/');
        if (parts.Length < 2)
        {
            return false;
        }
        int level;
        if (parts[0] == "entries")
        {
            level = EntriesLevel;
        }
        else if (parts[0].Length != 1 || parts[0][0] < '0' || parts[0][0] > '0' + MaxLevel)
        {
            return false;
        }
        else
        {
            level = parts[0][0] - '0';
        }
        var width = TileMath.Width;
        var last = parts.Length - 1;
        if (parts.Length >= 3 && parts[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out width)
                || width < 1 || width >= TileMath.Width || parts[^1] != width.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
            parts[^2] = parts[^2][..^2];
            last--;
        }
        long index = 0;
        for (var i = 1; i <= last; i++)
        {
            var element = parts[i];
            if (i < last)
            {
                if (element.Length != 4 || element[0] != 'x')
                {
                    return false;
                }
                element = element[1..];
            }
            if (element.Length != 3 || !element.All(char.IsAsciiDigit))
            {
                return false;
            }
            if (index > (long.MaxValue - 999) / 1000)
            {
                return false;
            }
            index = (index * 1000) + int.Parse(element, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        var parsed = new TileId(level, index, width);
        if (parsed.Path != path)
        {
            return false; // e.g. a leading "x000/" element: not canonical
        }
        tile = parsed;
        return true;
    }

    public override string ToString() => Path;
}
