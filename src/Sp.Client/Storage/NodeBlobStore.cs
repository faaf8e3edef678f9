using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sp.Client.Api;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Client.Storage;

/// <summary>
/// The node's embedded blob storage (storage type SP_NODE). Each object has its own access token, created with
/// the object and kept in the resource file: the ciphertext is useless without the key, and the token keeps
/// strangers from reading or overwriting it.
/// </summary>
public sealed class NodeBlobStore(NodeClient node) : IBlobStore
{
    public const string Type = "SP_NODE";

    public string StorageType => Type;

    public async Task<StorageResource> WriteAsync(Func<Stream, CancellationToken, Task> writeContent, CancellationToken ct)
    {
        using var created = await node.SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/storage/objects"), ct);
        await NodeClient.EnsureOkAsync(created, ct);
        var obj = (await created.Content.ReadFromJsonAsync<StorageObjectCreated>(SpJson.Options, ct))!;
        using var put = await node.SendRawAsync(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Put, $"api/storage/objects/{obj.Id}") { Content = new PushContent(writeContent) };
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", obj.Token);
            return req;
        }, ct);
        await NodeClient.EnsureOkAsync(put, ct);
        return new StorageResource
        {
            StorageType = Type,
            Filepath = obj.Id,
            Credentials = new Dictionary<string, string> { ["url"] = node.BaseUrl, ["token"] = obj.Token },
        };
    }

    public async Task<Stream> OpenReadAsync(StorageResource resource, CancellationToken ct)
    {
        var resp = await node.SendRawAsync(() => Request(HttpMethod.Get, resource), ct);
        if (resp.StatusCode == HttpStatusCode.NotFound)
        {
            resp.Dispose();
            throw new FileNotFoundException($"storage object {resource.Filepath} not found on {node.BaseUrl}");
        }
        await NodeClient.EnsureOkAsync(resp, ct);
        return await resp.Content.ReadAsStreamAsync(ct);
    }

    public async Task DeleteAsync(StorageResource resource, CancellationToken ct)
    {
        using var resp = await node.SendRawAsync(() => Request(HttpMethod.Delete, resource), ct);
        await NodeClient.EnsureOkAsync(resp, ct);
    }

    private static HttpRequestMessage Request(HttpMethod method, StorageResource resource)
    {
        if (resource.StorageType != Type) throw new InvalidDataException($"resource storage type {resource.StorageType}, expected {Type}");
        var req = new HttpRequestMessage(method, $"api/storage/objects/{Uri.EscapeDataString(resource.Filepath)}");
        if (resource.Credentials.TryGetValue("token", out var token))
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return req;
    }

    /// <summary>Request body written by the producer as it goes (streaming encryption straight to the socket).</summary>
    private sealed class PushContent(Func<Stream, CancellationToken, Task> write) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => write(stream, CancellationToken.None);
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct) => write(stream, ct);
        protected override bool TryComputeLength(out long length) { length = -1; return false; }
    }
}
