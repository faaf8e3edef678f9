using Sp.Hosting;

namespace Sp.Node;

/// <summary>
/// The node's log: the shared format (<see cref="ProcessLogging"/>, docs/logging.md), with ASP.NET Core's own
/// categories kept at Warning, so the framework's request lines (which carry whole URLs) never appear: the node's
/// request log says what is needed.
/// </summary>
public static class NodeLogging
{
    public static void Configure(ILoggingBuilder logging, LogLevel level)
    {
        ProcessLogging.Configure(logging, level);
        // The framework's request and routing events name whole URLs (queries included): Warning and above only.
        logging.AddFilter("Microsoft.AspNetCore", (LogLevel l) => l >= LogLevel.Warning && l >= level);
    }
}
