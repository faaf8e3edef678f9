using Microsoft.Extensions.Time.Testing;
using Sp.Cli;
using Sp.Storage.Transfer;

namespace Sp.EndToEnd.Tests;

/// <summary>spctl's progress display: a redrawn bar with bytes, rate and ETA on a terminal; a line every few seconds at most when piped.</summary>
public sealed class ConsoleProgressTests
{
    private const long GiB = 1L << 30;

    /// <summary>A fake clock, and a way to set it to a time since the progress was created.</summary>
    private static (FakeTimeProvider Time, Action<TimeSpan> At) Clock()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        return (time, t => time.SetUtcNow(start + t));
    }

    [Fact]
    public void Piped_it_writes_a_line_every_five_seconds_at_most_and_one_at_the_end()
    {
        var output = new StringWriter();
        var (time, at) = Clock();
        var progress = new ConsoleProgress(output, terminal: false, time);
        progress.Report(new TransferProgress("upload", 0, GiB));
        // 100 reports over 12 s (every 0.12 s), about 10 MiB each.
        for (var i = 1; i <= 100; i++)
        {
            at(TimeSpan.FromMilliseconds(120 * i));
            progress.Report(new TransferProgress("upload", i * GiB / 100, GiB));
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 2, 3); // at ~5 s, ~10 s, and the last one at 100 %
        Assert.All(lines, l => Assert.StartsWith("upload: ", l));
        Assert.DoesNotContain('\r', output.ToString());
        Assert.Matches(@"^upload: 100% 1\.00 GiB/1\.00 GiB \d+\.\d MiB/s ETA 00:00$", lines[^1]);
        Assert.Matches(@"^upload:  ?\d+% \d+\.\d+ (MiB|GiB)/1\.00 GiB \d+\.\d MiB/s ETA 00:\d\d$", lines[0]);
    }

    [Fact]
    public void On_a_terminal_it_redraws_one_bar_in_place_with_bytes_rate_and_ETA()
    {
        var output = new StringWriter();
        var (time, at) = Clock();
        var progress = new ConsoleProgress(output, terminal: true, time);
        progress.Report(new TransferProgress("download", 0, GiB)); // the work starts: its clock starts
        at(TimeSpan.FromSeconds(1));
        progress.Report(new TransferProgress("download", GiB / 4, GiB));
        at(TimeSpan.FromSeconds(1.1)); // within the redraw interval: not drawn
        progress.Report(new TransferProgress("download", GiB / 4 + 1, GiB));
        at(TimeSpan.FromSeconds(2));
        progress.Report(new TransferProgress("download", GiB / 2, GiB));
        progress.Finish();
        var text = output.ToString();
        var frames = text.Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, frames.Length);
        Assert.StartsWith("download: [                        ]   0% 0 B/1.00 GiB", frames[0]);
        Assert.StartsWith("download: [######                  ]  25% 256.0 MiB/1.00 GiB 256.0 MiB/s ETA 00:03", frames[1]);
        Assert.StartsWith("download: [############            ]  50% 512.0 MiB/1.00 GiB 256.0 MiB/s ETA 00:02", frames[2]);
        Assert.EndsWith("\n", text); // the bar's line is ended when the work is
    }

    [Fact]
    public void A_new_phase_starts_its_own_clock_and_line()
    {
        var output = new StringWriter();
        var (time, at) = Clock();
        var progress = new ConsoleProgress(output, terminal: false, time);
        at(TimeSpan.FromSeconds(30));
        progress.Report(new TransferProgress("download", GiB, GiB));
        at(TimeSpan.FromSeconds(31));
        progress.Report(new TransferProgress("extract", GiB, GiB)); // done at once: a line, at the rate of its own 0 s
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("download: 100%", lines[0]);
        Assert.StartsWith("extract: 100%", lines[1]);
    }
}
