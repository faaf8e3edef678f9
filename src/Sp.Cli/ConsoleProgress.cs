using Sp.Storage.Transfer;

namespace Sp.Cli;

/// <summary>
/// Progress of long work on stderr: a redrawn bar with bytes, rate and ETA on a terminal; a plain line every
/// few seconds at most when piped.
/// </summary>
public sealed class ConsoleProgress : IProgress<TransferProgress>
{
    /// <summary>How often a terminal's bar is redrawn; a piped output gets a line every <see cref="PipedInterval"/> at most.</summary>
    public static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan PipedInterval = TimeSpan.FromSeconds(5);

    private readonly TextWriter _out;
    private readonly bool _terminal;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly TimeSpan _interval;
    private TimeSpan _phaseStart;
    private TimeSpan? _last;
    private string _phase = "";
    private bool _drawn;

    /// <summary>On stderr, a bar when it is a terminal, lines when it is not.</summary>
    /// <param name="time">The clock rates and intervals are measured on.</param>
    public ConsoleProgress(TimeProvider time) : this(Console.Error, !Console.IsErrorRedirected, time) { }

    /// <param name="output">Where the progress goes.</param>
    /// <param name="terminal">Redraw a bar in place (true) or write plain lines (false).</param>
    /// <param name="time">The clock rates and intervals are measured on (tests drive a fake one).</param>
    public ConsoleProgress(TextWriter output, bool terminal, TimeProvider time)
    {
        _out = output;
        _terminal = terminal;
        _time = time;
        _started = time.GetTimestamp();
        _interval = terminal ? TerminalInterval : PipedInterval;
    }

    /// <summary>Time since this progress was created.</summary>
    private TimeSpan Elapsed => _time.GetElapsedTime(_started);

    public void Report(TransferProgress p)
    {
        var now = Elapsed - _phaseStart;
        if (p.Phase != _phase) { Finish(); _phase = p.Phase; _phaseStart = Elapsed; now = TimeSpan.Zero; _last = null; }
        var done = p.TotalBytes is { } t && p.Bytes >= t;
        if (!done && _last is { } last && now - last < _interval) return;
        _last = now;
        var text = Describe(p, now, _terminal);
        if (_terminal) { _out.Write("\r" + text.PadRight(78)); _drawn = true; }
        else if (now >= PipedInterval || done) _out.WriteLine(text);
    }

    /// <summary>
    /// One progress line: phase, share done, bytes of the total, rate and time left, measured over
    /// <paramref name="elapsed"/> (the phase's time so far); a 24-character bar first when <paramref name="bar"/>.
    /// </summary>
    public static string Describe(TransferProgress p, TimeSpan elapsed, bool bar = false)
    {
        var rate = elapsed.TotalSeconds > 0 ? p.Bytes / elapsed.TotalSeconds : 0;
        if (p.TotalBytes is not { } total || total <= 0) return $"{p.Phase}: {Size(p.Bytes)} {Size((long)rate)}/s";
        var frac = Math.Min(1.0, (double)p.Bytes / total);
        var eta = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - p.Bytes) / rate) : TimeSpan.Zero;
        var drawn = bar ? "[" + new string('#', (int)(frac * 24)).PadRight(24) + "] " : "";
        return $"{p.Phase}: {drawn}{frac * 100,3:0}% {Size(p.Bytes)}/{Size(total)} {Size((long)rate)}/s ETA {eta:mm\\:ss}";
    }

    public void Finish()
    {
        if (_drawn) _out.WriteLine();
        _drawn = false;
    }

    /// <summary>Bytes as people read them (B, KiB, MiB, GiB).</summary>
    public static string Size(long b) => b switch
    {
        >= 1L << 30 => $"{b / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{b / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{b / 1024.0:0.0} KiB",
        _ => $"{b} B",
    };
}
