using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Streaming;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Sp.Storage.Tests;

/// <summary>Uploads and downloads through a real s3rver, and what a changed object does to a download.</summary>
[Collection(S3Collection.Name)]
public sealed class FileTransferS3Tests(S3rverFixture s3)
{
    private const int MiB = 1024 * 1024;
    private const int HeaderSize = 24;
    private const int SealedChunk = 65_536 + 16;

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private async Task<(TempDir Dir, ResourceFile Resource, byte[] Content)> UploadAsync(int size, int seed)
    {
        var dir = new TempDir();
        var content = RandomBytes(size, seed);
        var source = dir.Combine("data.bin");
        await File.WriteAllBytesAsync(source, content);
        using var store = new S3BlobStore(s3.Options(partSize: 5 * MiB));
        var resource = await new FileTransfer(store).UploadAsync(source, filename: null);
        // As `spctl files upload` hands it over: JSON.
        return (dir, SpJson.Deserialize<ResourceFile>(SpJson.Serialize(resource)), content);
    }

    [Fact]
    public async Task File_Round_Trip_Through_S3_With_Multipart()
    {
        var (dir, resource, content) = await UploadAsync(12 * MiB + 12345, 10);
        using var _ = dir;
        Assert.Equal("S3", resource.Resource.StorageType);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), resource.Hash.Value);
        Assert.Equal(content.Length, resource.Size);

        // The object is ciphertext of the expected size: header + one sealed chunk per 64 KiB.
        var stored = await GetObjectAsync(resource.Resource.Filepath);
        var chunks = (content.Length + 65_535) / 65_536;
        Assert.Equal(HeaderSize + content.Length + 16L * chunks, stored.Length);
        Assert.True(stored.AsSpan().IndexOf(content.AsSpan(1000, 64)) < 0);

        using var downloader = S3BlobStore.ForResource(resource.Resource, s3.Options(partSize: 5 * MiB));
        var path = await new FileTransfer(downloader).DownloadAsync(resource, dir.Combine("out"));
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Directory_Round_Trip_Through_S3()
    {
        using var dir = new TempDir();
        dir.Write("tree/a.txt", "alpha");
        dir.Write("tree/sub/b.txt", "beta");
        using var store = new S3BlobStore(s3.Options());
        var transfer = new FileTransfer(store);

        var resource = await transfer.UploadAsync(dir.Combine("tree"), filename: null);
        Assert.Equal(ResourceKinds.Directory, resource.Kind);
        Assert.Equal((await FileTransfer.CalculateHashAsync(dir.Combine("tree"))).Sha256Hex, resource.Hash.Value);

        var path = await transfer.DownloadAsync(resource, dir.Combine("out"));
        Assert.Equal(TempDir.Snapshot(dir.Combine("tree")), TempDir.Snapshot(path));
    }

    public static TheoryData<string> Tamperings => ["flip a byte", "drop the last chunk", "swap two chunks", "append bytes", "cut mid-chunk"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Tampered_Object_Is_Detected_And_Leaves_No_Plaintext(string tampering)
    {
        var (dir, resource, _) = await UploadAsync(300_000, 11);
        using var _ = dir;
        var key = resource.Resource.Filepath;
        var bytes = await GetObjectAsync(key);
        byte[] changed = tampering switch
        {
            "flip a byte" => Flip(bytes, HeaderSize + SealedChunk + 100),
            "drop the last chunk" => bytes[..(HeaderSize + 4 * SealedChunk)],
            "swap two chunks" => Swap(bytes, 1, 2),
            "append bytes" => [.. bytes, 0, 1, 2],
            _ => bytes[..(bytes.Length - 7)],
        };
        await PutObjectAsync(key, changed);

        using var store = S3BlobStore.ForResource(resource.Resource);
        var output = dir.Combine("out");
        var e = await Assert.ThrowsAsync<AeadStreamException>(() => new FileTransfer(store).DownloadAsync(resource, output));

        Assert.Contains("'data.bin'", e.Message);
        Assert.Contains(key, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    [Fact]
    public async Task Missing_Object_Is_A_Clear_Error_And_Leaves_Nothing()
    {
        var (dir, resource, _) = await UploadAsync(1000, 12);
        using var _ = dir;
        using var store = S3BlobStore.ForResource(resource.Resource);
        await store.DeleteAsync(resource.Resource, default);

        var output = dir.Combine("out");
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => new FileTransfer(store).DownloadAsync(resource, output));
        Assert.Contains(resource.Resource.Filepath, e.Message);
        Assert.Contains(S3rverFixture.Bucket, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x01;
        return copy;
    }

    private static byte[] Swap(byte[] bytes, int i, int j)
    {
        var copy = (byte[])bytes.Clone();
        bytes.AsSpan(HeaderSize + i * SealedChunk, SealedChunk).CopyTo(copy.AsSpan(HeaderSize + j * SealedChunk));
        bytes.AsSpan(HeaderSize + j * SealedChunk, SealedChunk).CopyTo(copy.AsSpan(HeaderSize + i * SealedChunk));
        return copy;
    }

    private AmazonS3Client Client() => new(new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey),
        new AmazonS3Config
        {
            ServiceURL = s3.Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    private async Task<byte[]> GetObjectAsync(string key)
    {
        using var client = Client();
        using var response = await client.GetObjectAsync(S3rverFixture.Bucket, key);
        var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private async Task PutObjectAsync(string key, byte[] content)
    {
        using var client = Client();
        await client.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = key, InputStream = new MemoryStream(content), UseChunkEncoding = false });
    }
}
