using System.Text;
using System.Text.Json;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

public sealed class TileTests
{
    public sealed class ThePaths
    {
        [Theory]
        [InlineData(0, 0L, 256, "tile/0/000")]
        [InlineData(0, 3L, 232, "tile/0/003.p/232")]
        [InlineData(1, 1234067L, 256, "tile/1/x001/x234/067")]
        [InlineData(2, 1000L, 5, "tile/2/x001/000.p/5")]
        [InlineData(TileId.EntriesLevel, 2L, 188, "tile/entries/002.p/188")]
        [InlineData(TileId.EntriesLevel, 999L, 256, "tile/entries/999")]
        public void Should_Follow_Tlog_Tiles_Paths_And_Parse_Back(int level, long index, int width, string path)
        {
            var tile = new TileId(level, index, width);
            Assert.Equal(path, tile.Path);
            Assert.True(TileId.TryParsePath(path, out var parsed));
            Assert.Equal(tile, parsed);
        }

        [Theory]
        [InlineData("tile/0/0")]
        [InlineData("tile/0/x000/001")]
        [InlineData("tile/0/001/002")]
        [InlineData("tile/0/000.p/256")]
        [InlineData("tile/0/000.p/0")]
        [InlineData("tile/0/000.p/07")]
        [InlineData("tile/8/000")]
        [InlineData("tile/00/000")]
        [InlineData("tile/data/000")]
        [InlineData("tile/0/../000")]
        [InlineData("checkpoint")]
        public void Should_Reject_Non_Canonical_Paths(string path)
        {
            Assert.False(TileId.TryParsePath(path, out _));
        }

        [Fact]
        public void Tiles_Of_A_Tree_Are_Full_Tiles_Plus_One_Partial_Per_Level()
        {
            Assert.Equal(
                ["tile/0/000", "tile/0/001", "tile/0/002", "tile/0/003.p/232", "tile/1/000.p/3"],
                TileMath.HashTiles(1000).Select(t => t.Path));
            Assert.Equal(["tile/0/000", "tile/1/000.p/1"], TileMath.HashTiles(256).Select(t => t.Path));
            Assert.Equal(
                ["tile/entries/000", "tile/entries/001", "tile/entries/002.p/188"],
                TileMath.EntryBundles(700).Select(t => t.Path));
            Assert.Empty(TileMath.HashTiles(0));
        }
    }

    public sealed class TheTilesAddedAsTheTreeGrows
    {
        private static HashSet<string> All(long size) =>
            TileMath.HashTiles(size).Concat(TileMath.EntryBundles(size)).Select(t => t.Path).ToHashSet();

        [Theory]
        [InlineData(0, 1)]
        [InlineData(1, 2)]
        [InlineData(255, 256)]
        [InlineData(256, 257)]
        [InlineData(4, 300)]
        [InlineData(300, 300)]
        [InlineData(65_535, 65_536)]
        [InlineData(65_536, 65_537)]
        [InlineData(70_000, 16_777_217)]
        public void Are_exactly_the_paths_the_bigger_tree_has_and_the_smaller_did_not(long oldSize, long newSize)
        {
            var added = TileMath.TilesAddedBetween(oldSize, newSize).Select(t => t.Path).ToList();
            var expected = All(newSize);
            expected.ExceptWith(All(oldSize));
            Assert.Equal(expected.Order(StringComparer.Ordinal), added.Order(StringComparer.Ordinal));
            Assert.Equal(added.Count, added.Distinct().Count());
        }

        [Fact]
        public void Publishing_every_step_of_a_growing_tree_publishes_every_path_of_the_final_tree()
        {
            var published = new HashSet<string>();
            long size = 0;
            var random = new Random(7);
            while (size < 140_000)
            {
                var next = size + random.Next(1, 3_000);
                foreach (var tile in TileMath.TilesAddedBetween(size, next)) Assert.True(published.Add(tile.Path), $"{tile.Path} published twice");
                size = next;
                Assert.Subset(published, All(size));
            }
        }

        [Fact]
        public void A_smaller_new_size_is_refused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TilesAddedBetween(10, 9).ToList());
        }
    }

    public sealed class TheEntryBundles
    {
        [Fact]
        public void Should_Round_Trip_And_Reject_Truncation_Or_Trailing_Bytes()
        {
            byte[][] entries = [[], [1, 2, 3], new byte[TileMath.MaxEntrySize]];
            var bundle = TileMath.FormatEntryBundle(entries);
            Assert.Equal([0, 0, 0, 3, 1, 2, 3, 0xff, 0xff], bundle[..9]);
            var tile = TileId.Entries(0, 3);
            Assert.Equal(entries, TileMath.ParseEntryBundle(tile, bundle));
            Assert.Throws<TileException>(() => TileMath.ParseEntryBundle(tile, bundle[..^1]));
            Assert.Throws<TileException>(() => TileMath.ParseEntryBundle(tile, [.. bundle, 0]));
            Assert.Throws<TileException>(() => TileMath.ParseEntryBundle(TileId.Entries(0, 4), bundle));
            Assert.Throws<ArgumentException>(() => TileMath.FormatEntryBundle([new byte[TileMath.MaxEntrySize + 1]]));
        }

        [Fact]
        public void Hash_Tiles_Must_Have_Exactly_Width_Hashes()
        {
            var tile = TileId.Hashes(0, 0, 2);
            var e = Assert.Throws<TileException>(() => TileMath.ParseHashTile(tile, new byte[65]));
            Assert.Equal("tile tile/0/000.p/2: wrong hash tile size 65 bytes, want 64", e.Message);
        }
    }

    /// <summary>The complete tiled log of 1,000 entries made by Go's sumdb/tlog (tests/testdata/tlog/tiles).</summary>
    public sealed class TheGoTiledLog
    {
        private static readonly JsonElement Vectors = TestData.Json("tlog", "log-vectors.json");
        private static readonly NoteVerifier LogKey = NoteVerifier.Parse(Vectors.GetProperty("verifier_key").GetString()!);

        private static TileReader Reader() => new(new FolderTileSource(TestData.PathOf("tlog", "tiles")));

        private static byte[] Entry(int i) =>
            Encoding.UTF8.GetBytes($"{{\"seq\":{i},\"kind\":\"test\",\"pad\":\"{new string('x', i * 7 % 61)}\"}}");

        private static Checkpoint ReadCheckpoint(string file) =>
            Checkpoint.Open(File.ReadAllBytes(TestData.PathOf("tlog", "tiles", file)), LogKey).Checkpoint;

        [Fact]
        public async Task Every_Tile_And_Both_Roots_Are_Recomputed_From_The_Entries()
        {
            var reader = Reader();
            var latest = (await reader.ReadCheckpointAsync(LogKey)).Checkpoint;
            Assert.Equal(1000, latest.TreeSize);
            foreach (var checkpoint in new[] { ReadCheckpoint("checkpoint.700"), latest })
            {
                var seen = 0L;
                var result = await TileLogAuditor.AuditAsync(reader, checkpoint, (index, entry) =>
                {
                    Assert.Equal(seen++, index);
                    Assert.Equal(Entry((int)index), entry);
                });
                Assert.Equal(checkpoint.TreeSize, result.Entries);
                Assert.Equal(checkpoint.RootHash, result.RootHash);
                Assert.Equal(checkpoint.RootHash, await reader.RootAsync(checkpoint.TreeSize));
            }
            // And the files are exactly what the builder produces, tile by tile.
            foreach (var size in new[] { 700, 1000 })
            {
                var builder = new TileBuilder();
                var built = new Dictionary<TileId, byte[]>();
                builder.TileReady += (tile, data) => built.Add(tile, data);
                for (var i = 0; i < size; i++)
                {
                    builder.Add(Entry(i));
                }
                builder.Finish();
                Assert.Equal(
                    TileMath.HashTiles(size).Concat(TileMath.EntryBundles(size)).Select(t => t.Path).Order(StringComparer.Ordinal),
                    built.Keys.Select(t => t.Path).Order(StringComparer.Ordinal));
                foreach (var (tile, data) in built)
                {
                    Assert.Equal(data, File.ReadAllBytes(TestData.PathOf("tlog", "tiles", tile.Path)));
                }
            }
        }

        [Fact]
        public async Task Inclusion_Proofs_From_Tiles_Match_Go_And_Verify()
        {
            var reader = Reader();
            var roots = Vectors.GetProperty("checkpoints").EnumerateArray()
                .ToDictionary(c => c.GetProperty("size").GetInt64(), c => NodeHash.FromBase64(c.GetProperty("root_hash").GetString()!));
            var checked700Or1000 = 0;
            foreach (var v in Vectors.GetProperty("inclusion").EnumerateArray())
            {
                var index = v.GetProperty("index").GetInt64();
                var size = v.GetProperty("tree_size").GetInt64();
                var leaf = NodeHash.FromBase64(v.GetProperty("leaf_hash").GetString()!);
                var want = TestData.Hashes(v.GetProperty("proof"), NodeHash.FromBase64);
                Assert.Equal(MerkleHash.Leaf(Entry((int)index)), leaf);
                if (!roots.TryGetValue(size, out var root))
                {
                    // Tiles exist only for sizes 700 and 1000; other sizes are checked as bare proofs.
                    var computed = ProofVerifier.RootFromInclusionProof(leaf, index, size, want);
                    Assert.Equal(MerkleHash.RootOf([.. Enumerable.Range(0, (int)size).Select(i => MerkleHash.Leaf(Entry(i)))]), computed);
                    continue;
                }
                Assert.Equal(want, await reader.InclusionProofAsync(index, size));
                ProofVerifier.VerifyInclusion(leaf, index, size, want, root);
                checked700Or1000++;
            }
            Assert.True(checked700Or1000 >= 5);

            var latest = ReadCheckpoint("checkpoint");
            foreach (var index in new long[] { 0, 1, 255, 256, 511, 699, 700, 767, 768, 999 })
            {
                Assert.Equal(Entry((int)index), await reader.ReadProvedEntryAsync(index, latest));
            }
        }

        [Fact]
        public async Task Consistency_700_To_1000_From_Tiles_Matches_Go_And_Verifies()
        {
            var reader = Reader();
            var old = ReadCheckpoint("checkpoint.700");
            var latest = ReadCheckpoint("checkpoint");
            var proof = await reader.ConsistencyProofAsync(old.TreeSize, latest.TreeSize);
            var vector = Vectors.GetProperty("consistency").EnumerateArray()
                .Single(c => c.GetProperty("old_size").GetInt64() == 700 && c.GetProperty("new_size").GetInt64() == 1000);
            Assert.Equal(TestData.Hashes(vector.GetProperty("proof"), NodeHash.FromBase64), proof);
            ProofVerifier.VerifyConsistency(old.TreeSize, latest.TreeSize, proof, old.RootHash, latest.RootHash);

            // Every consistency vector verifies, and those ending at 1000 are reproduced from the tiles.
            foreach (var v in Vectors.GetProperty("consistency").EnumerateArray())
            {
                var size1 = v.GetProperty("old_size").GetInt64();
                var size2 = v.GetProperty("new_size").GetInt64();
                var want = TestData.Hashes(v.GetProperty("proof"), NodeHash.FromBase64);
                ProofVerifier.VerifyConsistency(size1, size2, want,
                    NodeHash.FromBase64(v.GetProperty("old_root").GetString()!), NodeHash.FromBase64(v.GetProperty("new_root").GetString()!));
                if (size2 == 1000)
                {
                    Assert.Equal(want, await reader.ConsistencyProofAsync(size1, size2));
                }
            }

            // A rollback or fork: 1000's checkpoint does not extend a different 700.
            var e = Assert.Throws<RootMismatchException>(() =>
                ProofVerifier.VerifyConsistency(700, 1000, proof, Helpers.Flip(old.RootHash), latest.RootHash));
            Assert.Equal(Helpers.Flip(old.RootHash), e.Expected);
        }
    }

    /// <summary>Tampered copies of the Go log: any altered tile, entry or checkpoint is caught.</summary>
    public sealed class TheTamperedLog : IDisposable
    {
        private static readonly NoteVerifier LogKey =
            NoteVerifier.Parse(TestData.Json("tlog", "log-vectors.json").GetProperty("verifier_key").GetString()!);

        private readonly string _dir = Path.Combine(Path.GetTempPath(), "sp-tlog-tests-" + Guid.NewGuid().ToString("N"));

        public TheTamperedLog()
        {
            var source = TestData.PathOf("tlog", "tiles");
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(_dir, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
                File.SetAttributes(target, FileAttributes.Normal);
            }
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private void Alter(string path, Func<byte[], byte[]> change)
        {
            var file = Path.Combine(_dir, path);
            File.WriteAllBytes(file, change(File.ReadAllBytes(file)));
        }

        private static byte[] FlipByte(byte[] data, int at)
        {
            data[at] ^= 0x01;
            return data;
        }

        [Fact]
        public async Task An_Altered_Hash_Tile_Fails_The_Audit_And_The_Proofs_Through_It()
        {
            // Leaf 699: the sibling in leaf 698's proof, and under node [2, 174] of the 700 -> 1000 proof.
            Alter("tile/0/002", d => FlipByte(d, 32 * 187));
            var reader = new TileReader(new FolderTileSource(_dir));
            var checkpoint = (await reader.ReadCheckpointAsync(LogKey)).Checkpoint;
            var e = await Assert.ThrowsAsync<TileException>(() => TileLogAuditor.AuditAsync(reader, checkpoint));
            Assert.Equal("tile/0/002", e.Path);
            Assert.Contains("hash 187", e.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<RootMismatchException>(() => reader.ReadProvedEntryAsync(698, checkpoint));
            // Leaf 100's proof reads level 0 only in tile 0/000, so it still verifies: the damage is local.
            Assert.StartsWith("{\"seq\":100,", Encoding.UTF8.GetString(await reader.ReadProvedEntryAsync(100, checkpoint)), StringComparison.Ordinal);
            await Assert.ThrowsAsync<RootMismatchException>(async () =>
                ProofVerifier.VerifyConsistency(700, 1000, await reader.ConsistencyProofAsync(700, 1000),
                    Checkpoint.Open(File.ReadAllBytes(Path.Combine(_dir, "checkpoint.700")), LogKey).Checkpoint.RootHash, checkpoint.RootHash));
        }

        [Fact]
        public async Task An_Altered_Entry_Fails_The_Audit_And_Its_Inclusion_Proof()
        {
            Alter("tile/entries/003.p/232", d => FlipByte(d, 10));
            var reader = new TileReader(new FolderTileSource(_dir));
            var checkpoint = (await reader.ReadCheckpointAsync(LogKey)).Checkpoint;
            await Assert.ThrowsAsync<TileException>(() => TileLogAuditor.AuditAsync(reader, checkpoint));
            await Assert.ThrowsAsync<RootMismatchException>(() => reader.ReadProvedEntryAsync(768, checkpoint));
        }

        [Fact]
        public async Task A_Truncated_Or_Missing_Tile_Is_Reported_By_Path()
        {
            Alter("tile/1/000.p/3", d => d[..^1]);
            File.Delete(Path.Combine(_dir, "tile/entries/001"));
            var reader = new TileReader(new FolderTileSource(_dir));
            var e = await Assert.ThrowsAsync<TileException>(() => reader.RootAsync(1000));
            Assert.Equal("tile/1/000.p/3", e.Path);
            var missing = await Assert.ThrowsAsync<TileException>(() => reader.ReadEntryBundleAsync(TileId.Entries(1)));
            Assert.Equal("tile tile/entries/001: not found", missing.Message);
        }

        [Fact]
        public async Task An_Altered_Checkpoint_Is_Rejected()
        {
            Alter("checkpoint", d => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(d).Replace("\n1000\n", "\n999\n", StringComparison.Ordinal)));
            var reader = new TileReader(new FolderTileSource(_dir));
            await Assert.ThrowsAsync<InvalidNoteSignatureException>(() => reader.ReadCheckpointAsync(LogKey));
        }

        [Fact]
        public async Task A_Partial_Tile_That_Is_Gone_Is_Read_From_The_Full_Tile()
        {
            // The log grew past 768: tile/0/002.p/188 was replaced by the full tile/0/002.
            File.Delete(Path.Combine(_dir, "tile/0/002.p/188"));
            File.Delete(Path.Combine(_dir, "tile/entries/002.p/188"));
            var reader = new TileReader(new FolderTileSource(_dir));
            var old = Checkpoint.Open(File.ReadAllBytes(Path.Combine(_dir, "checkpoint.700")), LogKey).Checkpoint;
            Assert.Equal(old.RootHash, await reader.RootAsync(700));
            var audit = await TileLogAuditor.AuditAsync(reader, old);
            Assert.Equal(700, audit.Entries);
        }
    }
}
