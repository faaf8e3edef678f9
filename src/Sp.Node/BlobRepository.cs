using System.Security.Cryptography;
using System.Text;
using Sp.Crypto.Accounts;

namespace Sp.Node;

/// <summary>
/// Embedded blob storage for a one-machine network. Objects are write-once; each has its own bearer token
/// (only its SHA-256 is stored) and an owner, the account that signed its creation, whose quota it counts
/// against (<see cref="StorageQuota"/>). Writes go to a temporary file, are flushed to disk, then renamed, so a
/// crash never leaves a half object under its name.
/// </summary>
public sealed class BlobRepository
{
    private readonly string _root;

    public BlobRepository(string root, StorageQuota quota)
    {
        _root = root;
        Quota = quota;
        Directory.CreateDirectory(root);
        // What every account holds, from the folder: objects created before owners were recorded count for nobody.
        foreach (var ownerFile in Directory.EnumerateFiles(root, "*.owner"))
        {
            var id = Path.GetFileNameWithoutExtension(ownerFile);
            if (!IsValidId(id) || !Address.TryParse(File.ReadAllText(ownerFile).Trim(), out var owner)) continue;
            var data = new FileInfo(DataPath(id));
            quota.Count(owner, data.Exists ? data.Length : 0);
        }
    }

    public StorageQuota Quota { get; }

    /// <summary>A new object owned by <paramref name="owner"/>, or null (and why) when the account's object quota is used up.</summary>
    public (string Id, string Token)? Create(Address owner, out string? refusal)
    {
        if (!Quota.TryAddObject(owner, out refusal)) return null;
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        File.WriteAllText(OwnerPath(id), owner.Lower);
        File.WriteAllText(TokenPath(id), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))));
        return (id, token);
    }

    public enum Access { Ok, NotFound, Forbidden }

    public Access Check(string id, string? token)
    {
        if (!IsValidId(id) || !File.Exists(TokenPath(id))) return Access.NotFound;
        if (token is null) return Access.Forbidden;
        var expected = Convert.FromHexString(File.ReadAllText(TokenPath(id)).Trim());
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? Access.Ok : Access.Forbidden;
    }

    public bool Exists(string id) => File.Exists(DataPath(id));

    /// <summary>The account whose quota the object counts against; null for objects from before owners were recorded.</summary>
    public Address? OwnerOf(string id) =>
        File.Exists(OwnerPath(id)) && Address.TryParse(File.ReadAllText(OwnerPath(id)).Trim(), out var a) ? a : null;

    /// <summary>
    /// Writes the request body as the object, straight from the request's pipe into 1 MiB blocks written around the
    /// page cache where the file system allows it (<see cref="Sp.Storage.Transfer.DirectFileWriter"/>), fsync,
    /// rename. Kestrel hands the body over in small segments; gathering them into large writes keeps ingest near the
    /// disk's speed. Every segment is charged to the owner's byte quota as it arrives (so concurrent uploads of one
    /// account share it); past the quota the write stops with <see cref="StorageQuotaException"/> and what it had
    /// charged is given back.
    /// </summary>
    public async Task WriteAsync(string id, System.IO.Pipelines.PipeReader body, CancellationToken ct)
    {
        if (Exists(id)) throw new IOException($"object {id} is already written (objects are write-once)");
        var owner = OwnerOf(id);
        var tmp = DataPath(id) + ".tmp-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        long charged = 0;
        var stored = false;
        try
        {
            using (var file = Sp.Storage.Transfer.DirectFileWriter.Create(tmp))
            {
                while (true)
                {
                    var read = await body.ReadAsync(ct);
                    if (owner is { } o)
                    {
                        if (!Quota.TryAddBytes(o, read.Buffer.Length, out var refusal))
                        {
                            body.AdvanceTo(read.Buffer.End); // consumed: the caller may go on reading (and dropping) the rest
                            throw new StorageQuotaException(refusal!);
                        }
                        charged += read.Buffer.Length;
                    }
                    foreach (var segment in read.Buffer) file.Write(segment.Span);
                    body.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted) break;
                }
                file.Complete();
            }
            File.Move(tmp, DataPath(id));
            stored = true;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            if (!stored && owner is { } o) Quota.ReleaseBytes(o, charged);
        }
    }

    public Stream OpenRead(string id) =>
        new FileStream(DataPath(id), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Deletes the object and gives its object and bytes back to its owner's quota.</summary>
    public void Delete(string id)
    {
        var owner = OwnerOf(id);
        var data = new FileInfo(DataPath(id));
        var bytes = data.Exists ? data.Length : 0;
        File.Delete(DataPath(id));
        File.Delete(TokenPath(id));
        File.Delete(OwnerPath(id));
        if (owner is { } o) Quota.RemoveObject(o, bytes);
    }

    private static bool IsValidId(string id) => id.Length == 32 && id.All(Uri.IsHexDigit);
    private string DataPath(string id) => Path.Combine(_root, id + ".bin");
    private string TokenPath(string id) => Path.Combine(_root, id + ".token");
    private string OwnerPath(string id) => Path.Combine(_root, id + ".owner");
}

/// <summary>An upload would take its owner past the byte quota.</summary>
public sealed class StorageQuotaException(string message) : Exception(message);

/// <summary>
/// Objects and bytes each account holds in the node's storage, against node.json's
/// <c>limits.storageObjectsPerAccount</c> and <c>limits.storageBytesPerAccount</c>.
/// </summary>
public sealed class StorageQuota(long objectsPerAccount, long bytesPerAccount)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Address, (long Objects, long Bytes)> _usage = new();

    public long ObjectsPerAccount => objectsPerAccount;
    public long BytesPerAccount => bytesPerAccount;

    public (long Objects, long Bytes) UsageOf(Address account)
    {
        lock (_lock) return _usage.GetValueOrDefault(account);
    }

    /// <summary>Bytes <paramref name="account"/> may still store.</summary>
    public long RemainingBytes(Address account) => Math.Max(0, bytesPerAccount - UsageOf(account).Bytes);

    /// <summary>Counts an object found at start-up (no limit applies: it is already there).</summary>
    internal void Count(Address account, long bytes)
    {
        lock (_lock)
        {
            var u = _usage.GetValueOrDefault(account);
            _usage[account] = (u.Objects + 1, u.Bytes + bytes);
        }
    }

    public bool TryAddObject(Address account, out string? refusal)
    {
        lock (_lock)
        {
            var u = _usage.GetValueOrDefault(account);
            if (u.Objects >= objectsPerAccount)
            {
                refusal = $"storage quota: account {account.Lower} holds {u.Objects} objects, the most it may hold (node.json limits.storageObjectsPerAccount = {objectsPerAccount}); delete some first";
                return false;
            }
            _usage[account] = (u.Objects + 1, u.Bytes);
            refusal = null;
            return true;
        }
    }

    public bool TryAddBytes(Address account, long bytes, out string? refusal)
    {
        lock (_lock)
        {
            var u = _usage.GetValueOrDefault(account);
            if (u.Bytes + bytes > bytesPerAccount)
            {
                refusal = $"storage quota: account {account.Lower} holds {u.Bytes} bytes and may hold {bytesPerAccount} (node.json limits.storageBytesPerAccount); the object was not stored";
                return false;
            }
            _usage[account] = (u.Objects, u.Bytes + bytes);
            refusal = null;
            return true;
        }
    }

    public void ReleaseBytes(Address account, long bytes)
    {
        lock (_lock)
        {
            var u = _usage.GetValueOrDefault(account);
            _usage[account] = (u.Objects, Math.Max(0, u.Bytes - bytes));
        }
    }

    public void RemoveObject(Address account, long bytes)
    {
        lock (_lock)
        {
            var u = _usage.GetValueOrDefault(account);
            _usage[account] = (Math.Max(0, u.Objects - 1), Math.Max(0, u.Bytes - bytes));
        }
    }
}
