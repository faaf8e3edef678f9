using System.Text;

namespace Sp.Tee.Runtime;

/// <summary>Keeps the first <c>capBytes</c> bytes of a log and counts the rest.</summary>
internal sealed class BoundedLog
{
    private readonly long _capBytes;
    private readonly MemoryStream _kept = new();

    public BoundedLog(long capBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capBytes);
        _capBytes = capBytes;
    }

    public long TotalBytes { get; private set; }
    public long DroppedBytes => TotalBytes - _kept.Length;
    public bool Truncated => DroppedBytes > 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        TotalBytes += data.Length;
        var room = _capBytes - _kept.Length;
        if (room <= 0) return;
        _kept.Write(data[..(int)Math.Min(room, data.Length)]);
    }

    /// <summary>The kept text (UTF-8, invalid sequences replaced), plus a note line when bytes were cut.</summary>
    public string Render()
    {
        var text = Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);
        if (!Truncated) return text;
        var separator = text.Length == 0 || text.EndsWith('\n') ? "" : "\n";
        return $"{text}{separator}[sp-tee: log truncated at {_capBytes} bytes; {DroppedBytes} more bytes were cut]\n";
    }
}
