using System.Security.Cryptography;
using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Storage.Tests;

/// <summary>A LOCAL folder's objects are opened without following symbolic links: nothing outside the folder is read through one.</summary>
public sealed class LocalFolderLinkTests
{
    [Fact]
    public async Task A_LOCAL_object_that_is_a_symbolic_link_to_a_file_outside_the_folder_is_refused_naming_its_path()
    {
        using var dir = new TempDir();
        var secret = dir.Write("outside/secret.txt", "the host's secret");
        var store = new LocalFolderBlobStore(dir.Combine("store"));
        var name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        File.CreateSymbolicLink(dir.Combine("store", name), secret);
        var resource = new StorageResource { StorageType = LocalFolderBlobStore.Type, Filepath = name };

        var e = await Assert.ThrowsAsync<IOException>(() => store.OpenReadAsync(resource, default));
        Assert.Contains($"LOCAL object {dir.Combine("store", name)} is a symbolic link: refused", e.Message);
        Assert.DoesNotContain("secret", e.Message);

        // A link to another object of the same folder is refused too: links are never followed.
        var inside = await store.WriteAsync((s, ct) => s.WriteAsync("object"u8.ToArray(), ct).AsTask(), default);
        var alias = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        File.CreateSymbolicLink(dir.Combine("store", alias), dir.Combine("store", inside.Filepath));
        await Assert.ThrowsAsync<IOException>(() => store.OpenReadAsync(inside with { Filepath = alias }, default));
        await using (var real = await store.OpenReadAsync(inside, default))
            Assert.Equal("object", await new StreamReader(real).ReadToEndAsync());

        // A dangling link is no way around it either, and a FIFO reads as empty instead of blocking the reader.
        var dangling = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        File.CreateSymbolicLink(dir.Combine("store", dangling), dir.Combine("outside", "not-yet"));
        await Assert.ThrowsAsync<IOException>(() => store.OpenReadAsync(resource with { Filepath = dangling }, default));
        var fifo = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Assert.Equal(0, mkfifo(dir.Combine("store", fifo), 0x1A4));
        await using var pipe = await store.OpenReadAsync(resource with { Filepath = fifo }, default);
        Assert.Equal(0, await pipe.ReadAsync(new byte[16]));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int mode);
}
