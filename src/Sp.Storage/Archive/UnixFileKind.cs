using System.Runtime.InteropServices;

namespace Sp.Storage.Archive;

/// <summary>The type of a file system entry as the kernel has it (st_mode's S_IFMT).</summary>
public enum UnixFileType { Missing, Regular, Directory, SymbolicLink, Fifo, Socket, CharacterDevice, BlockDevice, Unknown }

/// <summary>
/// What a path is, without following a final symbolic link and without opening it: .NET reports a FIFO, a socket
/// or a device as an ordinary file, and opening a FIFO to read it blocks until someone writes.
/// </summary>
public static class UnixFileKind
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxBufferBytes = 256; // sizeof(struct statx), the same on every architecture
    private const int StatxModeOffset = 28;   // __u16 stx_mode
    private const int Enoent = 2, Enotdir = 20;

    public static UnixFileType Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var buffer = new byte[StatxBufferBytes];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir) return UnixFileType.Missing;
            throw new IOException($"cannot stat '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return (BitConverter.ToUInt16(buffer, StatxModeOffset) & 0xF000) switch
        {
            0x8000 => UnixFileType.Regular,
            0x4000 => UnixFileType.Directory,
            0xA000 => UnixFileType.SymbolicLink,
            0x1000 => UnixFileType.Fifo,
            0xC000 => UnixFileType.Socket,
            0x2000 => UnixFileType.CharacterDevice,
            0x6000 => UnixFileType.BlockDevice,
            _ => UnixFileType.Unknown,
        };
    }

    /// <summary>"a FIFO", "a symbolic link", … for messages.</summary>
    public static string Describe(UnixFileType type) => type switch
    {
        UnixFileType.Regular => "a regular file",
        UnixFileType.Directory => "a directory",
        UnixFileType.SymbolicLink => "a symbolic link",
        UnixFileType.Fifo => "a FIFO",
        UnixFileType.Socket => "a socket",
        UnixFileType.CharacterDevice => "a character device",
        UnixFileType.BlockDevice => "a block device",
        UnixFileType.Missing => "gone",
        _ => "of an unknown type",
    };

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
