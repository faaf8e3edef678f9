using System.Security.Cryptography;
using System.Text;
using Sp.Core.Model;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Sp.Storage.Tests;

/// <summary>Failure messages reach logs and public order statuses: they never quote bytes a storage server sent.</summary>
public sealed class ErrorMessageTests
{
    private static ResourceFile FileOf(StorageResource resource) => new()
    {
        Hash = new HashInfo { Value = new string('0', 64) },
        Size = 10,
        Encryption = new EncryptionInfo { Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) },
        Resource = resource,
    };

    [Fact]
    public async Task An_S3_error_names_its_status_and_code_but_never_quotes_the_servers_text()
    {
        using var server = FakeHttpServer.Always(403, "<Error><Code>AccessDenied</Code><Message>SECRET-IN-THE-BODY</Message></Error>");
        var resource = TestResources.S3(server.Url);
        using var store = S3BlobStore.ForResource(resource, endpoints: new StorageEndpointPolicy([$"127.0.0.1:{server.Port}"], "allowedStorageHosts"));
        var e = await Assert.ThrowsAsync<IOException>(() => store.OpenReadAsync(resource, default));
        Assert.Contains("HTTP 403", e.Message);
        Assert.DoesNotContain("SECRET", e.Message);

        using var garbled = FakeHttpServer.Always(500, "SECRET-NOT-XML-AT-ALL", "text/plain");
        var other = TestResources.S3(garbled.Url);
        using var store2 = new S3BlobStore(S3BlobStore.OptionsFor(other) with { MaxAttempts = 1 });
        var e2 = await Assert.ThrowsAnyAsync<Exception>(() => store2.OpenReadAsync(other, default));
        Assert.Contains("HTTP 500", e2.Message);
        Assert.DoesNotContain("SECRET", e2.Message);
    }

    [Fact]
    public async Task A_download_that_is_not_an_SP_stream_fails_without_quoting_its_bytes()
    {
        var body = Encoding.ASCII.GetBytes("SECRET-METADATA-CREDENTIALS");
        using var server = new FakeHttpServer((method, _) => new FakeHttpServer.Response(method == "HEAD" ? 200 : 206, "OK",
            new() { ["Content-Type"] = "application/octet-stream", ["ETag"] = "\"e\"", ["Content-Length"] = body.Length.ToString() }, body));
        var resource = FileOf(TestResources.S3(server.Url));
        using var store = S3BlobStore.ForResource(resource.Resource, endpoints: new StorageEndpointPolicy([$"127.0.0.1:{server.Port}"], "allowedStorageHosts"));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => new FileTransfer(store).DownloadToStreamAsync(resource, Stream.Null));
        Assert.Contains("not an SP stream", e.Message);
        Assert.DoesNotContain("SECRET", e.ToString().Split("   at ")[0]);
    }
}
