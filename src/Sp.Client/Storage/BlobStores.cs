using Sp.Client.Config;
using Sp.Core.Model;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Storage.Blobs;

namespace Sp.Client.Storage;

/// <summary>
/// Which store a party writes to (its configuration's <c>storage</c> section) and which store opens a resource
/// (the resource file names its storage type and, for S3, its credentials). Shared by spctl, provider-tools and
/// sp-tee, so that the loader reads inputs and writes results through the same backends as the parties.
/// </summary>
public static class BlobStores
{
    /// <summary>
    /// The store a <c>storage</c> section names: SP_NODE (the node's embedded storage, objects created by requests
    /// that <paramref name="account"/> signs for <paramref name="network"/>), S3 (with <c>s3</c>) or LOCAL (the
    /// folder <c>path</c>, relative to <paramref name="baseDir"/>). <paramref name="where"/> names the file in errors.
    /// </summary>
    public static IBlobStore FromConfig(StorageSection storage, string baseDir, NodeClient node, AccountKey account, string network, string where)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.Type switch
        {
            NodeBlobStore.Type => new NodeBlobStore(node, account, network),
            S3BlobStore.Type => new S3BlobStore(storage.S3 ?? throw new UserError($"{where}: storage.s3 is required for S3 storage", "see docs/storage.md")),
            LocalFolderBlobStore.Type => LocalFolder(storage, baseDir) ?? throw new UserError($"{where}: storage.path is required for LOCAL storage"),
            var t => throw new UserError($"{where}: storage.type '{t}' is not supported (expected SP_NODE, S3 or LOCAL)"),
        };
    }

    /// <summary>The LOCAL folder of a storage section (what opens LOCAL resources), or null when it names none.</summary>
    public static LocalFolderBlobStore? LocalFolder(StorageSection storage, string baseDir) =>
        storage.Path is { } p ? new LocalFolderBlobStore(Path.Combine(baseDir, p)) : null;

    /// <summary>
    /// A store that opens <paramref name="resource"/>: the node's storage (always <paramref name="node"/>, whatever
    /// URL the resource names), S3 with the resource's credentials, or the <paramref name="local"/> folder. With
    /// <paramref name="endpoints"/> an S3 endpoint it does not allow is refused here, before any connection, and
    /// every connection goes through it (sp-tee: tee.json <c>allowedStorageHosts</c>).
    /// </summary>
    public static IBlobStore ForResource(StorageResource resource, NodeClient node, IBlobStore? local = null, StorageEndpointPolicy? endpoints = null) => resource.StorageType switch
    {
        NodeBlobStore.Type => new NodeBlobStore(node),
        S3BlobStore.Type => S3BlobStore.ForResource(resource, endpoints: endpoints),
        LocalFolderBlobStore.Type => local ?? throw new UserError("the resource lives in a LOCAL storage folder, which this configuration has none of"),
        var t => throw new UserError($"resource storage type '{t}' is not supported (expected {NodeBlobStore.Type}, {S3BlobStore.Type} or {LocalFolderBlobStore.Type})"),
    };
}
