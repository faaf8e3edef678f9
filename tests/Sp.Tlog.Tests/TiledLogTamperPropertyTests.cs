using System.Text;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>
/// Tiled logs of many sizes (full and partial tiles, one and two levels), written as static files: each audits,
/// and one flipped byte anywhere in any hash tile, entry bundle or the checkpoint makes the audit (or the
/// checkpoint's verification) fail, every time.
/// </summary>
public sealed class TiledLogTamperPropertyTests
{
    private static readonly NoteSigner Key = NoteSigner.Generate("test.local/tamper");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(300)]
    [InlineData(511)]
    [InlineData(700)]
    public async Task Any_flipped_byte_of_any_tile_bundle_or_checkpoint_fails(int size)
    {
        var dir = Directory.CreateTempSubdirectory("sp-tlog-tamper-").FullName;
        try
        {
            var entries = Enumerable.Range(0, size).Select(i => Encoding.UTF8.GetBytes($"{{\"entry\":{i},\"pad\":\"{new string('x', i % 37)}\"}}")).ToList();
            var tree = new CompactRange();
            foreach (var e in entries) tree.Append(MerkleHash.Leaf(e));
            var note = new Checkpoint(Key.Name, size, tree.Root()).Sign(Key);
            await TileWriter.WriteAsync(dir, note, entries);

            async Task AuditAsync()
            {
                var reader = new TileReader(new FolderTileSource(dir));
                var checkpoint = (await reader.ReadCheckpointAsync(Key.Verifier)).Checkpoint;
                await TileLogAuditor.AuditAsync(reader, checkpoint);
            }
            await AuditAsync(); // the honest log

            var rng = new Random(size);
            var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            Assert.Contains(files, f => f.Contains($"{Path.DirectorySeparatorChar}entries{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
            foreach (var file in files)
            {
                var original = File.ReadAllBytes(file);
                for (var trial = 0; trial < 3; trial++)
                {
                    var altered = (byte[])original.Clone();
                    var at = rng.Next(altered.Length);
                    altered[at] ^= (byte)(1 << rng.Next(8));
                    File.WriteAllBytes(file, altered);
                    var what = $"{Path.GetRelativePath(dir, file)} byte {at} of {altered.Length}";
                    var e = await Record.ExceptionAsync(AuditAsync);
                    Assert.True(e is TlogException, $"a log of {size} with {what} flipped: {(e is null ? "audited" : e.GetType().Name + ": " + e.Message)}");
                }
                File.WriteAllBytes(file, original);
            }
            await AuditAsync(); // restored: honest again
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
