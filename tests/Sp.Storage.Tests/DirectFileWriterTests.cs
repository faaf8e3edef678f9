using Sp.Storage.Transfer;

namespace Sp.Storage.Tests;

/// <summary>
/// The node's object writer: O_DIRECT where the file system allows it (the temp folder's ext4; tmpfs too since
/// Linux 6.6), the page cache otherwise, the same bytes either way, whatever the size and however the writes are cut.
/// </summary>
public sealed class DirectFileWriterTests
{
    public static TheoryData<int> Sizes => new() { 0, 1, 4095, 4096, 4097, DirectFileWriter.BlockSize, DirectFileWriter.BlockSize + 1, 3 * DirectFileWriter.BlockSize + 17 };

    private static byte[] WriteAndRead(string folder, byte[] data, out bool direct, bool preferDirect = true)
    {
        var path = Path.Combine(folder, "object-" + Guid.NewGuid().ToString("N"));
        var rng = new Random(data.Length);
        using (var writer = DirectFileWriter.Create(path, preferDirect))
        {
            direct = writer.IsDirect;
            for (var at = 0; at < data.Length;)
            {
                var n = Math.Min(data.Length - at, rng.Next(1, 300_000)); // cut as Kestrel's segments come
                writer.Write(data.AsSpan(at, n));
                at += n;
            }
            Assert.Equal(data.Length, writer.Complete());
        }
        return File.ReadAllBytes(path);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Writes_exactly_the_bytes_given_around_the_page_cache(int size)
    {
        using var dir = new TempDir();
        var data = new byte[size];
        new Random(size).NextBytes(data);
        Assert.Equal(data, WriteAndRead(dir.Path, data, out _)); // O_DIRECT on ext4 (and tmpfs since Linux 6.6)
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4097)]
    [InlineData(2 * DirectFileWriter.BlockSize + 5)]
    public void Through_the_page_cache_it_writes_the_same_bytes(int size)
    {
        using var dir = new TempDir();
        var data = new byte[size];
        new Random(size).NextBytes(data);
        Assert.Equal(data, WriteAndRead(dir.Path, data, out var direct, preferDirect: false));
        Assert.False(direct);
    }

    [Fact]
    public void On_a_memory_file_system_the_bytes_are_the_same_whichever_way_it_writes()
    {
        var shm = Directory.CreateDirectory(Path.Combine("/dev/shm", "sp-direct-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var data = new byte[DirectFileWriter.BlockSize + 4097];
            new Random(7).NextBytes(data);
            Assert.Equal(data, WriteAndRead(shm, data, out _));
        }
        finally { Directory.Delete(shm, recursive: true); }
    }

    [Fact]
    public void Never_writes_over_an_existing_file()
    {
        using var dir = new TempDir();
        var path = dir.Write("taken", "keep me");
        Assert.Throws<IOException>(() => DirectFileWriter.Create(path));
        Assert.Equal("keep me", File.ReadAllText(path));
    }
}
