using System.Formats.Tar;

namespace Sp.Storage.Archive;

/// <summary>
/// Tar archives whose bytes depend only on the tree's names, contents and executable bits, so the same tree
/// hashes the same on any machine. GNU tar format (long names as ././@LongLink entries): the PAX writer of
/// System.Formats.Tar puts the process id into every extended header's name, which would break that.
/// </summary>
/// <remarks>
/// Normalisation: entries in a depth-first walk, each directory's children sorted by ordinal name, a directory's
/// entry before its contents, each entry once; names relative to the archived directory with '/' separators
/// (directories end in '/'); mtime = Unix epoch; atime and ctime not written (their GNU fields left NUL, as GNU
/// tar leaves them: Python's tarfile reads those 24 bytes as a ustar name prefix, so an atime of "00000000000"
/// became the directory "00000000000/" in front of every name); uid = gid = 0; empty user and group names; mode
/// 0755 for directories and for files with any execute bit, 0644 for other files. Symbolic links, FIFOs, sockets
/// and devices are refused (never opened). docs/storage.md "Archives" says why and what changed.
/// </remarks>
public static class DeterministicArchive
{
    public const TarEntryFormat Format = TarEntryFormat.Gnu;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode ExecutableMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    public const UnixFileMode DirectoryMode = ExecutableMode;
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // 0777: no setuid, setgid or sticky on extraction

    private static readonly EnumerationOptions ListChildren = new()
    {
        AttributesToSkip = 0, // include hidden and system files: the archive is the whole tree
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Writes the contents of <paramref name="directory"/> (not the directory itself) as a tar archive.</summary>
    public static async Task WriteTarAsync(string directory, Stream output, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new TarWriter(output, Format, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
            await AppendDirectoryAsync(writer, directory, entryPrefix: "", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends the contents of <paramref name="directory"/> to <paramref name="writer"/> with the same
    /// normalisation, each name prefixed by <paramref name="entryPrefix"/> (e.g. "output/"). A non-empty prefix
    /// gets its own directory entry first, so an empty directory still appears.
    /// </summary>
    public static async Task AppendDirectoryAsync(TarWriter writer, string directory, string entryPrefix, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entryPrefix);
        var root = new DirectoryInfo(directory);
        if (!root.Exists) throw new DirectoryNotFoundException($"directory to archive not found: {root.FullName}");
        var prefix = entryPrefix.Replace('\\', '/').TrimStart('/');
        if (prefix.Length > 0)
        {
            if (!prefix.EndsWith('/')) prefix += "/";
            ValidateEntryName(prefix.TrimEnd('/'));
            await writer.WriteEntryAsync(NewEntry(TarEntryType.Directory, prefix, DirectoryMode), ct).ConfigureAwait(false);
        }
        await AppendChildrenAsync(writer, root, prefix, ct).ConfigureAwait(false);
    }

    private static async Task AppendChildrenAsync(TarWriter writer, DirectoryInfo directory, string prefix, CancellationToken ct)
    {
        var children = directory.EnumerateFileSystemInfos("*", ListChildren).ToList();
        children.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var child in children)
        {
            ct.ThrowIfCancellationRequested();
            if (child.LinkTarget is not null || child.Attributes.HasFlag(FileAttributes.ReparsePoint))
                throw new IOException($"cannot archive '{child.FullName}': it is a symbolic link (or another reparse point); archives hold only files and directories");
            // .NET lists a FIFO, a socket or a device as a file, and opening a FIFO blocks until someone writes to it.
            if (UnixFileKind.Of(child.FullName) is not (UnixFileType.Regular or UnixFileType.Directory) and var kind)
                throw new IOException($"cannot archive '{child.FullName}': it is {UnixFileKind.Describe(kind)}; archives hold only files and directories");
            var name = prefix + child.Name;
            switch (child)
            {
                case DirectoryInfo sub:
                    await writer.WriteEntryAsync(NewEntry(TarEntryType.Directory, name + "/", DirectoryMode), ct).ConfigureAwait(false);
                    await AppendChildrenAsync(writer, sub, name + "/", ct).ConfigureAwait(false);
                    break;
                case FileInfo file:
                    var entry = NewEntry(TarEntryType.RegularFile, name, IsExecutable(file) ? ExecutableMode : FileMode);
                    var data = new FileStream(file.FullName, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    await using (data.ConfigureAwait(false))
                    {
                        entry.DataStream = data;
                        await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// Appends one directory entry named <paramref name="name"/> (a trailing '/' is added), normalised like the
    /// others; for a directory that has no contents to archive.
    /// </summary>
    public static Task AppendDirectoryEntryAsync(TarWriter writer, string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var entryName = NormalisedName(name);
        return writer.WriteEntryAsync(NewEntry(TarEntryType.Directory, entryName + "/", DirectoryMode), ct);
    }

    /// <summary>Appends one regular file named <paramref name="name"/> holding the rest of <paramref name="data"/>, mode 0644.</summary>
    public static Task AppendFileAsync(TarWriter writer, string name, Stream data, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(data);
        var entry = NewEntry(TarEntryType.RegularFile, NormalisedName(name), FileMode);
        entry.DataStream = data;
        return writer.WriteEntryAsync(entry, ct);
    }

    /// <summary>'/' separators, no leading or trailing '/'; refused (naming it) when empty, absolute or holding "..".</summary>
    private static string NormalisedName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Replace('\\', '/').Trim('/');
        ValidateEntryName(trimmed);
        return trimmed;
    }

    // AccessTime and ChangeTime stay unset: .NET 10 then leaves the GNU atime and ctime fields NUL (see the remarks).
    private static GnuTarEntry NewEntry(TarEntryType type, string name, UnixFileMode mode) => new(type, name)
    {
        ModificationTime = DateTimeOffset.UnixEpoch,
        Uid = 0,
        Gid = 0,
        UserName = "",
        GroupName = "",
        Mode = mode,
    };

    private static bool IsExecutable(FileInfo file) =>
        !OperatingSystem.IsWindows() && (file.UnixFileMode & AnyExecute) != 0;

    /// <summary>
    /// Extracts <paramref name="input"/> under <paramref name="destinationDirectory"/> (created if missing).
    /// Only directories and regular files are accepted; absolute names, "..", links and devices are refused
    /// with an <see cref="InvalidDataException"/> naming the entry. Existing files are never overwritten.
    /// </summary>
    public static async Task ExtractTarAsync(Stream input, string destinationDirectory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var root = Path.GetFullPath(destinationDirectory);
        Directory.CreateDirectory(root);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var reader = new TarReader(input, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) continue; // metadata only, names no file
                var relative = ValidateEntryName(entry.Name);
                var target = Path.GetFullPath(Path.Combine(root, relative));
                if (target != root && !target.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                    throw BadEntry(entry.Name, "it resolves outside the destination");
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        if (target == root) throw BadEntry(entry.Name, "a file cannot replace the destination directory");
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        await WriteFileAsync(entry, target, ct).ConfigureAwait(false);
                        break;
                    default:
                        throw BadEntry(entry.Name, $"its type {entry.EntryType} is not allowed (only directories and regular files)");
                }
            }
        }
    }

    private static async Task WriteFileAsync(TarEntry entry, string target, CancellationToken ct)
    {
        var output = new FileStream(target, System.IO.FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        await using (output.ConfigureAwait(false))
        {
            if (entry.DataStream is { } data)
                await data.CopyToAsync(output, ct).ConfigureAwait(false);
        }
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(target, entry.Mode & PermissionBits);
    }

    /// <summary>Returns the name as a relative path with the platform's separators, or throws naming it.</summary>
    private static string ValidateEntryName(string name)
    {
        if (string.IsNullOrEmpty(name)) throw BadEntry(name, "the name is empty");
        if (name.Contains('\0')) throw BadEntry(name, "the name contains a NUL character");
        if (name.Contains('\\')) throw BadEntry(name, "the name contains a backslash");
        if (name.StartsWith('/') || Path.IsPathRooted(name) || (name.Length >= 2 && name[1] == ':'))
            throw BadEntry(name, "it is an absolute path");
        var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Contains("..")) throw BadEntry(name, "it contains '..'");
        var kept = segments.Where(s => s != ".").ToArray();
        return kept.Length == 0 ? "." : Path.Combine(kept);
    }

    private static InvalidDataException BadEntry(string name, string why) =>
        new($"refusing tar entry '{name}': {why}");
}
