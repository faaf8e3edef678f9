using Sp.Client.Config;
using Sp.Core.Model;
using Sp.Storage.Blobs;

namespace Sp.Client.Storage;

/// <summary>Which store opens a resource: the resource file names its storage type and, for S3, its credentials.</summary>
public static class BlobStores
{
    public static IBlobStore ForResource(StorageResource resource, NodeClient node, IBlobStore? local = null) => resource.StorageType switch
    {
        NodeBlobStore.Type => new NodeBlobStore(node),
        S3BlobStore.Type => S3BlobStore.ForResource(resource),
        LocalFolderBlobStore.Type => local ?? throw new UserError("the resource lives in a LOCAL storage folder, which this configuration has none of"),
        var t => throw new UserError($"resource storage type '{t}' is not supported (expected {NodeBlobStore.Type}, {S3BlobStore.Type} or {LocalFolderBlobStore.Type})"),
    };
}
