using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Storage.Tests;

/// <summary>Resource locations the storage tests point at servers of their own.</summary>
internal static class TestResources
{
    /// <summary>An S3 object at <paramref name="endpoint"/> (bucket "bucket", dummy credentials).</summary>
    public static StorageResource S3(string endpoint) => new()
    {
        StorageType = S3BlobStore.Type,
        Filepath = "datasets/0123456789abcdef",
        Credentials = new()
        {
            [S3BlobStore.CredentialKeys.Endpoint] = endpoint, [S3BlobStore.CredentialKeys.Bucket] = "bucket",
            [S3BlobStore.CredentialKeys.AccessKey] = "AK", [S3BlobStore.CredentialKeys.SecretKey] = "SK",
        },
    };
}
