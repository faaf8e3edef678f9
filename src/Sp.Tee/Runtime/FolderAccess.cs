using System.Runtime.InteropServices;
using Sp.Storage.Archive;

namespace Sp.Tee.Runtime;

/// <summary>
/// Who may touch an order's folders on the host: root (the loader) and the container's user, nobody else. The
/// container's user owns its inputs and certificates read-only (directories 0500, files 0400, 0500 when executable)
/// and its output (0700); the order folder above them is root's alone (0700), so another user of the host can
/// neither read a decrypted input nor write into an output, even knowing every path. Needs root (CAP_CHOWN).
/// </summary>
internal static partial class FolderAccess
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerReadOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerReadOnlyFile = UnixFileMode.UserRead;
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private static readonly EnumerationOptions AllChildren = new()
    {
        AttributesToSkip = 0, // dot files too
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Gives <paramref name="directory"/> and everything below it to <paramref name="user"/>, read-only and for it alone.</summary>
    public static void GiveReadOnly(string directory, ContainerUser user)
    {
        Give(directory, user, OwnerReadOnlyDirectory);
        foreach (var path in Directory.EnumerateFileSystemEntries(directory, "*", AllChildren))
        {
            switch (UnixFileKind.Of(path))
            {
                case UnixFileType.Directory:
                    GiveReadOnly(path, user);
                    break;
                case UnixFileType.Regular:
                    var executable = (File.GetUnixFileMode(path) & AnyExecute) != 0;
                    Give(path, user, executable ? OwnerReadOnlyDirectory : OwnerReadOnlyFile);
                    break;
                case var other:
                    // Inputs are extracted as files and directories only: anything else is not the loader's doing.
                    throw new IOException($"'{path}' is {UnixFileKind.Describe(other)}; an order's inputs hold only files and directories");
            }
        }
    }

    /// <summary>Gives the (empty) output directory to <paramref name="user"/>: it alone may write there.</summary>
    public static void GiveWritable(string directory, ContainerUser user) => Give(directory, user, OwnerOnly);

    /// <summary>
    /// Removes everything below <paramref name="directory"/> that is neither a regular file nor a directory (FIFO,
    /// socket, device, symbolic link), without opening it; returns each as "relative/path (a FIFO)", in name order.
    /// </summary>
    public static IReadOnlyList<string> RemoveSpecialEntries(string directory)
    {
        var removed = new List<string>();
        Walk(directory, "");
        return removed;

        void Walk(string dir, string prefix)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(dir, "*", AllChildren).Order(StringComparer.Ordinal))
            {
                var name = prefix + Path.GetFileName(path);
                switch (UnixFileKind.Of(path))
                {
                    case UnixFileType.Directory:
                        Walk(path, name + "/");
                        break;
                    case UnixFileType.Regular or UnixFileType.Missing:
                        break;
                    case var other:
                        File.Delete(path); // unlink: removes a link itself, never its target
                        removed.Add($"{name} ({UnixFileKind.Describe(other)})");
                        break;
                }
            }
        }
    }

    private static void Give(string path, ContainerUser user, UnixFileMode mode)
    {
        if (LChown(path, user.Uid, user.Gid) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot give '{path}' to the container's user {user.DockerUser}: {Marshal.GetPInvokeErrorMessage(errno)} (the loader runs as root)");
        }
        File.SetUnixFileMode(path, mode);
    }

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, uint owner, uint group);
}
