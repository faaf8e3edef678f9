using Sp.Hosting;

namespace Sp.Witness;

/// <summary>sp-witness's HTTP service: <c>POST /add-checkpoint</c> and <c>GET /&lt;origin hash&gt;/checkpoint</c> (C2SP tlog-witness).</summary>
public static partial class WitnessHost
{
    /// <summary>An add-checkpoint body holds a checkpoint and at most 63 hashes: a few KiB.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public static async Task<int> RunAsync(string dir, string urls, LogLevel level, TimeProvider time, CancellationToken ct = default)
    {
        await using var app = Build(dir, urls, level, time);
        await app.RunAsync(ct);
        return 0;
    }

    public static WebApplication Build(string dir, string urls, LogLevel level, TimeProvider time)
    {
        var folder = new WitnessFolder(Path.GetFullPath(dir));
        var (key, logs) = folder.Load();
        var witness = new Witness(key, logs, folder.State, time);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
        ProcessLogging.Configure(builder.Logging, level);
        builder.Logging.AddFilter("Microsoft.AspNetCore", (LogLevel l) => l >= LogLevel.Warning && l >= level);
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sp.Witness");
        foreach (var (origin, size) in witness.Sizes()) Started(log, origin, size);

        app.MapPost("/" + Sp.Tlog.AddCheckpointRequest.Path, async (HttpRequest req) =>
        {
            using var body = new MemoryStream();
            try
            {
                await req.Body.CopyToAsync(body, req.HttpContext.RequestAborted);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Results.Text($"the body is larger than {MaxBodyBytes} bytes\n", AddResult.Text, statusCode: 413);
            }
            var result = witness.Add(body.GetBuffer().AsSpan(0, (int)body.Length), reason => Refused(log, reason));
            if (result.Cosigned) Cosigned(log, result.Body.Length);
            return Results.Text(result.Body, result.ContentType, statusCode: result.Status);
        });

        app.MapGet("/{originHash}/checkpoint", (string originHash) =>
            witness.LatestNote(originHash) is { } note ? Results.Bytes(note, AddResult.Text) : Results.NotFound());
        return app;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "witnessing {Origin}, latest cosigned size {Size}")]
    private static partial void Started(ILogger logger, string origin, long size);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Reason}")]
    private static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "cosigned ({Bytes} bytes)")]
    private static partial void Cosigned(ILogger logger, int bytes);
}
