using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sp.Tee.Runtime;

/// <summary>
/// What manifest.json of a `docker save` archive says about its single image, and how much disk loading it takes:
/// <see cref="ArchiveBytes"/> (docker load unpacks the whole archive first) and <see cref="LayerBytes"/> (its layers
/// unpacked into the engine's store).
/// </summary>
internal sealed record ImageArchiveManifest(string ImageId, string ConfigPath, IReadOnlyList<string> RepoTags, long ArchiveBytes, long LayerBytes);

/// <summary>
/// Reads the manifest of a `docker save` archive (legacy "&lt;hex&gt;.json" config names or OCI "blobs/sha256/&lt;hex&gt;")
/// and derives the image id as the SHA-256 of the config blob, checking that it matches the blob's name; measures
/// what loading it would put on disk; and streams the archive to the engine without its names
/// (<see cref="WriteUntaggedAsync"/>). Everything streams through the tar headers: only the manifest is ever held
/// in memory, and it and the config are refused above a few MiB, before `docker load` reads them whole.
/// </summary>
internal static class ImageArchive
{
    internal const string ManifestEntryName = "manifest.json";
    /// <summary>The legacy name → id map of `docker save`; `docker load` would tag with it.</summary>
    internal const string RepositoriesEntryName = "repositories";
    /// <summary>manifest.json above this is refused (one image's manifest is a few hundred bytes; docker load reads it whole).</summary>
    internal const long MaxManifestBytes = 4L << 20;
    /// <summary>An image config above this is refused (a few KiB in practice, its history included; docker load reads it whole).</summary>
    internal const long MaxConfigBytes = 4L << 20;
    private const string Sha256Prefix = "sha256:";
    private const string OciBlobPrefix = "blobs/sha256/";
    private const string LegacyConfigSuffix = ".json";
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private const int TarBlock = 512;

    /// <summary>What one pass learnt of an entry: its size, its SHA-256 (when small enough to be the config), its size unpacked (a layer).</summary>
    private sealed record EntryFacts(long Length, string? Sha256Hex, long UnpackedBytes, string? Unmeasurable);

    /// <param name="maxDiskBytes">The order's disk: an archive, or its layers, unpacking to more is refused before any load.</param>
    public static async Task<ImageArchiveManifest> ReadAsync(string archivePath, long maxDiskBytes, CancellationToken ct)
    {
        byte[]? manifestBytes = null;
        var files = new Dictionary<string, EntryFacts>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        long archiveBytes = 0;
        await using (var stream = OpenTarStream(archivePath))
        await using (var reader = new TarReader(stream, leaveOpen: false))
        {
            try
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    var name = NormalizeEntryName(entry.Name);
                    if (name == ManifestEntryName && entry.Length > MaxManifestBytes)
                        throw new ImageRefusedException($"its {ManifestEntryName} is {entry.Length} bytes, more than the {MaxManifestBytes} bytes allowed");
                    archiveBytes += TarBlock + RoundUpToBlock(entry.Length);
                    if (archiveBytes > maxDiskBytes)
                        throw TooBig(maxDiskBytes, "its archive alone does (docker load unpacks it on the host's disk first)");
                    if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                    {
                        links[name] = ResolveLink(name, entry.LinkName, entry.EntryType);
                        continue;
                    }
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                    if (name == ManifestEntryName)
                    {
                        manifestBytes = new byte[entry.Length];
                        await entry.DataStream.ReadExactlyAsync(manifestBytes, ct).ConfigureAwait(false);
                        continue;
                    }
                    files[name] = await MeasureAsync(name, entry, hash: entry.Length <= MaxConfigBytes, maxDiskBytes, ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new InvalidDataException($"image archive '{archivePath}' is not a readable tar (or gzip-compressed tar): {e.Message}", e);
            }
        }

        if (manifestBytes is null)
            throw new InvalidDataException($"image archive '{archivePath}': no {ManifestEntryName} found; expected the output of `docker save`");
        var (configPath, repoTags, layers) = ParseManifest(archivePath, manifestBytes);

        var config = Find(files, links, configPath)
            ?? throw new InvalidDataException($"image archive '{archivePath}': image config '{configPath}' named in {ManifestEntryName} is missing");
        if (config.Length > MaxConfigBytes)
            throw new ImageRefusedException($"its image config is {config.Length} bytes, more than the {MaxConfigBytes} bytes allowed");
        var digestHex = config.Sha256Hex!;
        var expectedHex = DigestHexFromConfigPath(configPath);
        if (expectedHex is not null && expectedHex != digestHex)
            throw new InvalidDataException(
                $"image archive '{archivePath}': config '{configPath}' has SHA-256 {digestHex}, expected {expectedHex} from its name");

        long layerBytes = 0;
        foreach (var layerPath in layers)
        {
            var layer = Find(files, links, layerPath)
                ?? throw new InvalidDataException($"image archive '{archivePath}': layer '{layerPath}' named in {ManifestEntryName} is missing");
            if (layer.Unmeasurable is { } why) throw new ImageRefusedException($"its layer '{layerPath}' {why}");
            layerBytes += layer.UnpackedBytes;
        }
        if (layerBytes > maxDiskBytes) throw TooBig(maxDiskBytes, $"its layers take {layerBytes} bytes");

        return new ImageArchiveManifest(Sha256Prefix + digestHex, configPath, repoTags, archiveBytes, layerBytes);
    }

    private static long RoundUpToBlock(long length) => (length + TarBlock - 1) / TarBlock * TarBlock;

    private static ImageRefusedException TooBig(long maxDiskBytes, string why) =>
        new($"it unpacks to more than the order's disk of {maxDiskBytes} bytes: {why}");

    /// <summary>A link's target as an entry name: a hard link names it from the archive's root, a symbolic link from its own folder.</summary>
    private static string ResolveLink(string name, string linkName, TarEntryType type)
    {
        var target = type == TarEntryType.HardLink || linkName.StartsWith('/') ? linkName.TrimStart('/') : Path.Combine(Path.GetDirectoryName(name) ?? "", linkName);
        var parts = new List<string>();
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>The facts of an entry, following links (as docker load does, within the archive) a few hops at most.</summary>
    private static EntryFacts? Find(Dictionary<string, EntryFacts> files, Dictionary<string, string> links, string name)
    {
        name = NormalizeEntryName(name);
        for (var hops = 0; hops < 8; hops++)
        {
            if (files.TryGetValue(name, out var facts)) return facts;
            if (!links.TryGetValue(name, out var target)) return null;
            name = target;
        }
        return null;
    }

    /// <summary>
    /// Reads an entry's data once: hashes it (when it may be the config), and measures what it unpacks to as a layer
    /// (a plain or gzip tar: the sum of its entries' tar sizes; anything else: its own size). Stops, refusing the
    /// image, as soon as one entry alone unpacks to more than <paramref name="maxDiskBytes"/> (a gzip bomb is not
    /// decompressed to its end).
    /// </summary>
    private static async Task<EntryFacts> MeasureAsync(string name, TarEntry entry, bool hash, long maxDiskBytes, CancellationToken ct)
    {
        using var hasher = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        await using var data = new HashingReadStream(entry.DataStream!, hasher);
        var head = new byte[TarBlock];
        var headLength = await data.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        var start = head.AsMemory(0, headLength);
        long unpacked = entry.Length;
        string? unmeasurable = null;
        if (CompressionNamed(start.Span) is { } compression)
            unmeasurable = $"is compressed with {compression}, which the loader cannot measure before loading (plain or gzip tar layers only)";
        else if (start.Span.StartsWith(GzipMagic) || LooksLikeTar(start.Span))
        {
            Stream tar = new ReplayStream(start, data);
            if (start.Span.StartsWith(GzipMagic)) tar = new GZipStream(tar, CompressionMode.Decompress, leaveOpen: true);
            await using (tar.ConfigureAwait(false))
                (unpacked, unmeasurable) = await TarBytesAsync(name, tar, entry.Length, maxDiskBytes, ct).ConfigureAwait(false);
        }
        await data.CopyToAsync(Stream.Null, ct).ConfigureAwait(false); // the rest, through the hash
        return new EntryFacts(entry.Length, hasher is null ? null : Convert.ToHexStringLower(hasher.GetHashAndReset()), unpacked, unmeasurable);
    }

    /// <summary>What a layer tar puts on disk: each entry's header and data rounded to tar blocks (its own size, for a plain tar).</summary>
    private static async Task<(long Bytes, string? Unmeasurable)> TarBytesAsync(string name, Stream tar, long rawLength, long maxDiskBytes, CancellationToken ct)
    {
        long bytes = 0;
        try
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                // A sparse file unpacks to its "real size", which its tar size does not tell: docker load writes it whole.
                if (entry.EntryType == TarEntryType.SparseFile || (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal))))
                    return (bytes, $"holds the sparse file '{entry.Name}', whose size on disk the loader cannot measure before loading");
                bytes += TarBlock + RoundUpToBlock(entry.Length);
                if (bytes > maxDiskBytes) throw TooBig(maxDiskBytes, $"its entry '{name}' alone does (unpacking stopped there)");
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Not a tar after all (docker load will say so if it is a layer): count what it is.
        }
        return (Math.Max(bytes, rawLength), null);
    }

    /// <summary>ustar, GNU and PAX headers carry "ustar" at offset 257.</summary>
    private static bool LooksLikeTar(ReadOnlySpan<byte> head) => head.Length >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8);

    /// <summary>Compressions docker load accepts for a layer besides gzip: unpacking them would be the only way to measure them.</summary>
    private static string? CompressionNamed(ReadOnlySpan<byte> head) =>
        head.StartsWith("BZh"u8) ? "bzip2"
        : head.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) ? "xz"
        : head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]) ? "zstd"
        : null;

    internal static (string ConfigPath, IReadOnlyList<string> RepoTags, IReadOnlyList<string> Layers) ParseManifest(string archivePath, byte[] manifestBytes)
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
            var layers = new List<string>();
            if (entry.TryGetProperty("Layers", out var layerPaths) && layerPaths.ValueKind == JsonValueKind.Array)
            {
                foreach (var layer in layerPaths.EnumerateArray())
                {
                    if (layer.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(layer.GetString()))
                        throw new InvalidDataException($"image archive '{archivePath}': {ManifestEntryName}[0].Layers must hold non-empty strings, got {layer.ValueKind}");
                    layers.Add(NormalizeEntryName(layer.GetString()!));
                }
            }
            return (NormalizeEntryName(config.GetString()!), tags, layers);
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

/// <summary>Reads through another stream (left open), feeding what it reads to a hash when one is given.</summary>
internal sealed class HashingReadStream(Stream inner, IncrementalHash? hash) : ForwardReadStream
{
    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        hash?.AppendData(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        hash?.AppendData(buffer.Span[..read]);
        return read;
    }

}

/// <summary>Gives back bytes already read (a peeked header), then reads on from the stream they came from (left open).</summary>
internal sealed class ReplayStream(ReadOnlyMemory<byte> head, Stream rest) : ForwardReadStream
{
    private ReadOnlyMemory<byte> _head = head;

    public override int Read(Span<byte> buffer)
    {
        if (_head.IsEmpty) return rest.Read(buffer);
        var n = Math.Min(buffer.Length, _head.Length);
        _head.Span[..n].CopyTo(buffer);
        _head = _head[n..];
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_head.IsEmpty) return rest.ReadAsync(buffer, cancellationToken);
        return ValueTask.FromResult(Read(buffer.Span));
    }

}

/// <summary>A read-only stream read from start to end: subclasses implement <c>Read(Span)</c> and <c>ReadAsync(Memory)</c>.</summary>
internal abstract class ForwardReadStream : Stream
{
    public sealed override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => false;
    public sealed override long Length => throw new NotSupportedException();
    public sealed override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public abstract override int Read(Span<byte> buffer);
    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public sealed override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override void Flush() { }
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
