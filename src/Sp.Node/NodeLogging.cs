using Microsoft.Extensions.Logging.Console;

namespace Sp.Node;

/// <summary>
/// The node's log (docs/logging.md): one line per event on the console, with a UTC timestamp, the level and the
/// category; the level is chosen with <c>--log-level</c>. ASP.NET Core's own categories stay at Warning, so the
/// framework's request lines (which carry whole URLs) never appear: the node's request log says what is needed.
/// </summary>
public static class NodeLogging
{
    /// <summary>The names <c>--log-level</c> takes.</summary>
    public const string LevelNames = "trace|debug|information|warning|error";

    /// <summary>The level named by <c>--log-level</c> (Information when absent); an unknown name is refused.</summary>
    public static LogLevel ParseLevel(string? name) => name?.ToLowerInvariant() switch
    {
        null => LogLevel.Information,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new InvalidOperationException($"--log-level: '{name}' is not a level (expected {LevelNames})"),
    };

    public static void Configure(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        // The framework's request and routing events name whole URLs (queries included): Warning and above only.
        logging.AddFilter("Microsoft.AspNetCore", (LogLevel l) => l >= LogLevel.Warning && l >= level);
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
}
