using System.Text;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

public sealed class TileWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sp-tlog-writer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static byte[] GoEntry(int i) =>
        Encoding.UTF8.GetBytes($"{{\"seq\":{i},\"kind\":\"test\",\"pad\":\"{new string('x', i * 7 % 61)}\"}}");

    [Fact]
    public async Task Export_Of_The_Go_Log_Reproduces_Its_Files()
    {
        var checkpoint = File.ReadAllBytes(TestData.PathOf("tlog", "tiles", "checkpoint"));
        var result = await TileWriter.WriteAsync(_dir, checkpoint, Enumerable.Range(0, 1000).Select(GoEntry));
        Assert.Equal(1000, result.TreeSize);
        Assert.Equal(5, result.HashTiles);
        Assert.Equal(4, result.EntryBundles);

        var written = Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_dir, f).Replace(Path.DirectorySeparatorChar, '/')).Order().ToArray();
        string[] want = ["checkpoint", .. TileMath.HashTiles(1000).Concat(TileMath.EntryBundles(1000)).Select(t => t.Path)];
        Assert.Equal(want.Order().ToArray(), written);
        foreach (var path in written)
        {
            Assert.Equal(File.ReadAllBytes(TestData.PathOf("tlog", "tiles", path)), File.ReadAllBytes(Path.Combine(_dir, path)));
        }
    }

    [Fact]
    public async Task Exported_Log_Verifies_With_A_Reader_And_Proves_Growth()
    {
        var log = NoteSigner.Generate("example.com/log");
        var entries = Enumerable.Range(0, 70_000).Select(i => Encoding.UTF8.GetBytes($"tx {i}")).ToArray();
        var range = new CompactRange();
        NodeHash oldRoot = default;
        foreach (var entry in entries)
        {
            range.Append(MerkleHash.Leaf(entry));
            if (range.Size == 65_537)
            {
                oldRoot = range.Root();
            }
        }
        var checkpoint = new Checkpoint(log.Name, entries.Length, range.Root()).Sign(log);
        await TileWriter.WriteAsync(_dir, checkpoint, entries);

        var reader = new TileReader(new FolderTileSource(_dir));
        var verified = (await reader.ReadCheckpointAsync(log.Verifier)).Checkpoint;
        Assert.Equal(range.Root(), await reader.RootAsync(verified.TreeSize));
        Assert.True(File.Exists(Path.Combine(_dir, "tile/2/000.p/1")), "level-2 tile of a tree over 65,536 leaves");
        ProofVerifier.VerifyConsistency(65_537, verified.TreeSize, await reader.ConsistencyProofAsync(65_537, verified.TreeSize), oldRoot, verified.RootHash);
        Assert.Equal(entries[65_536], await reader.ReadProvedEntryAsync(65_536, verified));
    }

    [Fact]
    public async Task Refuses_A_Checkpoint_That_Does_Not_Match_The_Entries_And_Writes_No_Checkpoint()
    {
        var checkpoint = File.ReadAllBytes(TestData.PathOf("tlog", "tiles", "checkpoint"));
        var entries = Enumerable.Range(0, 1000).Select(GoEntry).ToArray();
        entries[5] = [.. entries[5], (byte)' '];
        await Assert.ThrowsAsync<RootMismatchException>(() => TileWriter.WriteAsync(_dir, checkpoint, entries));
        Assert.False(File.Exists(Path.Combine(_dir, "checkpoint")));
        await Assert.ThrowsAsync<ArgumentException>(() => TileWriter.WriteAsync(_dir, checkpoint, entries.Take(999)));
        await Assert.ThrowsAsync<ArgumentException>(() => TileWriter.WriteAsync(_dir, checkpoint, [.. entries, [1]]));
    }

    [Fact]
    public async Task Folder_Source_Refuses_Paths_Outside_The_Log()
    {
        var source = new FolderTileSource(_dir);
        await Assert.ThrowsAsync<ArgumentException>(() => source.ReadAsync("../etc/passwd"));
        Assert.Null(await source.ReadAsync("tile/0/000"));
    }
}
