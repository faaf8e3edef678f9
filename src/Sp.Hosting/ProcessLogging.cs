using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Sp.Cmdline;

namespace Sp.Hosting;

/// <summary>
/// The log of sp-node and sp-tee (docs/logging.md): one line per event on the console (Warning and above on stderr),
/// with a UTC timestamp, the level and the category; the level is chosen with <c>--log-level</c>.
/// </summary>
public static class ProcessLogging
{
    /// <summary>The names <c>--log-level</c> takes (with the short forms <c>info</c> and <c>warn</c>).</summary>
    public const string LevelNames = "trace|debug|information|warning|error";

    /// <summary>The <c>--log-level</c> option, checked at parse time (an unknown name is a usage error).</summary>
    public static Option<string> LevelOption() =>
        Cli.Option("--log-level", "LEVEL", $"Log level ({LevelNames}; docs/logging.md)", defaultValue: "information",
            only: ["trace", "debug", "information", "info", "warning", "warn", "error"]);

    /// <summary>The level a <c>--log-level</c> name stands for (Information when absent).</summary>
    public static LogLevel ParseLevel(string? name) => name?.ToLowerInvariant() switch
    {
        null => LogLevel.Information,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new ArgumentException($"--log-level: '{name}' is not a level (expected {LevelNames})", nameof(name)),
    };

    /// <summary>Sets <paramref name="logging"/> to the shared format at <paramref name="level"/>, replacing any provider.</summary>
    public static void Configure(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.IncludeScopes = false;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Warning);
    }

    /// <summary>A logger factory in the shared format, for a process without a host (the loader).</summary>
    public static ILoggerFactory CreateFactory(LogLevel level) => LoggerFactory.Create(logging => Configure(logging, level));
}
