using System.Security.Cryptography;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Streaming;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Sp.Crypto.Tests.Storage;

public sealed class FileTransferTests
{
    private static (TempDir Dir, LocalFolderBlobStore Store, FileTransfer Transfer) Setup()
    {
        var dir = new TempDir();
        var store = new LocalFolderBlobStore(dir.Combine("store"));
        return (dir, store, new FileTransfer(store));
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    [Fact]
    public async Task File_Round_Trip()
    {
        var (dir, store, transfer) = Setup();
        using var _ = dir;
        var content = RandomBytes(200_000);
        var source = dir.Combine("input.bin");
        File.WriteAllBytes(source, content);

        var reports = new List<TransferProgress>();
        var resource = await transfer.UploadAsync(source, filename: null, new SyncProgress(reports.Add));
        Assert.Equal("input.bin", resource.Filename);
        Assert.Equal(ResourceKinds.File, resource.Kind);
        Assert.Equal(content.Length, resource.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), resource.Hash.Value);
        Assert.Equal("aes-256-gcm-stream", resource.Encryption.Cipher);
        Assert.Equal(32, Convert.FromBase64String(resource.Encryption.Key).Length);
        Assert.Equal("LOCAL", resource.Resource.StorageType);
        Assert.Equal(new TransferProgress(TransferPhases.Upload, content.Length, content.Length), reports[^1]);

        // The stored object is ciphertext, not the plaintext.
        var stored = File.ReadAllBytes(Path.Combine(store.Root, resource.Resource.Filepath));
        Assert.True(stored.AsSpan().IndexOf(content.AsSpan(0, 64)) < 0);

        // The resource file survives JSON, as `spctl files upload` writes it.
        var reloaded = SpJson.Deserialize<ResourceFile>(SpJson.Serialize(resource));
        var path = await transfer.DownloadAsync(reloaded, dir.Combine("out"));
        Assert.Equal(dir.Combine("out", "input.bin"), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(["input.bin"], Directory.GetFileSystemEntries(dir.Combine("out")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Upload_Uses_The_Given_Filename_And_A_Fresh_Key()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var source = dir.Write("a.txt", "same");
        var first = await transfer.UploadAsync(source, "renamed.txt");
        var second = await transfer.UploadAsync(source, null);
        Assert.Equal("renamed.txt", first.Filename);
        Assert.NotEqual(first.Encryption.Key, second.Encryption.Key);
        Assert.Equal(first.Hash, second.Hash);
    }

    [Fact]
    public async Task Directory_Round_Trip()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        dir.Write("project/readme.md", "# hi");
        dir.Write("project/src/main.py", "print(1)");
        dir.Write("project/.env", "X=1");
        File.WriteAllBytes(dir.Combine("project", "big.bin"), RandomBytes(150_000));
        Directory.CreateDirectory(dir.Combine("project", "empty"));

        var resource = await transfer.UploadAsync(dir.Combine("project"), null);
        Assert.Equal(ResourceKinds.Directory, resource.Kind);
        Assert.Equal("project", resource.Filename);

        var path = await transfer.DownloadAsync(resource, dir.Combine("out"));
        Assert.Equal(dir.Combine("out", "project"), path);
        Assert.Equal(TempDir.Snapshot(dir.Combine("project")), TempDir.Snapshot(path));
        Assert.Equal(["project"], Directory.GetFileSystemEntries(dir.Combine("out")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Directory_Hash_Ignores_Folder_Name_And_Mtimes_And_Matches_CalculateHash()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        foreach (var root in new[] { "first", "second" })
        {
            dir.Write($"{root}/a.txt", "alpha");
            dir.Write($"{root}/nested/b.txt", "beta");
        }
        File.SetLastWriteTimeUtc(dir.Combine("second", "a.txt"), new DateTime(1999, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Directory.SetLastWriteTimeUtc(dir.Combine("second", "nested"), new DateTime(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var first = await transfer.UploadAsync(dir.Combine("first"), null);
        var second = await transfer.UploadAsync(dir.Combine("second"), null);
        Assert.Equal(first.Hash.Value, second.Hash.Value);
        Assert.Equal(first.Size, second.Size);

        var (hash, size) = await FileTransfer.CalculateHashAsync(dir.Combine("second"));
        Assert.Equal(first.Hash.Value, hash);
        Assert.Equal(first.Size, size);

        dir.Write("second/nested/b.txt", "BETA");
        Assert.NotEqual(first.Hash.Value, (await FileTransfer.CalculateHashAsync(dir.Combine("second"))).Sha256Hex);
    }

    [Fact]
    public async Task CalculateHash_Equals_Upload_Hash_For_A_File()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var source = dir.Combine("f.bin");
        File.WriteAllBytes(source, RandomBytes(70_000));
        var resource = await transfer.UploadAsync(source, null);
        var (hash, size) = await FileTransfer.CalculateHashAsync(source);
        Assert.Equal(resource.Hash.Value, hash);
        Assert.Equal(resource.Size, size);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tampered_Ciphertext_Fails_And_Leaves_Nothing(bool directory)
    {
        var (dir, store, transfer) = Setup();
        using var __ = dir;
        string source;
        if (directory)
        {
            dir.Write("d/x.txt", "x");
            File.WriteAllBytes(dir.Combine("d", "y.bin"), RandomBytes(100_000));
            source = dir.Combine("d");
        }
        else
        {
            source = dir.Combine("f.bin");
            File.WriteAllBytes(source, RandomBytes(100_000));
        }
        var resource = await transfer.UploadAsync(source, null);
        var objectPath = Path.Combine(store.Root, resource.Resource.Filepath);
        var bytes = File.ReadAllBytes(objectPath);
        bytes[^100] ^= 0x01; // inside the final chunk: earlier plaintext was already written to the temp file
        File.WriteAllBytes(objectPath, bytes);

        var destination = dir.Combine("out");
        await Assert.ThrowsAsync<AeadStreamException>(() => transfer.DownloadAsync(resource, destination));
        Assert.Empty(Directory.GetFileSystemEntries(destination));
    }

    [Fact]
    public async Task Hash_Mismatch_Names_Both_Hashes_And_Leaves_Nothing()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var resource = await transfer.UploadAsync(dir.Write("f.txt", "content"), null);
        var wrong = resource with { Hash = HashInfo.Sha256(new byte[32]) };
        var destination = dir.Combine("out");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => transfer.DownloadAsync(wrong, destination));
        Assert.Contains(wrong.Hash.Value, e.Message);
        Assert.Contains(resource.Hash.Value, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(destination));

        var wrongSize = resource with { Size = resource.Size + 1 };
        Assert.Contains("size", (await Assert.ThrowsAsync<InvalidDataException>(() => transfer.DownloadAsync(wrongSize, destination))).Message);
        Assert.Empty(Directory.GetFileSystemEntries(destination));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Existing_Target_Is_Never_Overwritten(bool existingIsDirectory)
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var resource = await transfer.UploadAsync(dir.Write("src/report.txt", "new"), null);
        var destination = dir.Combine("out");
        var existing = dir.Combine("out", "report.txt");
        if (existingIsDirectory) Directory.CreateDirectory(existing); else dir.Write("out/report.txt", "old");

        var e = await Assert.ThrowsAsync<IOException>(() => transfer.DownloadAsync(resource, destination));
        Assert.Contains(existing, e.Message);
        if (!existingIsDirectory) Assert.Equal("old", File.ReadAllText(existing));
        Assert.Equal(["report.txt"], Directory.GetFileSystemEntries(destination).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("..")]
    [InlineData("a/b.txt")]
    public async Task Unsafe_Filename_In_Resource_Is_Refused(string filename)
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var resource = await transfer.UploadAsync(dir.Write("f.txt", "x"), null) with { Filename = filename };
        await Assert.ThrowsAsync<InvalidDataException>(() => transfer.DownloadAsync(resource, dir.Combine("out")));
        Assert.False(File.Exists(dir.Combine("escape.txt")));
    }

    [Fact]
    public async Task Wrong_Key_Fails()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var resource = await transfer.UploadAsync(dir.Write("f.txt", "x"), null);
        var wrong = resource with { Encryption = resource.Encryption with { Key = Convert.ToBase64String(AeadStream.NewKey()) } };
        await Assert.ThrowsAsync<AeadStreamException>(() => transfer.DownloadAsync(wrong, dir.Combine("out")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Combine("out")));
    }

    [Fact]
    public async Task DownloadToStream_Returns_Hash_And_Size()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var content = RandomBytes(66_000);
        var source = dir.Combine("f.bin");
        File.WriteAllBytes(source, content);
        var resource = await transfer.UploadAsync(source, null);
        var output = new MemoryStream();
        var (sha256, size) = await transfer.DownloadToStreamAsync(resource, output);
        Assert.Equal(content, output.ToArray());
        Assert.Equal(SHA256.HashData(content), sha256);
        Assert.Equal(content.Length, size);
    }

    [Fact]
    public async Task Upload_Of_Missing_Path_Says_Which()
    {
        var (dir, _, transfer) = Setup();
        using var __ = dir;
        var missing = dir.Combine("nope");
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => transfer.UploadAsync(missing, null));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public async Task Directory_With_Symlink_Is_Refused_And_Stores_Nothing()
    {
        var (dir, store, transfer) = Setup();
        using var __ = dir;
        dir.Write("d/real.txt", "x");
        File.CreateSymbolicLink(dir.Combine("d", "link"), dir.Combine("d", "real.txt"));
        var e = await Assert.ThrowsAsync<IOException>(() => transfer.UploadAsync(dir.Combine("d"), null));
        Assert.Contains(dir.Combine("d", "link"), e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(store.Root));
    }

    private sealed class SyncProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
