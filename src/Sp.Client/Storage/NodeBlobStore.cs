using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sp.Api;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Storage.Blobs;

namespace Sp.Client.Storage;

/// <summary>
/// The node's embedded blob storage (storage type SP_NODE). Each object has its own access token, created with
/// the object and kept in the resource file: the ciphertext is useless without the key, and the token keeps
/// strangers from reading or overwriting it. Creating an object is a request signed by <paramref name="account"/>
/// on <paramref name="network"/> (the object counts against that account's quota on the node); a store without
/// an account reads and deletes only.
/// </summary>
public sealed class NodeBlobStore(NodeClient node, AccountKey? account = null, string? network = null) : IBlobStore
{
    public const string Type = "SP_NODE";

    public string StorageType => Type;

    private const string ObjectsPath = "api/storage/objects";

    public async Task<StorageResource> WriteAsync(Func<Stream, CancellationToken, Task> writeContent, CancellationToken ct)
    {
        if (account is null || network is null)
            throw new InvalidOperationException("creating an object in the node's storage needs the account that signs it (NodeBlobStore(node, account, network))");
        using var created = await node.SendRawAsync(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Post, ObjectsPath);
            req.Headers.Add(AccountRequestSignature.HeaderName,
                AccountRequestSignature.Create(account, network, "POST", new Uri(node.Http.BaseAddress!, ObjectsPath).AbsolutePath, node.Time.GetUtcNow()));
            return req;
        }, ct);
        await NodeClient.EnsureOkAsync(created, node.Time, ct);
        var obj = (await created.Content.ReadFromJsonAsync<StorageObjectCreated>(SpJson.Options, ct))!;
        using var put = await node.SendRawAsync(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Put, $"api/storage/objects/{obj.Id}") { Content = new PushContent(writeContent) };
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", obj.Token);
            return req;
        }, ct, retryWhenBusy: false);
        await NodeClient.EnsureOkAsync(put, node.Time, ct);
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
        await NodeClient.EnsureOkAsync(resp, node.Time, ct);
        return await resp.Content.ReadAsStreamAsync(ct);
    }

    public async Task DeleteAsync(StorageResource resource, CancellationToken ct)
    {
        using var resp = await node.SendRawAsync(() => Request(HttpMethod.Delete, resource), ct);
        await NodeClient.EnsureOkAsync(resp, node.Time, ct);
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
