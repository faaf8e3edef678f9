using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Crypto.Tests.Storage;

public sealed class LocalFolderBlobStoreTests
{
    [Fact]
    public async Task Write_Read_Delete()
    {
        using var dir = new TempDir();
        var store = new LocalFolderBlobStore(dir.Path);
        var resource = await store.WriteAsync((s, ct) => s.WriteAsync("payload"u8.ToArray(), ct).AsTask(), default);
        Assert.Equal("LOCAL", resource.StorageType);
        Assert.Matches("^[0-9a-f]{32}$", resource.Filepath);
        Assert.Equal([resource.Filepath], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));

        await using (var read = await store.OpenReadAsync(resource, default))
        using (var reader = new StreamReader(read))
            Assert.Equal("payload", await reader.ReadToEndAsync());

        await store.DeleteAsync(resource, default);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync(resource, default));
        await store.DeleteAsync(resource, default); // idempotent
    }

    [Fact]
    public async Task Failed_Write_Leaves_Nothing()
    {
        using var dir = new TempDir();
        var store = new LocalFolderBlobStore(dir.Path);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(async (s, ct) =>
        {
            await s.WriteAsync(new byte[100], ct);
            throw new InvalidOperationException("producer failed");
        }, default));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("..")]
    [InlineData("sub/name")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    [InlineData(".tmp-0123")]
    public async Task Refuses_Filepaths_That_Are_Not_Object_Names(string filepath)
    {
        using var dir = new TempDir();
        var store = new LocalFolderBlobStore(dir.Combine("store"));
        dir.Write("outside", "secret");
        var resource = new StorageResource { StorageType = "LOCAL", Filepath = filepath };
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(resource, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync(resource, default));
        Assert.True(File.Exists(dir.Combine("outside")));
    }

    [Fact]
    public async Task Refuses_Another_Storage_Type()
    {
        using var dir = new TempDir();
        var store = new LocalFolderBlobStore(dir.Path);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(new StorageResource { StorageType = "SP_NODE", Filepath = "abc" }, default));
        Assert.Contains("SP_NODE", e.Message);
    }
}
