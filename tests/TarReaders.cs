using System.Diagnostics;
using System.Security.Cryptography;

namespace Sp.Testing;

/// <summary>
/// Reads a tar archive (plain or gzip) with the three readers users have: GNU tar, Python's tarfile and libarchive's
/// bsdtar, each listing it and extracting it into a folder of its own. The tools are required, never skipped:
/// scripts/ensure-test-tools.sh installs them. Linked into the test projects that check archives.
/// </summary>
internal static class TarReaders
{
    /// <summary>What one reader made of an archive: its entry names in archive order (directories with a trailing
    /// '/'), and the extracted tree (relative '/'-path → "dir", or "file SHA256" with " x" when user-executable).</summary>
    public sealed record Reading(string Reader, IReadOnlyList<string> Names, SortedDictionary<string, string> Tree);

    // Python strips a directory's trailing '/', so it is put back for the comparison; extraction uses the 'data'
    // filter where this Python has it (3.11.4+), which refuses what our extractor refuses too.
    private const string PythonList = """
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as t:
            for m in t.getmembers():
                print(m.name + ("/" if m.isdir() else ""))
        """;

    private const string PythonExtract = """
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as t:
            t.extractall(sys.argv[2], **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        """;

    /// <summary>Lists and extracts <paramref name="archive"/> with each reader (under <paramref name="scratch"/>).</summary>
    public static IReadOnlyList<Reading> ReadWithAll(string archive, string scratch)
    {
        var readings = new List<Reading>();
        foreach (var (reader, list, extract) in new (string, string[], Func<string, string[]>)[]
                 {
                     ("GNU tar", ["tar", "--quoting-style=literal", "-tf", archive], dir => ["tar", "-xf", archive, "-C", dir]),
                     ("Python tarfile", ["python3", "-c", PythonList, archive], dir => ["python3", "-c", PythonExtract, archive, dir]),
                     ("bsdtar", ["bsdtar", "-tf", archive], dir => ["bsdtar", "-xf", archive, "-C", dir]),
                 })
        {
            var names = Run(reader, list).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var dir = Directory.CreateDirectory(Path.Combine(scratch, reader.Replace(' ', '-'))).FullName;
            Run(reader, extract(dir));
            readings.Add(new Reading(reader, names, Tree(dir)));
        }
        return readings;
    }

    /// <summary>
    /// Asserts that GNU tar, Python's tarfile and bsdtar each list exactly <paramref name="expectedNames"/> (in that
    /// order, each once) and extract exactly <paramref name="expectedTree"/>.
    /// </summary>
    public static void AssertAllRead(string archive, string scratch, IReadOnlyList<string> expectedNames, SortedDictionary<string, string> expectedTree)
    {
        Assert.Equal(expectedNames.Count, expectedNames.Distinct(StringComparer.Ordinal).Count());
        foreach (var r in ReadWithAll(archive, scratch))
        {
            Assert.True(expectedNames.SequenceEqual(r.Names, StringComparer.Ordinal),
                $"{r.Reader} lists\n  {string.Join("\n  ", r.Names)}\nexpected\n  {string.Join("\n  ", expectedNames)}");
            Assert.True(expectedTree.SequenceEqual(r.Tree),
                $"{r.Reader} extracts\n  {string.Join("\n  ", r.Tree)}\nexpected\n  {string.Join("\n  ", expectedTree)}");
        }
    }

    /// <summary>Every file and directory below <paramref name="root"/>, described as <see cref="Reading.Tree"/> does.</summary>
    public static SortedDictionary<string, string> Tree(string root)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, entry.FullName).Replace('\\', '/');
            tree[relative] = entry switch
            {
                _ when entry.LinkTarget is not null => "link",
                FileInfo f => $"file {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f.FullName)))}"
                              + ((f.UnixFileMode & UnixFileMode.UserExecute) != 0 ? " x" : ""),
                _ => "dir",
            };
        }
        return tree;
    }

    private static string Run(string reader, string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8"; // names are UTF-8: printed as they are, not escaped or replaced by '?'
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{reader} ({command[0]}) is required: run scripts/ensure-test-tools.sh ({e.Message})");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{reader}: {string.Join(' ', command)} did not finish in 60 s");
            }
            if (p.ExitCode != 0 || stderr.Result.Length > 0)
                throw new InvalidOperationException($"{reader}: {string.Join(' ', command)} exited {p.ExitCode}: {stderr.Result}");
            return stdout.Result;
        }
    }
}
