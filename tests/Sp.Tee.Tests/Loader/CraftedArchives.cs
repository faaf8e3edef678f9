using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// Hostile variants of a `docker save | gzip` archive that Docker still loads: a padded manifest.json, a padded
/// config (a new image id), an extra layer of zeros (plain, or gzip-compressed: a few KiB that unpack to many MiB).
/// </summary>
internal static class CraftedArchives
{
    private sealed record Entry(string Name, TarEntryType Type, byte[] Data, string LinkName = "");

    public static Task<string> WithPaddedManifestAsync(string source, string destination, int bytes) =>
        RewriteAsync(source, destination, (manifest, entries) =>
        {
            var text = manifest.ToJsonString();
            return Task.FromResult(text + new string(' ', Math.Max(0, bytes - text.Length))); // trailing whitespace: still valid JSON
        });

    public static Task<string> WithPaddedConfigAsync(string source, string destination, int bytes) =>
        RewriteAsync(source, destination, (manifest, entries) =>
        {
            EditConfig(manifest, entries, c => c["padding"] = new string('x', bytes));
            return Task.FromResult(manifest.ToJsonString());
        });

    /// <summary>Adds a layer holding one file of <paramref name="zeroBytes"/> zeros, gzip-compressed or plain.</summary>
    public static Task<string> WithLayerOfZerosAsync(string source, string destination, long zeroBytes, bool gzip) =>
        RewriteAsync(source, destination, async (manifest, entries) =>
        {
            // The layer tar, uncompressed, on disk (it may be large); its SHA-256 is the layer's diff id.
            var layerTar = destination + ".layer.tar";
            await using (var file = File.Create(layerTar))
            await using (var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true))
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "zeros") { DataStream = new ZeroStream(zeroBytes) });
            string diffId;
            await using (var file = File.OpenRead(layerTar)) diffId = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
            using var packed = new MemoryStream();
            await using (var file = File.OpenRead(layerTar))
            {
                if (gzip)
                {
                    await using var gz = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true);
                    await file.CopyToAsync(gz);
                }
                else await file.CopyToAsync(packed);
            }
            File.Delete(layerTar);
            entries.Add(new Entry("zeros-layer/layer.tar", TarEntryType.RegularFile, packed.ToArray()));
            EditConfig(manifest, entries, c =>
            {
                c["rootfs"]!["diff_ids"]!.AsArray().Add(diffId);
                c["history"]?.AsArray().Add(new JsonObject { ["created_by"] = "zeros" });
            });
            manifest[0]!["Layers"]!.AsArray().Add("zeros-layer/layer.tar");
            return manifest.ToJsonString();
        });

    /// <summary>Edits the config in place: the new bytes get their own digest name, which the manifest then names.</summary>
    private static void EditConfig(JsonArray manifest, List<Entry> entries, Action<JsonNode> edit)
    {
        var configName = manifest[0]!["Config"]!.GetValue<string>();
        var old = entries.Single(e => e.Name == configName);
        var config = JsonNode.Parse(old.Data)!;
        edit(config);
        var bytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var newName = Convert.ToHexStringLower(SHA256.HashData(bytes)) + ".json";
        entries[entries.IndexOf(old)] = old with { Name = newName, Data = bytes };
        manifest[0]!["Config"] = newName;
    }

    private static async Task<string> RewriteAsync(string source, string destination, Func<JsonArray, List<Entry>, Task<string>> edit)
    {
        var entries = new List<Entry>();
        await using (var file = File.OpenRead(source))
        await using (var gz = new GZipStream(file, CompressionMode.Decompress))
        await using (var tar = new TarReader(gz))
        {
            while (await tar.GetNextEntryAsync(copyData: true) is { } e)
            {
                using var data = new MemoryStream();
                if (e.DataStream is { } d) await d.CopyToAsync(data);
                entries.Add(new Entry(e.Name, e.EntryType, data.ToArray(), e.LinkName));
            }
        }
        var manifestEntry = entries.Single(e => e.Name == "manifest.json");
        var manifest = JsonNode.Parse(manifestEntry.Data)!.AsArray();
        entries.Remove(manifestEntry);
        var manifestText = await edit(manifest, entries);
        entries.Add(new Entry("manifest.json", TarEntryType.RegularFile, Encoding.UTF8.GetBytes(manifestText)));
        entries.RemoveAll(e => e.Name == "repositories"); // names an image id this archive may no longer hold

        await using (var file = File.Create(destination))
        await using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            foreach (var e in entries)
            {
                var entry = new PaxTarEntry(e.Type == TarEntryType.V7RegularFile ? TarEntryType.RegularFile : e.Type, e.Name);
                if (e.Type is TarEntryType.RegularFile or TarEntryType.V7RegularFile) entry.DataStream = new MemoryStream(e.Data);
                if (e.Type is TarEntryType.SymbolicLink or TarEntryType.HardLink) entry.LinkName = e.LinkName;
                await tar.WriteEntryAsync(entry);
            }
        }
        return destination;
    }

    /// <summary>A stream of <c>length</c> zero bytes that holds none of them.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) =>
            _position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
