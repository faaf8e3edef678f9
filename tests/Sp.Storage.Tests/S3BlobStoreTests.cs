using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Sp.Core.Model;
using Sp.Storage.Blobs;
using Sp.Storage.Blobs.S3;

namespace Sp.Storage.Tests;

[Collection(S3Collection.Name)]
public sealed class S3BlobStoreTests(S3rverFixture s3)
{
    private const int MiB = 1024 * 1024;

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = GC.AllocateUninitializedArray<byte>(n);
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<byte[]> ReadAllAsync(IBlobStore store, StorageResource resource)
    {
        var stream = await store.OpenReadAsync(resource, default);
        await using (stream)
        {
            var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    private static Task<StorageResource> WriteAsync(IBlobStore store, byte[] content) =>
        store.WriteAsync((s, c) => s.WriteAsync(content, c).AsTask(), default);

    [Fact]
    public async Task Small_Object_Round_Trip_And_The_Resource_Opens_It_From_Its_Credentials()
    {
        var options = s3.Options();
        using var store = new S3BlobStore(options);
        var content = RandomBytes(1000, 1);

        var resource = await WriteAsync(store, content);

        Assert.Equal("S3", resource.StorageType);
        Assert.StartsWith(options.Prefix, resource.Filepath);
        Assert.Matches("^[0-9a-f]{32}$", resource.Filepath[options.Prefix.Length..]);
        Assert.Equal(s3.Endpoint, resource.Credentials["endpoint"]);
        Assert.Equal(S3rverFixture.Bucket, resource.Credentials["bucket"]);
        Assert.Equal(S3rverFixture.AccessKey, resource.Credentials["accessKey"]);
        Assert.Equal(S3rverFixture.SecretKey, resource.Credentials["secretKey"]);
        Assert.Equal("us-east-1", resource.Credentials["region"]);
        Assert.Equal(content, await ReadAllAsync(store, resource));

        // A downloader that only has the resource file.
        using var downloader = S3BlobStore.ForResource(resource);
        Assert.Equal(content, await ReadAllAsync(downloader, resource));
    }

    [Fact]
    public async Task Large_Object_Is_A_Parallel_Multipart_Upload_And_Is_Read_Back_In_Ranges()
    {
        var faults = new FaultInjector();
        using var store = new S3BlobStore(s3.Options(partSize: 5 * MiB, parallelism: 3), faults.Wrap, onRetry: null);
        var content = RandomBytes(40 * MiB, 2);

        // Written in odd-sized pieces, so parts are cut across writes.
        var resource = await store.WriteAsync(async (s, c) =>
        {
            for (var offset = 0; offset < content.Length; offset += 999_999)
                await s.WriteAsync(content.AsMemory(offset, Math.Min(999_999, content.Length - offset)), c);
        }, default);

        Assert.Equal(8, faults.PartUploads().Count());
        Assert.InRange(faults.MaxConcurrentPartUploads, 2, 3);
        Assert.Single(faults.Requests, r => r.Method == "POST" && r.Query.StartsWith("uploads", StringComparison.Ordinal));
        Assert.Single(faults.Requests, r => r.Method == "POST" && r.Query.StartsWith("uploadId=", StringComparison.Ordinal));

        var before = faults.Requests.Count;
        var read = await ReadAllAsync(store, resource);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(read));
        var gets = faults.Requests.Skip(before).Where(r => r.Method == "GET").ToList();
        Assert.Equal(8, gets.Count);
        Assert.Contains(gets, g => g.Range == $"bytes={35 * MiB}-{40 * MiB - 1}");
    }

    [Fact]
    public async Task Named_objects_are_written_whole_with_their_headers_and_read_back_by_name()
    {
        using var store = new S3BlobStore(s3.Options(prefix: $"named-{Guid.NewGuid():N}/"));
        Assert.Null(await store.ReadNamedAsync("checkpoint", default));
        byte[] note = "origin\n5\nroot=\n"u8.ToArray();
        await store.PutNamedAsync("checkpoint", note, "text/plain; charset=utf-8", "no-cache", default);
        Assert.Equal(note, await store.ReadNamedAsync("checkpoint", default));
        var tile = RandomNumberGenerator.GetBytes(8192);
        await store.PutNamedAsync("tile/0/000", tile, "application/octet-stream", "public, max-age=31536000, immutable", default);
        byte[] second = "origin\n6\nroot=\n"u8.ToArray();
        await store.PutNamedAsync("checkpoint", second, "text/plain; charset=utf-8", "no-cache", default); // replaced whole

        // A web reader of the bucket gets the bytes (not an aws-chunked body) and the headers they were written with.
        using var http = new HttpClient();
        var got = await http.GetAsync($"{s3.Endpoint}/{S3rverFixture.Bucket}/{store.Options.Prefix}tile/0/000");
        Assert.Equal(tile, await got.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", got.Content.Headers.ContentType!.MediaType);
        Assert.Contains("immutable", got.Headers.CacheControl!.ToString());
        var checkpoint = await http.GetAsync($"{s3.Endpoint}/{S3rverFixture.Bucket}/{store.Options.Prefix}checkpoint");
        Assert.Equal(second, await checkpoint.Content.ReadAsByteArrayAsync());
        Assert.Equal("no-cache", checkpoint.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task Empty_Object_Round_Trip()
    {
        using var store = new S3BlobStore(s3.Options());
        var resource = await store.WriteAsync((_, _) => Task.CompletedTask, default);
        Assert.Empty(await ReadAllAsync(store, resource));
    }

    [Fact]
    public async Task Transient_Errors_Are_Retried_With_Back_Off()
    {
        var faults = new FaultInjector();
        var retries = new ConcurrentQueue<string>();
        using var store = new S3BlobStore(s3.Options(partSize: 5 * MiB), faults.Wrap, (op, attempt, e) => retries.Enqueue($"{op}#{attempt}"));
        var content = RandomBytes(12 * MiB, 3);
        var part2Failures = 0;
        var getFailures = 0;
        faults.Fault = r =>
        {
            if (r.Method == "PUT" && r.Query.Contains("partNumber=2", StringComparison.Ordinal) && Interlocked.Increment(ref part2Failures) <= 2)
                return HttpStatusCode.ServiceUnavailable;
            if (r.Method == "GET" && r.Range is not null && Interlocked.Increment(ref getFailures) == 1)
                return new HttpRequestException("connection reset by peer", new IOException("Connection reset by peer"));
            return null;
        };

        var resource = await WriteAsync(store, content);
        Assert.Equal(content, await ReadAllAsync(store, resource));

        Assert.Equal(3, faults.PartUploads(2).Count());
        Assert.Contains("UploadPart 2#1", retries);
        Assert.Contains("UploadPart 2#2", retries);
        Assert.Single(retries, r => r.StartsWith("GetObject bytes ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Persistent_Part_Failure_Fails_The_Upload_And_Aborts_It()
    {
        var faults = new FaultInjector { Fault = r => r.Method == "PUT" && r.Query.Contains("partNumber=2", StringComparison.Ordinal) ? HttpStatusCode.InternalServerError : null };
        var options = s3.Options(partSize: 5 * MiB);
        using var store = new S3BlobStore(options, faults.Wrap, onRetry: null);

        var e = await Assert.ThrowsAsync<IOException>(() => WriteAsync(store, RandomBytes(16 * MiB, 4)));

        Assert.Contains($"s3://{S3rverFixture.Bucket}/{options.Prefix}", e.Message);
        Assert.Equal(options.MaxAttempts, faults.PartUploads(2).Count());
        Assert.Single(faults.Requests, r => r.Method == "DELETE" && r.Query.StartsWith("uploadId=", StringComparison.Ordinal));
        Assert.Empty(await ListAsync(options.Prefix));
    }

    [Fact]
    public async Task Failing_Writer_Aborts_And_Leaves_No_Object()
    {
        var faults = new FaultInjector();
        var options = s3.Options(partSize: 5 * MiB);
        using var store = new S3BlobStore(options, faults.Wrap, onRetry: null);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(async (s, c) =>
        {
            await s.WriteAsync(RandomBytes(11 * MiB, 5), c);
            throw new InvalidOperationException("producer failed");
        }, default));

        Assert.Equal("producer failed", e.Message);
        Assert.Single(faults.Requests, r => r.Method == "DELETE" && r.Query.StartsWith("uploadId=", StringComparison.Ordinal));
        Assert.DoesNotContain(faults.Requests, r => r.Method == "POST" && r.Query.StartsWith("uploadId=", StringComparison.Ordinal));
        Assert.Empty(await ListAsync(options.Prefix));
    }

    [Fact]
    public async Task Missing_Object_Is_A_Clear_FileNotFound()
    {
        using var store = new S3BlobStore(s3.Options());
        var resource = new StorageResource { StorageType = "S3", Filepath = "nope/0123456789abcdef" };

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync(resource, default));

        Assert.Contains("'nope/0123456789abcdef'", e.Message);
        Assert.Contains($"bucket '{S3rverFixture.Bucket}'", e.Message);
        Assert.Contains(s3.Endpoint, e.Message);
    }

    [Fact]
    public async Task Missing_Bucket_Is_An_IOException_Naming_It()
    {
        using var store = new S3BlobStore(s3.Options() with { Bucket = "no-such-bucket" });
        var e = await Assert.ThrowsAsync<IOException>(() => WriteAsync(store, [1, 2, 3]));
        Assert.Contains("no-such-bucket", e.Message);
        Assert.Contains("NoSuchBucket", e.Message);
    }

    [Fact]
    public async Task Resource_Of_Another_Bucket_Or_Endpoint_Is_Refused()
    {
        using var store = new S3BlobStore(s3.Options());
        var other = new StorageResource { StorageType = "S3", Filepath = "k", Credentials = new() { ["bucket"] = "other-bucket" } };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(other, default));
        Assert.Contains("other-bucket", e.Message);
        Assert.Contains("ForResource", e.Message);

        var elsewhere = new StorageResource { StorageType = "S3", Filepath = "k", Credentials = new() { ["endpoint"] = "http://10.0.0.1:9000" } };
        Assert.Contains("http://10.0.0.1:9000", (await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(elsewhere, default))).Message);
    }

    [Fact]
    public void ForResource_Names_The_Missing_Credential()
    {
        var resource = new StorageResource { StorageType = "S3", Filepath = "k", Credentials = new() { ["endpoint"] = "http://127.0.0.1:1", ["bucket"] = "abc" } };
        var e = Assert.Throws<ArgumentException>(() => S3BlobStore.ForResource(resource));
        Assert.Contains("credentials.accessKey", e.Message);
        Assert.Contains("LOCAL", Assert.Throws<ArgumentException>(() => S3BlobStore.ForResource(resource with { StorageType = "LOCAL" })).Message);
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey),
            new AmazonS3Config { ServiceURL = s3.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        var listing = await client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = S3rverFixture.Bucket, Prefix = prefix });
        return listing.S3Objects?.Select(o => o.Key).ToList() ?? [];
    }
}

public sealed class S3StorageOptionsTests
{
    private static S3StorageOptions Valid => new() { Endpoint = "http://127.0.0.1:4568", Bucket = "data", AccessKey = "a", SecretKey = "s" };

    [Fact]
    public void Defaults_Are_16_MiB_Parts_And_4_In_Parallel()
    {
        Valid.Validate();
        Assert.Equal(16 * 1024 * 1024, Valid.PartSize);
        Assert.Equal(4, Valid.Parallelism);
        Assert.Equal("", Valid.Prefix);
        Assert.DoesNotContain("SecretKey", Valid.ToString());
    }

    [Theory]
    [InlineData("endpoint", "s3 endpoint 'ftp://x' is not an absolute http(s) URL")]
    [InlineData("bucket", "s3 bucket 'Bad_Bucket' is not a bucket name")]
    [InlineData("partSize", "s3 partSize is 1048576 bytes, expected 5242880 to")]
    [InlineData("parallelism", "s3 parallelism is 0, expected 1 to 64")]
    [InlineData("secretKey", "s3 secretKey is empty")]
    public void Invalid_Options_Name_The_Field(string field, string expected)
    {
        var options = field switch
        {
            "endpoint" => Valid with { Endpoint = "ftp://x" },
            "bucket" => Valid with { Bucket = "Bad_Bucket" },
            "partSize" => Valid with { PartSize = 1024 * 1024 },
            "parallelism" => Valid with { Parallelism = 0 },
            _ => Valid with { SecretKey = "" },
        };
        Assert.StartsWith(expected, Assert.Throws<ArgumentException>(options.Validate).Message);
        Assert.Throws<ArgumentException>(() => new S3BlobStore(options));
    }
}

public sealed class S3RetryTests
{
    [Fact]
    public void Transient_Errors_Are_5xx_429_Timeouts_And_Connection_Failures()
    {
        Assert.True(S3Retry.IsTransient(new AmazonS3Exception("x") { StatusCode = HttpStatusCode.ServiceUnavailable }, default));
        Assert.True(S3Retry.IsTransient(new AmazonS3Exception("x") { StatusCode = HttpStatusCode.TooManyRequests }, default));
        Assert.True(S3Retry.IsTransient(new AmazonS3Exception("x") { StatusCode = HttpStatusCode.BadRequest, ErrorCode = "RequestTimeout" }, default));
        Assert.True(S3Retry.IsTransient(new HttpRequestException("reset", new IOException("Connection reset by peer")), default));
        Assert.True(S3Retry.IsTransient(new TaskCanceledException("timeout", new TimeoutException()), default));
        Assert.True(S3Retry.IsTransient(new AmazonServiceException("wrapped", new System.Net.Sockets.SocketException(104)), default));

        Assert.False(S3Retry.IsTransient(new AmazonS3Exception("x") { StatusCode = HttpStatusCode.NotFound, ErrorCode = "NoSuchKey" }, default));
        Assert.False(S3Retry.IsTransient(new AmazonS3Exception("x") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" }, default));
        Assert.False(S3Retry.IsTransient(new InvalidOperationException("bug"), default));
        Assert.False(S3Retry.IsTransient(new TaskCanceledException(), new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Back_Off_Doubles_With_Jitter_And_Is_Capped()
    {
        var retry = new S3Retry(5, TimeSpan.FromMilliseconds(100), null);
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(retry.DelayBefore(2).TotalMilliseconds, 50, 100);
            Assert.InRange(retry.DelayBefore(3).TotalMilliseconds, 100, 200);
            Assert.InRange(retry.DelayBefore(5).TotalMilliseconds, 400, 800);
            Assert.InRange(retry.DelayBefore(30).TotalMilliseconds, 5_000, 10_000);
        }
    }

    [Fact]
    public async Task Gives_Up_After_Max_Attempts_And_Not_On_Permanent_Errors()
    {
        var retry = new S3Retry(3, TimeSpan.Zero, null);
        var calls = 0;
        await Assert.ThrowsAsync<AmazonS3Exception>(() => retry.RunAsync("op", _ => { calls++; throw new AmazonS3Exception("busy") { StatusCode = HttpStatusCode.ServiceUnavailable }; }, default));
        Assert.Equal(3, calls);

        calls = 0;
        await Assert.ThrowsAsync<AmazonS3Exception>(() => retry.RunAsync("op", _ => { calls++; throw new AmazonS3Exception("denied") { StatusCode = HttpStatusCode.Forbidden }; }, default));
        Assert.Equal(1, calls);
    }
}
