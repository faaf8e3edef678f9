using System.Security.Cryptography;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Sp.Storage.Tests;

/// <summary>The fast paths of <see cref="FileTransfer"/> on the local-folder backend, across 1 MiB block boundaries.</summary>
public sealed class FileTransferLocalTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(MiB - 1)]
    [InlineData(MiB)]
    [InlineData(3 * MiB + 12_345)]
    public async Task CalculateHash_Of_A_File_Is_Its_SHA256_And_Size(int size)
    {
        using var dir = new TempDir();
        var content = new byte[size];
        new Random(size).NextBytes(content);
        var path = dir.Combine("f.bin");
        await File.WriteAllBytesAsync(path, content);

        var (hex, length) = await FileTransfer.CalculateHashAsync(path);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hex);
        Assert.Equal(size, length);
    }

    [Fact]
    public async Task Upload_Hash_Equals_CalculateHash_And_Download_Restores_The_Bytes()
    {
        using var dir = new TempDir();
        var content = new byte[5 * MiB + 77];
        new Random(5).NextBytes(content);
        var path = dir.Combine("big.bin");
        await File.WriteAllBytesAsync(path, content);
        var reports = new List<TransferProgress>();
        var transfer = new FileTransfer(new LocalFolderBlobStore(dir.Combine("store")));

        var resource = await transfer.UploadAsync(path, filename: null, new Progress(reports.Add));
        Assert.Equal((await FileTransfer.CalculateHashAsync(path)).Sha256Hex, resource.Hash.Value);
        Assert.Equal(new TransferProgress(TransferPhases.Upload, content.Length, content.Length), reports[^1]);
        Assert.True(reports.Select(r => r.Bytes).SequenceEqual(reports.Select(r => r.Bytes).Order()), "progress never goes back");

        var output = await transfer.DownloadAsync(resource, dir.Combine("out"));
        Assert.Equal(content, await File.ReadAllBytesAsync(output));
        Assert.Equal(["big.bin"], Directory.GetFileSystemEntries(dir.Combine("out")).Select(Path.GetFileName));
    }

    private sealed class Progress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
