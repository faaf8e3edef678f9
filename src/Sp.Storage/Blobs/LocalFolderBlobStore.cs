using System.Security.Cryptography;
using Sp.Core.Model;

namespace Sp.Storage.Blobs;

/// <summary>
/// Objects as files directly in one folder. Names are 32 random hex digits; an object is written to a hidden
/// temporary file, flushed to disk, and renamed into place, so a reader never sees a partial object.
/// <see cref="StorageResource.Filepath"/> is the bare object name and is never resolved outside the root.
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
        if (!File.Exists(path)) throw new FileNotFoundException($"object '{resource.Filepath}' not found in {_root}", path);
        Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Task.FromResult(stream);
    }

    public Task DeleteAsync(StorageResource resource, CancellationToken ct)
    {
        File.Delete(PathOf(resource));
        return Task.CompletedTask;
    }

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
