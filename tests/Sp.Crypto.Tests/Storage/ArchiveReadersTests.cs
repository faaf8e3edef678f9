using System.Formats.Tar;
using System.Security.Cryptography;
using Sp.Storage.Archive;
using Sp.Testing;

namespace Sp.Crypto.Tests.Storage;

/// <summary>
/// Our archives are standard tar: GNU tar, Python's tarfile and libarchive's bsdtar list the same names, each once,
/// and extract the same tree (issue 15: Python read every name of the old archives under "00000000000/").
/// </summary>
public sealed class ArchiveReadersTests
{
    private static readonly string LongDir = "long-" + new string('d', 95);          // a 100-character segment
    private static readonly string LongFile = new string('f', 150) + ".txt";          // longer than a ustar name field

    private static void MakeTree(TempDir dir, string root)
    {
        dir.Write($"{root}/nested/a/b/c/deep.txt", "deep\n");
        dir.Write($"{root}/{LongDir}/{LongDir}/{LongFile}", "long\n");         // 357 characters in all
        dir.Write($"{root}/with space/file with spaces.txt", "spaces\n");
        dir.Write($"{root}/ünïcode ✓.txt", "utf-8\n");
        dir.Write($"{root}/run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(dir.Combine(root, "run.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(dir.Combine(root, "empty dir"));
        Directory.CreateDirectory(dir.Combine(root, "nested", "empty"));
    }

    private static async Task<List<string>> DotNetNames(string archive)
    {
        var names = new List<string>();
        await using var reader = new TarReader(File.OpenRead(archive));
        while (await reader.GetNextEntryAsync() is { } e) names.Add(e.Name);
        return names;
    }

    [Fact]
    public async Task GNU_tar_Python_and_bsdtar_list_each_entry_once_and_extract_the_same_tree()
    {
        using var dir = new TempDir();
        MakeTree(dir, "src");
        var archive = dir.Combine("tree.tar");
        await using (var fs = File.Create(archive))
            await DeterministicArchive.WriteTarAsync(dir.Combine("src"), fs);

        var names = await DotNetNames(archive);
        var source = TarReaders.Tree(dir.Combine("src"));
        // What .NET reads is the source tree, each path once (directories end in '/').
        Assert.Equal(source.Select(kv => kv.Value == "dir" ? kv.Key + "/" : kv.Key).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Contains(names, n => n.Length > 255); // beyond what even ustar's prefix + name could hold
        Assert.Contains("nested/empty/", names);

        TarReaders.AssertAllRead(archive, dir.Combine("readers"), names, source);
        // The executable bit survives, and our own extractor agrees.
        Assert.EndsWith(" x", source["run.sh"]);
        await using (var fs = File.OpenRead(archive))
            await DeterministicArchive.ExtractTarAsync(fs, dir.Combine("dotnet"));
        Assert.Equal(source, TarReaders.Tree(dir.Combine("dotnet")));
    }

    [Fact]
    public async Task Archives_written_before_issue_15_still_extract_though_Python_misnames_them()
    {
        // The old writer set atime and ctime to the epoch, written as "00000000000" where ustar has its name prefix.
        // Such archives sit in storage behind resource files whose hash is theirs: the loader must still unpack them.
        using var dir = new TempDir();
        var archive = dir.Combine("old.tar");
        await using (var fs = File.Create(archive))
        await using (var writer = new TarWriter(fs, TarEntryFormat.Gnu))
        {
            await writer.WriteEntryAsync(OldEntry(TarEntryType.RegularFile, "hello.txt", 0x1A4, "hello\n"u8.ToArray()));
            await writer.WriteEntryAsync(OldEntry(TarEntryType.Directory, "sub/", 0x1ED, null));
            await writer.WriteEntryAsync(OldEntry(TarEntryType.RegularFile, "sub/data.bin", 0x1A4, Enumerable.Repeat((byte)'x', 1000).ToArray()));
        }
        // The very bytes the old writer made for this tree (DeterministicArchiveTests pinned this hash before the fix).
        Assert.Equal("425aa09abdc5cb6d3f80e13f92f7ef428bf64c265dfc59b895139e46f0b9eb01", Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive))));

        var python = TarReaders.ReadWithAll(archive, dir.Combine("readers")).Single(r => r.Reader == "Python tarfile");
        Assert.Contains("00000000000/hello.txt", python.Names); // the bug this format change removes

        await using (var fs = File.OpenRead(archive))
            await DeterministicArchive.ExtractTarAsync(fs, dir.Combine("dst"));
        Assert.Equal("hello\n", File.ReadAllText(dir.Combine("dst", "hello.txt")));
        Assert.Equal(new string('x', 1000), File.ReadAllText(dir.Combine("dst", "sub", "data.bin")));
    }

    private static GnuTarEntry OldEntry(TarEntryType type, string name, int mode, byte[]? data)
    {
        var entry = new GnuTarEntry(type, name)
        {
            ModificationTime = DateTimeOffset.UnixEpoch,
            AccessTime = DateTimeOffset.UnixEpoch,
            ChangeTime = DateTimeOffset.UnixEpoch,
            Uid = 0,
            Gid = 0,
            UserName = "",
            GroupName = "",
            Mode = (UnixFileMode)mode,
        };
        if (data is not null) entry.DataStream = new MemoryStream(data);
        return entry;
    }
}
