using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Sp.Tee.Loader;

/// <summary>
/// The loader's log (docs/logging.md): one line per event on the console (Warning and above on stderr), with a UTC
/// timestamp, the level and the category; the level is chosen with <c>--log-level</c>. The same format as sp-node's.
/// </summary>
public static class LoaderLogging
{
    /// <summary>The names <c>--log-level</c> takes.</summary>
    public const string LevelNames = "trace|debug|information|warning|error";

    /// <summary>The level named by <c>--log-level</c> (Information when absent); null for an unknown name.</summary>
    public static LogLevel? ParseLevel(string? name) => name?.ToLowerInvariant() switch
    {
        null => LogLevel.Information,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => null,
    };

    public static ILoggerFactory Create(LogLevel level) => LoggerFactory.Create(logging =>
    {
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
    });
}
