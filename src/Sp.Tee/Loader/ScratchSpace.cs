using System.Runtime.InteropServices;
using System.Text;

namespace Sp.Tee.Loader;

/// <summary>
/// One loader's scratch folder, where an order's decrypted solution and inputs, its output and its result
/// archive live while it runs. Each order gets its own folder; its output/ is a tmpfs of the order's output size
/// (a full output fails writes with ENOSPC instead of filling the machine). When the root is not memory-backed
/// the order folder itself is mounted as a tmpfs, so decrypted data never reaches a disk. Everything is unmounted
/// and deleted when the order ends, and at start-up (what a killed loader left behind).
/// Mounting needs CAP_SYS_ADMIN (the loader runs as root); without it the folders are plain and the output
/// size is checked after the run instead.
/// </summary>
public sealed partial class ScratchSpace
{
    private const ulong MsNoSuid = 2, MsNoDev = 4, MsNoExec = 8;
    private const int MntDetach = 2;
    private const string MountInfo = "/proc/self/mountinfo";
    private static readonly string[] MemoryFileSystems = ["tmpfs", "ramfs"];
    /// <summary>0700: no other user of the host enters the scratch root or an order's folder, whatever paths it knows.</summary>
    private const UnixFileMode RootOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public ScratchSpace(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, RootOnly);
        RootIsMemoryBacked = MemoryFileSystems.Contains(FileSystemOf(Root));
    }

    public string Root { get; }
    public bool RootIsMemoryBacked { get; }

    /// <summary>The default parent: /dev/shm (memory-backed) when it exists.</summary>
    public static string DefaultParent => Directory.Exists("/dev/shm") ? "/dev/shm/sp-tee" : Path.Combine(Path.GetTempPath(), "sp-tee");

    /// <summary>Unmounts and deletes everything under the root; returns how many order folders were removed.</summary>
    public int Clean()
    {
        UnmountBelow(Root);
        var count = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(Root))
        {
            DeleteQuietly(entry);
            count++;
        }
        return count;
    }

    public OrderScratch Create(long orderId, long outputLimitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputLimitBytes);
        var dir = Path.Combine(Root, $"order-{orderId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var inMemory = RootIsMemoryBacked || TryMountTmpfs(dir, "mode=0700");
        File.SetUnixFileMode(dir, RootOnly);
        foreach (var sub in new[] { OrderScratch.InputsFolder, OrderScratch.CertsFolder }) Directory.CreateDirectory(Path.Combine(dir, sub), RootOnly);
        var output = Path.Combine(dir, OrderScratch.OutputFolder);
        Directory.CreateDirectory(output, RootOnly);
        // Root's until the container runtime gives it to the container's user (ownership, never a mode open to all).
        var hardLimit = TryMountTmpfs(output, $"size={outputLimitBytes},mode=0700");
        return new OrderScratch(dir, output, outputLimitBytes, hardLimit, inMemory);
    }

    /// <summary>Unmounts and deletes an order's folder; never throws (an order's end must not fail on it).</summary>
    public void Release(OrderScratch scratch)
    {
        try { UnmountBelow(scratch.Path); } catch (IOException) { }
        DeleteQuietly(scratch.Path);
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool TryMountTmpfs(string target, string options) =>
        Mount("tmpfs", target, "tmpfs", MsNoSuid | MsNoDev | MsNoExec, options) == 0;

    /// <summary>Mount points at or below <paramref name="dir"/>, deepest first, detached.</summary>
    internal static void UnmountBelow(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        var mounts = ReadMountPoints().Where(m => m.Path == dir || m.Path.StartsWith(prefix, StringComparison.Ordinal))
            .Select(m => m.Path).Distinct().OrderByDescending(p => p.Length).ToList();
        foreach (var m in mounts) _ = Umount2(m, MntDetach);
    }

    internal static string? FileSystemOf(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        return ReadMountPoints()
            .Where(m => m.Path == "/" || full == m.Path || full.StartsWith(m.Path.TrimEnd('/') + "/", StringComparison.Ordinal))
            .Select((m, i) => (m, i)).OrderByDescending(x => x.m.Path.Length).ThenByDescending(x => x.i) // later mounts hide earlier ones
            .Select(x => x.m.FileSystem).FirstOrDefault();
    }

    private static List<(string Path, string FileSystem)> ReadMountPoints()
    {
        var result = new List<(string, string)>();
        foreach (var line in File.ReadAllLines(MountInfo))
        {
            // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 0 || dash + 1 >= fields.Length) continue;
            result.Add((Unescape(fields[4]), fields[dash + 1]));
        }
        return result;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo (octal).</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var bytes = new List<byte>();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                bytes.Add(Convert.ToByte(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(s[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s.AsSpan(at, 3).IndexOfAnyExcept(OctalDigits) < 0;

    private static readonly System.Buffers.SearchValues<char> OctalDigits = System.Buffers.SearchValues.Create("01234567");

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}

/// <summary>One order's scratch folder (0700, root's). <see cref="Output"/> is mounted at /sp/output.</summary>
public sealed class OrderScratch(string path, string output, long outputLimitBytes, bool outputLimitEnforced, bool memoryBacked)
{
    internal const string InputsFolder = "inputs", CertsFolder = "certs", OutputFolder = "output";

    public string Path { get; } = path;
    public string Output { get; } = output;
    /// <summary>Where the decrypted datasets go, one folder each (input-0001, …).</summary>
    public string Inputs => System.IO.Path.Combine(Path, InputsFolder);
    /// <summary>Mounted at /sp/certs.</summary>
    public string Certs => System.IO.Path.Combine(Path, CertsFolder);
    public long OutputLimitBytes { get; } = outputLimitBytes;
    /// <summary>True when output/ is a tmpfs of that size (writes beyond it fail); false: checked after the run.</summary>
    public bool OutputLimitEnforced { get; } = outputLimitEnforced;
    public bool MemoryBacked { get; } = memoryBacked;

    /// <summary>Room left below which the output counts as full (tmpfs rounds to pages; a writer stops within one).</summary>
    private const long FullMarginBytes = 64 * 1024;

    /// <summary>Whether the solution reached the output limit: its tmpfs is (nearly) full, or its files exceed it.</summary>
    public bool OutputLimitReached()
    {
        if (OutputLimitEnforced)
        {
            var fs = new DriveInfo(Output);
            return fs.AvailableFreeSpace < FullMarginBytes;
        }
        return OutputBytes() > OutputLimitBytes;
    }

    public long OutputBytes() => Directory.Exists(Output)
        ? new DirectoryInfo(Output).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
        : 0;
}
