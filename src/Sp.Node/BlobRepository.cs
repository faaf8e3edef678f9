using System.Security.Cryptography;
using System.Text;

namespace Sp.Node;

/// <summary>
/// Embedded blob storage for a one-machine network. Objects are write-once; each has its own bearer token
/// (only its SHA-256 is stored). Writes go to a temporary file, are flushed to disk, then renamed, so a crash
/// never leaves a half object under its name.
/// </summary>
public sealed class BlobRepository
{
    private readonly string _root;

    public BlobRepository(string root)
    {
        _root = root;
        Directory.CreateDirectory(root);
    }

    public (string Id, string Token) Create()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
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

    /// <summary>
    /// Writes the request body as the object, straight from the request's pipe into 1 MiB blocks written around the
    /// page cache where the file system allows it (<see cref="Sp.Storage.Transfer.DirectFileWriter"/>), fsync,
    /// rename. Kestrel hands the body over in small segments; gathering them into large writes keeps ingest near the
    /// disk's speed.
    /// </summary>
    public async Task WriteAsync(string id, System.IO.Pipelines.PipeReader body, CancellationToken ct)
    {
        if (Exists(id)) throw new IOException($"object {id} is already written (objects are write-once)");
        var tmp = DataPath(id) + ".tmp-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        try
        {
            using (var file = Sp.Storage.Transfer.DirectFileWriter.Create(tmp))
            {
                while (true)
                {
                    var read = await body.ReadAsync(ct);
                    foreach (var segment in read.Buffer) file.Write(segment.Span);
                    body.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted) break;
                }
                file.Complete();
            }
            File.Move(tmp, DataPath(id));
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public Stream OpenRead(string id) =>
        new FileStream(DataPath(id), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    public void Delete(string id)
    {
        File.Delete(DataPath(id));
        File.Delete(TokenPath(id));
    }

    private static bool IsValidId(string id) => id.Length == 32 && id.All(Uri.IsHexDigit);
    private string DataPath(string id) => Path.Combine(_root, id + ".bin");
    private string TokenPath(string id) => Path.Combine(_root, id + ".token");
}
