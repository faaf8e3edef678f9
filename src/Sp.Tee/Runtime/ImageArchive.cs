using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sp.Tee.Runtime;

/// <summary>What manifest.json of a `docker save` archive says about its single image.</summary>
internal sealed record ImageArchiveManifest(string ImageId, string ConfigPath, IReadOnlyList<string> RepoTags);

/// <summary>
/// Reads the manifest of a `docker save` archive (legacy "&lt;hex&gt;.json" config names or OCI "blobs/sha256/&lt;hex&gt;")
/// and derives the image id as the SHA-256 of the config blob, checking that it matches the blob's name; and
/// streams the archive to the engine without its names (<see cref="WriteUntaggedAsync"/>).
/// </summary>
internal static class ImageArchive
{
    internal const string ManifestEntryName = "manifest.json";
    /// <summary>The legacy name → id map of `docker save`; `docker load` would tag with it.</summary>
    internal const string RepositoriesEntryName = "repositories";
    /// <summary>manifest.json above this is refused (one image's manifest is a few hundred bytes; docker load reads it whole).</summary>
    internal const long MaxManifestBytes = 4L << 20;
    private const string Sha256Prefix = "sha256:";
    private const string OciBlobPrefix = "blobs/sha256/";
    private const string LegacyConfigSuffix = ".json";
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];

    /// <summary>Only entries this small are kept in memory during the single pass (configs are a few KiB).</summary>
    private const long MaxBufferedEntryBytes = 8L << 20;
    private const long MaxBufferedTotalBytes = 64L << 20;

    public static async Task<ImageArchiveManifest> ReadAsync(string archivePath, CancellationToken ct)
    {
        var small = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await ScanAsync(archivePath, name => true, small, ct).ConfigureAwait(false);

        if (!small.TryGetValue(ManifestEntryName, out var manifestBytes))
            throw new InvalidDataException($"image archive '{archivePath}': no {ManifestEntryName} found; expected the output of `docker save`");

        var (configPath, repoTags) = ParseManifest(archivePath, manifestBytes);

        if (!small.TryGetValue(configPath, out var configBytes))
        {
            // The config was not buffered (too large or over budget): read it in a second pass.
            var second = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            await ScanAsync(archivePath, name => name == configPath, second, ct, unbounded: true).ConfigureAwait(false);
            if (!second.TryGetValue(configPath, out configBytes))
                throw new InvalidDataException($"image archive '{archivePath}': image config '{configPath}' named in {ManifestEntryName} is missing");
        }

        var digestHex = Convert.ToHexStringLower(SHA256.HashData(configBytes));
        var expectedHex = DigestHexFromConfigPath(configPath);
        if (expectedHex is not null && expectedHex != digestHex)
            throw new InvalidDataException(
                $"image archive '{archivePath}': config '{configPath}' has SHA-256 {digestHex}, expected {expectedHex} from its name");

        return new ImageArchiveManifest(Sha256Prefix + digestHex, configPath, repoTags);
    }

    internal static (string ConfigPath, IReadOnlyList<string> RepoTags) ParseManifest(string archivePath, byte[] manifestBytes)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(manifestBytes); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName} is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName} must be a JSON array, got {root.ValueKind}");
            var count = root.GetArrayLength();
            if (count == 0)
                throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName} lists no image; exactly one expected");
            if (count > 1)
                throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName} lists {count} images; exactly one expected");

            var entry = root[0];
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("Config", out var config) || config.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(config.GetString()))
                throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName}[0].Config must be a non-empty string");

            var tags = new List<string>();
            if (entry.TryGetProperty("RepoTags", out var repoTags) && repoTags.ValueKind == JsonValueKind.Array)
            {
                foreach (var tag in repoTags.EnumerateArray())
                {
                    if (tag.ValueKind != JsonValueKind.String)
                        throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName}[0].RepoTags must hold strings, got {tag.ValueKind}");
                    tags.Add(tag.GetString()!);
                }
            }
            return (NormalizeEntryName(config.GetString()!), tags);
        }
    }

    /// <summary>
    /// Copies the archive to <paramref name="destination"/> as a plain tar that names no image: manifest.json's
    /// RepoTags emptied and `repositories` left out, everything else byte for byte (the image id and the layers'
    /// digests do not change). `docker load` of it touches none of the host's tags. Streams: nothing but the
    /// manifest is held in memory.
    /// </summary>
    public static async Task WriteUntaggedAsync(string archivePath, Stream destination, CancellationToken ct)
    {
        await using var source = OpenTarStream(archivePath);
        await using var reader = new TarReader(source, leaveOpen: false);
        var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            try
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    var name = NormalizeEntryName(entry.Name);
                    if (name == RepositoriesEntryName) continue;
                    if (name == ManifestEntryName && entry.DataStream is { } data)
                    {
                        if (entry.Length > MaxManifestBytes)
                            throw new ImageRefusedException($"its {ManifestEntryName} is {entry.Length} bytes, more than the {MaxManifestBytes} bytes allowed");
                        var bytes = new byte[entry.Length];
                        await data.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
                        var untagged = new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
                        {
                            DataStream = new MemoryStream(WithoutTags(archivePath, bytes)), Mode = entry.Mode, ModificationTime = entry.ModificationTime,
                        };
                        await writer.WriteEntryAsync(untagged, ct).ConfigureAwait(false);
                        continue;
                    }
                    if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) continue; // defaults for later headers: each copy is complete
                    await writer.WriteEntryAsync(CopyOf(archivePath, entry), ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new InvalidDataException($"image archive '{archivePath}' is not a readable tar (or gzip-compressed tar): {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// A PAX entry with the same name, type, metadata and data as one read from the archive. (The read entry itself
    /// cannot be written: its data is a forward-only view the writer would have to seek back over, and replacing it
    /// on that entry would skip it.)
    /// </summary>
    private static PaxTarEntry CopyOf(string archivePath, TarEntry entry)
    {
        var type = entry.EntryType switch
        {
            TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => TarEntryType.RegularFile,
            TarEntryType.RegularFile or TarEntryType.Directory or TarEntryType.SymbolicLink or TarEntryType.HardLink => entry.EntryType,
            var other => throw new InvalidDataException($"image archive '{archivePath}': entry '{entry.Name}' is of type {other}; a `docker save` archive holds files, directories and links"),
        };
        var copy = entry is PaxTarEntry pax ? new PaxTarEntry(type, entry.Name, pax.ExtendedAttributes) : new PaxTarEntry(type, entry.Name);
        copy.Mode = entry.Mode;
        copy.Uid = entry.Uid;
        copy.Gid = entry.Gid;
        copy.ModificationTime = entry.ModificationTime;
        if (entry is PosixTarEntry posix)
        {
            copy.UserName = posix.UserName;
            copy.GroupName = posix.GroupName;
        }
        if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink) copy.LinkName = entry.LinkName;
        if (entry.DataStream is { } data) copy.DataStream = new KnownLengthStream(data, entry.Length);
        return copy;
    }

    /// <summary>The manifest with every image's RepoTags set to [] (checked as <see cref="ParseManifest"/> does).</summary>
    internal static byte[] WithoutTags(string archivePath, byte[] manifestBytes)
    {
        ParseManifest(archivePath, manifestBytes);
        var manifest = JsonNode.Parse(manifestBytes)!.AsArray();
        foreach (var image in manifest) image!["RepoTags"] = new JsonArray();
        return JsonSerializer.SerializeToUtf8Bytes(manifest);
    }

    /// <summary>"&lt;hex&gt;.json" or "blobs/sha256/&lt;hex&gt;" → hex; null when the name does not carry a digest.</summary>
    internal static string? DigestHexFromConfigPath(string configPath)
    {
        string candidate;
        if (configPath.StartsWith(OciBlobPrefix, StringComparison.Ordinal))
            candidate = configPath[OciBlobPrefix.Length..];
        else if (configPath.EndsWith(LegacyConfigSuffix, StringComparison.Ordinal) && !configPath.Contains('/'))
            candidate = configPath[..^LegacyConfigSuffix.Length];
        else
            return null;
        return candidate.Length == SHA256.HashSizeInBytes * 2 && candidate.All(char.IsAsciiHexDigitLower) ? candidate : null;
    }

    internal static string NormalizeEntryName(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        return name;
    }

    /// <summary>Opens the archive, transparently decompressing gzip (detected by its magic bytes).</summary>
    internal static Stream OpenTarStream(string archivePath)
    {
        var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
        try
        {
            Span<byte> magic = stackalloc byte[GzipMagic.Length];
            var read = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            if (read == GzipMagic.Length && magic.SequenceEqual(GzipMagic))
                return new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static async Task ScanAsync(string archivePath, Func<string, bool> wanted, Dictionary<string, byte[]> into,
        CancellationToken ct, bool unbounded = false)
    {
        await using var stream = OpenTarStream(archivePath);
        await using var reader = new TarReader(stream, leaveOpen: false);
        long buffered = 0;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    continue;
                var name = NormalizeEntryName(entry.Name);
                if (!wanted(name)) continue;
                var fits = unbounded || (entry.Length <= MaxBufferedEntryBytes && buffered + entry.Length <= MaxBufferedTotalBytes);
                if (!fits && name != ManifestEntryName) continue;
                var bytes = new byte[entry.Length];
                await entry.DataStream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
                buffered += bytes.Length;
                into[name] = bytes;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"image archive '{archivePath}' is not a readable tar (or gzip-compressed tar): {e.Message}", e);
        }
    }
}

/// <summary>
/// A forward-only stream that reports its length and position, so a TarWriter copies it into a forward-only archive
/// (it refuses an entry whose size it would have to find by seeking back). Seeking is refused, except to where it is.
/// </summary>
internal sealed class KnownLengthStream(Stream inner, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        if (target != _position) throw new NotSupportedException("a forward-only stream cannot seek");
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
