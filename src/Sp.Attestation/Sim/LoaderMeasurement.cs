using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sp.Attestation;

/// <summary>
/// The `sim` provider's measurement: a digest of the loader's own files, so a changed loader file gives a
/// different measurement (docs/formats-sim-evidence.md):
/// <code>
/// entry(name)  = u32be(len(utf8(name))) || utf8(name) || SHA-256(content)
/// measurement  = SHA-256(entry(name_1) || ... || entry(name_k))   names sorted by ordinal UTF-16 order
/// </code>
/// Names are the relative paths with '/' as separator.
/// </summary>
public static class LoaderMeasurement
{
    public const int Size = 32;

    public static byte[] OfFiles(string directory, IEnumerable<string> relativePaths)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(relativePaths);
        var names = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var relative in relativePaths)
        {
            var name = relative.Replace('\\', '/');
            if (name.Length == 0 || Path.IsPathRooted(relative) || name.Split('/').Contains(".."))
                throw new ArgumentException($"loader file '{relative}': expected a path relative to {directory}, without '..'", nameof(relativePaths));
            if (!names.TryAdd(name, Path.Combine(directory, relative)))
                throw new ArgumentException($"loader file '{relative}' is listed twice", nameof(relativePaths));
        }
        if (names.Count == 0) throw new ArgumentException("loader files: expected at least one file", nameof(relativePaths));

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var (name, path) in names)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"loader file '{name}': no such file {path}", path);
            var nameBytes = Encoding.UTF8.GetBytes(name);
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)nameBytes.Length);
            hash.AppendData(length);
            hash.AppendData(nameBytes);
            using var stream = File.OpenRead(path);
            hash.AppendData(SHA256.HashData(stream));
        }
        return hash.GetHashAndReset();
    }
}
