using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Sp.Tee.Runtime;

namespace Sp.Tee.Tests.Runtime;

/// <summary>Archive parsing without Docker: hand-made `docker save`-shaped tarballs.</summary>
public sealed class ImageArchiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-tee-archive-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteArchive(bool gzip, params (string Name, byte[] Data)[] entries)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + (gzip ? ".tar.gz" : ".tar"));
        using var file = File.Create(path);
        using Stream target = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var tar = new TarWriter(target, TarEntryFormat.Pax);
        foreach (var (name, data) in entries)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        return path;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
    private const long AnyDisk = 1L << 30;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Derives_The_Image_Id_From_The_Config_Blob(bool gzip)
    {
        var config = Utf8("""{"architecture":"amd64","os":"linux"}""");
        var hex = Convert.ToHexStringLower(SHA256.HashData(config));
        var path = WriteArchive(gzip,
            ("layer/layer.tar", new byte[1024]),
            ($"{hex}.json", config),
            ("manifest.json", Utf8($$"""[{"Config":"{{hex}}.json","RepoTags":["a:1","b:2"],"Layers":["layer/layer.tar"]}]""")));

        var manifest = await ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None);

        Assert.Equal("sha256:" + hex, manifest.ImageId);
        Assert.Equal(["a:1", "b:2"], manifest.RepoTags);
    }

    [Fact]
    public async Task Accepts_Oci_Blob_Config_Paths_And_Null_Tags()
    {
        var config = Utf8("""{"os":"linux"}""");
        var hex = Convert.ToHexStringLower(SHA256.HashData(config));
        var path = WriteArchive(true,
            ($"blobs/sha256/{hex}", config),
            ("manifest.json", Utf8($$"""[{"Config":"blobs/sha256/{{hex}}","RepoTags":null,"Layers":[]}]""")));

        var manifest = await ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None);

        Assert.Equal("sha256:" + hex, manifest.ImageId);
        Assert.Empty(manifest.RepoTags);
    }

    [Fact]
    public async Task Refuses_An_Archive_With_No_Image()
    {
        var path = WriteArchive(false, ("manifest.json", Utf8("[]")));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None));
        Assert.Contains("lists no image; exactly one expected", e.Message);
    }

    [Fact]
    public async Task Refuses_A_Config_Whose_Hash_Does_Not_Match_Its_Name()
    {
        var wrongHex = new string('0', 64);
        var path = WriteArchive(false,
            ($"{wrongHex}.json", Utf8("{}")),
            ("manifest.json", Utf8($$"""[{"Config":"{{wrongHex}}.json","RepoTags":[]}]""")));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None));
        Assert.Contains($"expected {wrongHex} from its name", e.Message);
    }

    [Fact]
    public async Task Refuses_An_Archive_Without_Manifest()
    {
        var path = WriteArchive(true, ("something.json", Utf8("{}")));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None));
        Assert.Contains("no manifest.json found", e.Message);
    }

    [Fact]
    public async Task Refuses_A_Missing_Config_Blob()
    {
        var hex = new string('a', 64);
        var path = WriteArchive(false, ("manifest.json", Utf8($$"""[{"Config":"{{hex}}.json"}]""")));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None));
        Assert.Contains("is missing", e.Message);
    }

    [Fact]
    public async Task The_Untagged_Copy_Names_No_Image_And_Keeps_Every_Other_Byte()
    {
        var config = Utf8("""{"os":"linux"}""");
        var hex = Convert.ToHexStringLower(SHA256.HashData(config));
        var layer = RandomNumberGenerator.GetBytes(5000);
        var path = WriteArchive(true,
            ("layer/layer.tar", layer),
            ($"{hex}.json", config),
            ("repositories", Utf8("""{"victim":{"latest":"x"}}""")),
            ("manifest.json", Utf8($$"""[{"Config":"{{hex}}.json","RepoTags":["victim:latest"],"Layers":["layer/layer.tar"]}]""")));

        using var copy = new MemoryStream();
        await ImageArchive.WriteUntaggedAsync(path, copy, CancellationToken.None);

        copy.Position = 0;
        var entries = new List<(string Name, byte[] Data)>();
        using (var reader = new TarReader(copy))
            while (reader.GetNextEntry(copyData: true) is { } e)
            {
                using var data = new MemoryStream();
                e.DataStream?.CopyTo(data);
                entries.Add((e.Name, data.ToArray()));
            }
        Assert.Equal(["layer/layer.tar", $"{hex}.json", "manifest.json"], entries.Select(e => e.Name));
        Assert.Equal(layer, entries[0].Data);
        Assert.Equal(config, entries[1].Data);
        Assert.Equal($$"""[{"Config":"{{hex}}.json","RepoTags":[],"Layers":["layer/layer.tar"]}]""", Encoding.UTF8.GetString(entries[2].Data));
    }

    /// <summary>A layer tar holding one file of <paramref name="size"/> zeros (optionally gzip-compressed).</summary>
    private static byte[] Layer(long size, bool gzip = false, IEnumerable<KeyValuePair<string, string>>? paxAttributes = null)
    {
        using var packed = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true) : packed)
        using (var tar = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = paxAttributes is null ? new PaxTarEntry(TarEntryType.RegularFile, "zeros") : new PaxTarEntry(TarEntryType.RegularFile, "zeros", paxAttributes);
            entry.DataStream = new MemoryStream(new byte[size]);
            tar.WriteEntry(entry);
        }
        return packed.ToArray();
    }

    private string ImageWithLayer(byte[] layer, int configPadding = 0, int manifestPadding = 0)
    {
        var config = Utf8($$"""{"os":"linux","padding":"{{new string('x', configPadding)}}"}""");
        var hex = Convert.ToHexStringLower(SHA256.HashData(config));
        return WriteArchive(true,
            ("l/layer.tar", layer),
            ($"{hex}.json", config),
            ("manifest.json", Utf8($$"""[{"Config":"{{hex}}.json","RepoTags":[],"Layers":["l/layer.tar"]}]""" + new string(' ', manifestPadding))));
    }

    [Fact]
    public async Task Measures_What_The_Archive_And_Its_Layers_Unpack_To_Gzip_Layers_Included()
    {
        var path = ImageWithLayer(Layer(3L << 20, gzip: true));
        Assert.InRange(new FileInfo(path).Length, 1, 1L << 20); // zeros compress

        var manifest = await ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None);

        Assert.InRange(manifest.LayerBytes, 3L << 20, (3L << 20) + 8192); // the layer's tar size, unpacked
        Assert.InRange(manifest.ArchiveBytes, 1, 1L << 20);                 // the archive itself is small
    }

    [Fact]
    public async Task Refuses_Layers_That_Unpack_Past_The_Disk_Without_Unpacking_Them_Whole()
    {
        var path = ImageWithLayer(Layer(64L << 20, gzip: true));

        var e = await Assert.ThrowsAsync<ImageRefusedException>(() => ImageArchive.ReadAsync(path, 1L << 20, CancellationToken.None));

        Assert.Equal("solution image refused: it unpacks to more than the order's disk of 1048576 bytes: its entry 'l/layer.tar' alone does (unpacking stopped there)", e.Message);
    }

    [Fact]
    public async Task Refuses_Manifest_And_Config_Over_4_MiB()
    {
        var fatManifest = ImageWithLayer(Layer(10), manifestPadding: 5 << 20);
        var fatConfig = ImageWithLayer(Layer(10), configPadding: 5 << 20);

        var m = await Assert.ThrowsAsync<ImageRefusedException>(() => ImageArchive.ReadAsync(fatManifest, AnyDisk, CancellationToken.None));
        var c = await Assert.ThrowsAsync<ImageRefusedException>(() => ImageArchive.ReadAsync(fatConfig, AnyDisk, CancellationToken.None));

        Assert.Matches(@"^solution image refused: its manifest\.json is \d+ bytes, more than the 4194304 bytes allowed$", m.Message);
        Assert.Matches(@"^solution image refused: its image config is \d+ bytes, more than the 4194304 bytes allowed$", c.Message);
    }

    [Fact]
    public async Task Refuses_A_Sparse_File_In_A_Layer_And_A_Layer_It_Cannot_Measure()
    {
        var sparse = ImageWithLayer(Layer(10, paxAttributes: [new("GNU.sparse.realsize", "1099511627776"), new("GNU.sparse.major", "1"), new("GNU.sparse.minor", "0")]));
        var xz = ImageWithLayer([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 1, 2, 3]);

        var s = await Assert.ThrowsAsync<ImageRefusedException>(() => ImageArchive.ReadAsync(sparse, AnyDisk, CancellationToken.None));
        var x = await Assert.ThrowsAsync<ImageRefusedException>(() => ImageArchive.ReadAsync(xz, AnyDisk, CancellationToken.None));

        Assert.Equal("solution image refused: its layer 'l/layer.tar' holds the sparse file 'zeros', whose size on disk the loader cannot measure before loading", s.Message);
        Assert.StartsWith("solution image refused: its layer 'l/layer.tar' is compressed with xz", x.Message);
    }

    [Fact]
    public async Task Refuses_Something_That_Is_Not_A_Tar()
    {
        var path = Path.Combine(_dir, "junk.tar");
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(3000));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchive.ReadAsync(path, AnyDisk, CancellationToken.None));
        Assert.Contains("junk.tar", e.Message);
    }
}

public sealed class BoundedLogTests
{
    [Fact]
    public void Keeps_Everything_Under_The_Cap()
    {
        var log = new BoundedLog(10);
        log.Append("abc"u8);
        log.Append("def"u8);
        Assert.False(log.Truncated);
        Assert.Equal("abcdef", log.Render());
    }

    [Fact]
    public void Keeps_The_First_Bytes_And_Notes_The_Cut()
    {
        var log = new BoundedLog(4);
        log.Append("abc"u8);
        log.Append("defgh"u8);
        Assert.True(log.Truncated);
        Assert.Equal(8, log.TotalBytes);
        Assert.Equal("abcd\n[sp-tee: log truncated at 4 bytes; 4 more bytes were cut]\n", log.Render());
    }
}
