using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Storage.Tests;

/// <summary>
/// One suite, every <see cref="IBlobStore"/>: each test is a theory over <see cref="Registry.Stores"/> (in the
/// style of NSec's algorithm registry), so a new backend is covered by adding one line there.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class BlobStoreContractTests(S3rverFixture s3)
{
    private const int MiB = 1024 * 1024;

    public static class Registry
    {
        public const string Local = "LOCAL";
        public const string S3 = "S3";
        public static TheoryData<string> Stores => [Local, S3];
        public static TheoryData<string, int> StoresAndSizes
        {
            get
            {
                var data = new TheoryData<string, int>();
                foreach (var store in new[] { Local, S3 })
                    foreach (var size in new[] { 0, 1, 65_552, 5 * MiB + 3 })
                        data.Add(store, size);
                return data;
            }
        }
    }

    /// <summary>A store under test and a way to count the objects it holds.</summary>
    private sealed class Harness(IBlobStore store, Func<Task<int>> countObjects, IDisposable? cleanup) : IDisposable
    {
        public IBlobStore Store => store;
        public Task<int> CountObjectsAsync() => countObjects();
        public void Dispose() { (store as IDisposable)?.Dispose(); cleanup?.Dispose(); }
    }

    private Harness Create(string type)
    {
        switch (type)
        {
            case Registry.Local:
            {
                var dir = new TempDir();
                var store = new LocalFolderBlobStore(dir.Combine("store"));
                return new Harness(store, () => Task.FromResult(Directory.GetFileSystemEntries(store.Root).Length), dir);
            }
            case Registry.S3:
            {
                var options = s3.Options(partSize: 5 * MiB);
                return new Harness(new S3BlobStore(options), () => CountS3Async(options.Prefix), null);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not in the registry");
        }
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    [Theory]
    [MemberData(nameof(Registry.StoresAndSizes), MemberType = typeof(Registry))]
    public async Task Round_Trip(string type, int size)
    {
        using var h = Create(type);
        var content = RandomBytes(size);
        var resource = await h.Store.WriteAsync((s, c) => s.WriteAsync(content, c).AsTask(), default);
        Assert.Equal(h.Store.StorageType, resource.StorageType);

        var read = await h.Store.OpenReadAsync(resource, default);
        await using (read)
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(copy.ToArray()));
        }
    }

    [Theory]
    [MemberData(nameof(Registry.Stores), MemberType = typeof(Registry))]
    public async Task Synchronous_Writes_And_Small_Reads_Work(string type)
    {
        using var h = Create(type);
        var content = RandomBytes(6 * MiB + 17);
        var resource = await h.Store.WriteAsync((s, _) =>
        {
            for (var i = 0; i < content.Length; i += 100_000) s.Write(content, i, Math.Min(100_000, content.Length - i));
            return Task.CompletedTask;
        }, default);

        using var read = await h.Store.OpenReadAsync(resource, default);
        var result = new byte[content.Length];
        var buffer = new byte[4093];
        int n, at = 0;
        while ((n = read.Read(buffer, 0, buffer.Length)) > 0)
        {
            buffer.AsSpan(0, n).CopyTo(result.AsSpan(at));
            at += n;
        }
        Assert.Equal(content.Length, at);
        Assert.Equal(content, result);
    }

    [Theory]
    [MemberData(nameof(Registry.Stores), MemberType = typeof(Registry))]
    public async Task Each_Write_Is_A_New_Object(string type)
    {
        using var h = Create(type);
        var a = await h.Store.WriteAsync((s, c) => s.WriteAsync(new byte[] { 1 }, c).AsTask(), default);
        var b = await h.Store.WriteAsync((s, c) => s.WriteAsync(new byte[] { 1 }, c).AsTask(), default);
        Assert.NotEqual(a.Filepath, b.Filepath);
        Assert.Equal(2, await h.CountObjectsAsync());
    }

    [Theory]
    [MemberData(nameof(Registry.Stores), MemberType = typeof(Registry))]
    public async Task A_Failed_Write_Leaves_No_Object(string type)
    {
        using var h = Create(type);
        await Assert.ThrowsAsync<InvalidDataException>(() => h.Store.WriteAsync(async (s, c) =>
        {
            await s.WriteAsync(RandomBytes(6 * MiB), c);
            throw new InvalidDataException("producer failed");
        }, default));
        Assert.Equal(0, await h.CountObjectsAsync());
    }

    [Theory]
    [MemberData(nameof(Registry.Stores), MemberType = typeof(Registry))]
    public async Task Deleted_Object_Is_Not_Found_And_Deleting_Twice_Is_Fine(string type)
    {
        using var h = Create(type);
        var resource = await h.Store.WriteAsync((s, c) => s.WriteAsync(new byte[] { 1, 2 }, c).AsTask(), default);
        await h.Store.DeleteAsync(resource, default);
        await h.Store.DeleteAsync(resource, default);
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => h.Store.OpenReadAsync(resource, default));
        Assert.Contains(resource.Filepath, e.Message);
        Assert.Equal(0, await h.CountObjectsAsync());
    }

    [Theory]
    [MemberData(nameof(Registry.Stores), MemberType = typeof(Registry))]
    public async Task Another_Storage_Type_Is_Refused(string type)
    {
        using var h = Create(type);
        var foreign = new StorageResource { StorageType = "SP_NODE", Filepath = "0123456789abcdef0123456789abcdef" };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => h.Store.OpenReadAsync(foreign, default));
        Assert.Contains("'SP_NODE'", e.Message);
        Assert.Contains($"'{h.Store.StorageType}'", e.Message);
    }

    private async Task<int> CountS3Async(string prefix)
    {
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey),
            new AmazonS3Config { ServiceURL = s3.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        var listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.Bucket, Prefix = prefix });
        return listing.S3Objects?.Count ?? 0;
    }
}
