using System.Security.Cryptography;
using Sp.Core.Model;

namespace Sp.Storage.Blobs;

/// <summary>
/// Objects as files directly in one folder. Names are 32 random hex digits; an object is written to a hidden
/// temporary file, flushed to disk, and renamed into place, so a reader never sees a partial object.
/// <see cref="StorageResource.Filepath"/> is the bare object name and is never resolved outside the root, and an
/// object is opened without following a symbolic link (<c>O_NOFOLLOW</c>): a link placed in the folder cannot make
/// a reader (spctl, the TEE loader) read a file outside it.
/// </summary>
public sealed class LocalFolderBlobStore : IBlobStore
{
    public const string Type = "LOCAL";
    private const int ObjectNameBytes = 16;
    private const string TempPrefix = ".tmp-";

    private readonly string _root;

    public LocalFolderBlobStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;
    public string StorageType => Type;

    public async Task<StorageResource> WriteAsync(Func<Stream, CancellationToken, Task> writeContent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        var name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(ObjectNameBytes));
        var temp = Path.Combine(_root, TempPrefix + name);
        var final = Path.Combine(_root, name);
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await writeContent(new Transfer.EarlyWritebackStream(stream), ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, final, overwrite: false);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return new StorageResource { StorageType = Type, Filepath = name };
    }

    public Task<Stream> OpenReadAsync(StorageResource resource, CancellationToken ct)
    {
        var path = PathOf(resource);
        if (!File.Exists(path) && !IsLink(path)) throw new FileNotFoundException($"object '{resource.Filepath}' not found in {_root}", path);
        Stream stream = new FileStream(OpenNoFollow(path), FileAccess.Read, 1, isAsync: false);
        return Task.FromResult(stream);
    }

    public Task DeleteAsync(StorageResource resource, CancellationToken ct)
    {
        File.Delete(PathOf(resource));
        return Task.CompletedTask;
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>
    /// Opens the object for reading with <c>O_NOFOLLOW</c> (a symbolic link is refused by the kernel, so nothing can
    /// swap one in between a check and the open) and <c>O_NONBLOCK</c> (a FIFO put in the folder cannot block the
    /// reader: it reads as empty, which no stream format accepts).
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenNoFollow(string path)
    {
        var fd = open(path, ORdonly | ONonblock | OCloexec | NoFollowFlag(), 0);
        if (fd >= 0) return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        throw errno switch
        {
            ELoop => new IOException($"LOCAL object {path} is a symbolic link: refused (objects are never followed out of their folder)"),
            ENoent => new FileNotFoundException($"object '{Path.GetFileName(path)}' not found in {Path.GetDirectoryName(path)}", path),
            _ => new IOException($"cannot open LOCAL object {path} (errno {errno})"),
        };
    }

    private const int ORdonly = 0, ONonblock = 0x800, OCloexec = 0x80000, ELoop = 40, ENoent = 2;

    /// <summary>O_NOFOLLOW's value on this architecture (Linux).</summary>
    private static int NoFollowFlag() => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 or System.Runtime.InteropServices.Architecture.Arm => 0x8000,
        _ => 0x20000,
    };

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    /// <summary>The object's path, after checking the resource is ours and names a plain file in the root.</summary>
    private string PathOf(StorageResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.StorageType != Type)
            throw new ArgumentException($"storage type '{resource.StorageType}' is not handled by the local folder store (expected '{Type}')", nameof(resource));
        var name = resource.Filepath;
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.StartsWith(TempPrefix, StringComparison.Ordinal)
            || name.IndexOfAny(['/', '\\', '\0', ':']) >= 0)
            throw new ArgumentException($"filepath '{name}' is not an object name of the local folder store", nameof(resource));
        var path = Path.GetFullPath(Path.Combine(_root, name));
        if (Path.GetDirectoryName(path) != _root.TrimEnd(Path.DirectorySeparatorChar))
            throw new ArgumentException($"filepath '{name}' resolves outside {_root}", nameof(resource));
        return path;
    }
}
