namespace Sp.Node;

/// <summary>
/// The node's request log: one line per request once its answer is sent, with the method, the path, the status and
/// the time taken, and the address it came from (behind a proxy, the proxy's: loaders on other hosts are told apart by it).
/// Never the query string, a header or a body: a storage object's bearer token and an account's
/// request signature travel in headers, and transactions and uploads in bodies. Reads that succeed (GET and HEAD
/// below 400: the loaders' polls, the clients' waits) are logged at Debug; every write and every refusal at Information.
/// </summary>
public static partial class RequestLog
{
    public static void UseRequestLog(this WebApplication app, TimeProvider time)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Node.Requests");
        app.Use(async (context, next) =>
        {
            var started = time.GetTimestamp();
            try { await next(context); }
            finally
            {
                var request = context.Request;
                var status = context.Response.StatusCode;
                var read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
                var level = read && status < 400 ? LogLevel.Debug : LogLevel.Information;
                if (logger.IsEnabled(level))
                    Request(logger, level, request.Method, request.PathBase + request.Path, status, time.GetElapsedTime(started).TotalMilliseconds,
                        context.Connection.RemoteIpAddress?.ToString() ?? "-");
            }
        });
    }

    [LoggerMessage(EventId = 1, Message = "{Method} {Path} {StatusCode} {ElapsedMs:0.0} ms from {Client}")]
    private static partial void Request(ILogger logger, LogLevel level, string method, PathString path, int statusCode, double elapsedMs, string client);
}
