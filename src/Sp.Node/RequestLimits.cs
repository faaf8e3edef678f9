using Sp.Api;
using Sp.Core.Json;

namespace Sp.Node;

/// <summary>
/// Request bodies are capped before they are read. Kestrel's limit (node.json <c>limits.requestBytes</c>) stops
/// any body once that much has arrived; this middleware answers a body declared longer (Content-Length) with 413 at
/// once. An endpoint marked <see cref="OwnBodyLimit"/> sets its own limit before reading (storage uploads: what the
/// object's owner may still store).
/// </summary>
public static class RequestLimits
{
    /// <summary>Endpoint metadata: the endpoint sets its body limit itself, before reading the body.</summary>
    public sealed class OwnBodyLimit;

    public static void UseRequestBodyLimit(this WebApplication app, long maxBytes)
    {
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<OwnBodyLimit>() is null && context.Request.ContentLength > maxBytes)
            {
                await TooLarge(maxBytes).ExecuteAsync(context);
                return;
            }
            await next(context);
        });
    }

    /// <summary>413, and the connection closes: the rest of the body is not read.</summary>
    public static IResult TooLarge(long maxBytes) => new CloseAfter(Error(StatusCodes.Status413PayloadTooLarge,
        $"request body too large: at most {maxBytes} bytes (node.json limits.requestBytes); large content belongs in storage"));

    public static IResult Error(int status, string message, string? code = null) => Results.Json(new ErrorResponse(message, code), SpJson.Options, statusCode: status);

    private sealed class CloseAfter(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.Connection = "close";
            return inner.ExecuteAsync(context);
        }
    }
}
