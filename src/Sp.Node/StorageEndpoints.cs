using Microsoft.AspNetCore.Http.Features;
using Sp.Api;
using Sp.Core.Json;

namespace Sp.Node;

/// <summary>
/// The embedded storage's endpoints. Creating an object needs a request signed by an account (it counts against
/// that account's quota); reading, writing and deleting one need its bearer token. An upload's body limit is what
/// the object's owner may still store.
/// </summary>
public static class StorageEndpoints
{
    public static void MapStorage(this WebApplication app, BlobRepository blobs, SignedRequests signed)
    {
        app.MapPost("/api/storage/objects", (HttpRequest req) =>
        {
            if (signed.Verify(req, out var error) is not { } account)
            {
                req.HttpContext.Response.Headers.WWWAuthenticate = AccountRequestSignature.HeaderName;
                return RequestLimits.Error(StatusCodes.Status401Unauthorized,
                    $"creating a storage object needs a request signed by an account: {error} (docs/api.md, \"Signed requests\")");
            }
            if (blobs.Create(account, out var refusal) is not { } created) return RequestLimits.Error(StatusCodes.Status507InsufficientStorage, refusal!);
            return Results.Json(new StorageObjectCreated(created.Id, created.Token), SpJson.Options);
        });

        app.MapPut("/api/storage/objects/{id}", async (string id, HttpContext http, CancellationToken ct) =>
        {
            switch (blobs.Check(id, Bearer(http.Request)))
            {
                case BlobRepository.Access.NotFound: return Results.NotFound();
                case BlobRepository.Access.Forbidden: return RequestLimits.Error(403, $"storage object {id}: wrong or missing token");
            }
            // The body may be as long as the owner may still store; the limit is set before anything is read.
            var owner = blobs.OwnerOf(id);
            var remaining = owner is { } o ? blobs.Quota.RemainingBytes(o) : blobs.Quota.BytesPerAccount;
            var quotaMessage = owner is { } a
                ? $"storage quota: account {a.Lower} may store {remaining} more bytes (node.json limits.storageBytesPerAccount = {blobs.Quota.BytesPerAccount}); the object was not stored"
                : $"storage object {id}: at most {remaining} bytes";
            if (http.Request.ContentLength > remaining) return RequestLimits.Error(StatusCodes.Status507InsufficientStorage, quotaMessage);
            // Past the quota the rest of the body is read and dropped, up to QuotaDrainBytes more, so that a client still
            // sending reads the 507 instead of a connection reset; beyond that the connection is cut.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = remaining + QuotaDrainBytes;
            try { await blobs.WriteAsync(id, http.Request.BodyReader, ct); }
            catch (StorageQuotaException e)
            {
                await DrainAsync(http.Request.BodyReader, ct);
                return RequestLimits.Error(StatusCodes.Status507InsufficientStorage, e.Message);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { return RequestLimits.Error(StatusCodes.Status507InsufficientStorage, quotaMessage); }
            catch (IOException e) { return RequestLimits.Error(409, e.Message); }
            return Results.Ok();
        }).WithMetadata(new RequestLimits.OwnBodyLimit());

        app.MapGet("/api/storage/objects/{id}", (string id, HttpRequest req) =>
            blobs.Check(id, Bearer(req)) switch
            {
                BlobRepository.Access.Ok when blobs.Exists(id) => Results.Stream(blobs.OpenRead(id), "application/octet-stream"),
                BlobRepository.Access.Forbidden => RequestLimits.Error(403, $"storage object {id}: wrong or missing token"),
                _ => Results.NotFound(),
            });

        app.MapDelete("/api/storage/objects/{id}", (string id, HttpRequest req) =>
        {
            switch (blobs.Check(id, Bearer(req)))
            {
                case BlobRepository.Access.NotFound: return Results.NotFound();
                case BlobRepository.Access.Forbidden: return RequestLimits.Error(403, $"storage object {id}: wrong or missing token");
            }
            blobs.Delete(id);
            return Results.Ok();
        });
    }

    private static string? Bearer(HttpRequest req)
    {
        var h = req.Headers.Authorization.ToString();
        return h.StartsWith("Bearer ", StringComparison.Ordinal) ? h["Bearer ".Length..].Trim() : null;
    }

    /// <summary>How much of an over-quota upload the node still reads (and drops) to answer 507 on a clean connection.</summary>
    public const long QuotaDrainBytes = 64L << 20;

    private static async Task DrainAsync(System.IO.Pipelines.PipeReader body, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(ct);
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return;
            }
        }
        catch (BadHttpRequestException) { } // past the drain limit: Kestrel cuts the connection after the answer
    }
}
