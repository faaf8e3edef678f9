using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sp.Api;
using Sp.Client.Config;
using Sp.Client.Storage;
using Sp.Core.Json;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Storage.Transfer;

namespace Sp.Node.Tests;

/// <summary>
/// Creating a storage object needs a request signed by an account, and counts against that account's quota of
/// objects and bytes (node.json limits); reads stay token-based. Against a real sp-node process.
/// </summary>
public sealed class StorageAccessTests
{
    private const string ObjectsPath = "/api/storage/objects";

    private static HttpRequestMessage Create(string? signature)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, ObjectsPath.TrimStart('/'));
        if (signature is not null) req.Headers.Add(AccountRequestSignature.HeaderName, signature);
        return req;
    }

    private static string Sign(AccountKey key, string network = NodeProcess.Network, string method = "POST", string path = ObjectsPath, DateTimeOffset? at = null) =>
        AccountRequestSignature.Create(key, network, method, path, at ?? DateTimeOffset.UtcNow);

    private static async Task<(HttpStatusCode Status, string Text)> SendAsync(NodeProcess node, HttpRequestMessage req)
    {
        using var resp = await node.Client.Http.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_object_create_that_no_account_signed_is_refused()
    {
        await using var node = await NodeProcess.StartAsync();
        using var alice = AccountKey.Generate();
        using var mallory = AccountKey.Generate();
        var blobs = Path.Combine(node.Dir, "node", "blobs");

        var unsigned = await SendAsync(node, Create(null));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.Status);
        Assert.Contains("needs a request signed by an account: no SP-Account-Signature header", unsigned.Text);

        // Signed, but not for this network, this path, this method, or not by the account it names.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(node, Create(Sign(alice, network: "another-network")))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(node, Create(Sign(alice, path: "/api/storage/objects/x")))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(node, Create(Sign(alice, method: "PUT")))).Status);
        var forged = Sign(mallory).Replace(mallory.Address.Lower, alice.Address.Lower, StringComparison.Ordinal);
        var forgedAnswer = await SendAsync(node, Create(forged));
        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.Status);
        Assert.Contains($"the signature is not {alice.Address.Lower}'s", forgedAnswer.Text);
        // Outside the window around the node's clock.
        var stale = await SendAsync(node, Create(Sign(alice, at: DateTimeOffset.UtcNow.AddMinutes(-10))));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.Status);
        Assert.Contains("outside the node's window of 300 s", stale.Text);
        Assert.Empty(Directory.GetFiles(blobs)); // nothing was created by any of them

        // A good signature works once; the same header again is a replay.
        var header = Sign(alice);
        var first = await SendAsync(node, Create(header));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var replay = await SendAsync(node, Create(header));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.Status);
        Assert.Contains("already used (replay)", replay.Text);
        Assert.Single(Directory.GetFiles(blobs, "*.token"));

        // Reads stay token-based: the object's token, not a signature, opens it.
        var created = SpJson.Deserialize<StorageObjectCreated>(first.Text);
        var put = new HttpRequestMessage(HttpMethod.Put, $"api/storage/objects/{created.Id}") { Content = new ByteArrayContent([1, 2, 3]) };
        put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", created.Token);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(node, put)).Status);
        var get = new HttpRequestMessage(HttpMethod.Get, $"api/storage/objects/{created.Id}");
        get.Headers.Add(AccountRequestSignature.HeaderName, Sign(alice, method: "GET", path: $"{ObjectsPath}/{created.Id}"));
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(node, get)).Status);
        var withToken = new HttpRequestMessage(HttpMethod.Get, $"api/storage/objects/{created.Id}");
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", created.Token);
        using var read = await node.Client.Http.SendAsync(withToken);
        Assert.Equal(new byte[] { 1, 2, 3 }, await read.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_clients_store_signs_its_creates_with_the_account_key_and_one_without_a_key_cannot_create()
    {
        await using var node = await NodeProcess.StartAsync();
        using var alice = AccountKey.Generate();
        var file = Path.Combine(node.Dir, "data.txt");
        await File.WriteAllTextAsync(file, "some data");

        var resource = await new FileTransfer(new NodeBlobStore(node.Client, alice, NodeProcess.Network)).UploadAsync(file, "data.txt");
        var owner = await File.ReadAllTextAsync(Path.Combine(node.Dir, "node", "blobs", resource.Resource.Filepath + ".owner"));
        Assert.Equal(alice.Address.Lower, owner);
        using var back = new MemoryStream();
        await new FileTransfer(new NodeBlobStore(node.Client)).DownloadToStreamAsync(resource, back); // reading needs no account
        Assert.Equal("some data", System.Text.Encoding.UTF8.GetString(back.ToArray()));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new FileTransfer(new NodeBlobStore(node.Client)).UploadAsync(file, "data.txt"));
        Assert.Contains("needs the account that signs it", e.Message);
    }

    [Fact]
    public async Task An_object_create_or_upload_over_the_accounts_quota_is_refused_and_a_delete_gives_it_back()
    {
        const long bytesQuota = 100_000;
        await using var node = await NodeProcess.StartAsync(new() { ["storageObjectsPerAccount"] = 2, ["storageBytesPerAccount"] = bytesQuota });
        using var alice = AccountKey.Generate();
        using var bob = AccountKey.Generate();

        async Task<StorageObjectCreated> CreateAsync(AccountKey key)
        {
            using var resp = await node.Client.Http.SendAsync(Create(Sign(key)));
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            return (await resp.Content.ReadFromJsonAsync<StorageObjectCreated>(SpJson.Options))!;
        }
        async Task<(HttpStatusCode, string)> PutAsync(StorageObjectCreated o, int size)
        {
            var put = new HttpRequestMessage(HttpMethod.Put, $"api/storage/objects/{o.Id}") { Content = new ByteArrayContent(new byte[size]) };
            put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.Token);
            return await SendAsync(node, put);
        }

        // Objects: two for alice, the third refused; bob's quota is his own.
        var first = await CreateAsync(alice);
        var second = await CreateAsync(alice);
        var third = await SendAsync(node, Create(Sign(alice)));
        Assert.Equal(HttpStatusCode.InsufficientStorage, third.Status);
        Assert.Contains($"account {alice.Address.Lower} holds 2 objects", third.Text);
        Assert.Contains("limits.storageObjectsPerAccount = 2", third.Text);
        var bobs = await CreateAsync(bob);

        // Bytes: an upload declared over the quota is refused before it is read, one sent chunked once it passes it.
        var (declared, declaredText) = await PutAsync(first, (int)bytesQuota + 1);
        Assert.Equal(HttpStatusCode.InsufficientStorage, declared);
        Assert.Contains("limits.storageBytesPerAccount", declaredText);
        var chunked = await RawHttp.SendAsync(node.Port, "PUT", $"{ObjectsPath}/{first.Id}", Parts(bytesQuota + 50_000), null,
            new Dictionary<string, string> { ["Authorization"] = $"Bearer {first.Token}" });
        Assert.Equal(507, chunked.Status);
        Assert.Contains("the object was not stored", chunked.Body);
        Assert.Empty(Directory.GetFiles(Path.Combine(node.Dir, "node", "blobs"), "*.bin"));

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(first, 60_000)).Item1);
        var (over, overText) = await PutAsync(second, 60_000); // 120,000 in all: over the 100,000
        Assert.Equal(HttpStatusCode.InsufficientStorage, over);
        Assert.Contains("may store 40000 more bytes", overText);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(bobs, 60_000)).Item1);

        // Deleting gives the object and its bytes back.
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"api/storage/objects/{first.Id}");
        delete.Headers.Authorization = new AuthenticationHeaderValue("Bearer", first.Token);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(node, delete)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(second, 60_000)).Item1);
        await CreateAsync(alice);

        // Through the client's store (a streamed upload), the refusal is the node's message: bob may store 40,000 more bytes.
        var file = Path.Combine(node.Dir, "big.bin");
        await File.WriteAllBytesAsync(file, new byte[bytesQuota]);
        var e = await Assert.ThrowsAsync<NodeRefusedError>(() => new FileTransfer(new NodeBlobStore(node.Client, bob, NodeProcess.Network)).UploadAsync(file, "big.bin"));
        Assert.Contains($"storage quota: account {bob.Address.Lower}", e.Message);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Parts(long size)
    {
        var part = new byte[16 * 1024];
        for (var left = size; left > 0; left -= part.Length) yield return part.AsMemory(0, (int)Math.Min(left, part.Length));
    }
}
