using Sp.Core.Model;

namespace Sp.Storage.Blobs;

/// <summary>
/// Where ciphertext objects live. Contract tests run the same suite against every implementation.
/// </summary>
public interface IBlobStore
{
    /// <summary>The <see cref="StorageResource.StorageType"/> this store writes and accepts ("LOCAL", "SP_NODE").</summary>
    string StorageType { get; }

    /// <summary>
    /// Stores a new object: the store hands <paramref name="writeContent"/> a writable stream (a file, an HTTP
    /// request body...) and commits the object only if the delegate completes. Returns where it lives.
    /// </summary>
    Task<StorageResource> WriteAsync(Func<Stream, CancellationToken, Task> writeContent, CancellationToken ct);

    /// <summary>Opens a stored object for reading. Throws <see cref="FileNotFoundException"/> if it does not exist.</summary>
    Task<Stream> OpenReadAsync(StorageResource resource, CancellationToken ct);

    /// <summary>Deletes a stored object; deleting one that does not exist is not an error.</summary>
    Task DeleteAsync(StorageResource resource, CancellationToken ct);
}
