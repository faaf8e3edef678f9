using System.Runtime.InteropServices;

namespace Sp.Core;

/// <summary>
/// Replaces a file so that a crash leaves either the old contents or the whole new ones, and once this returns the
/// new ones survive a power cut: written to a temporary file beside it, fsynced, renamed into place, and the
/// folder fsynced (a rename is durable only once its folder is). What must never be forgotten once answered
/// (the log's latest checkpoint, a witness's latest cosigned size) is written this way before the answer.
/// </summary>
public static class DurableFile
{
    public static void Replace(string path, ReadOnlySpan<byte> contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = full + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(contents);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
        FsyncDirectory(dir);
    }

    private static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Native.Open(dir, Native.ORdOnly | Native.ODirectory);
        if (fd < 0) throw new IOException($"cannot open {dir} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.Fsync(fd) != 0) throw new IOException($"fsync of {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    private static class Native
    {
        public const int ORdOnly = 0;
        /// <summary>O_DIRECTORY on Linux: 0200000 on x86 and x86-64, 040000 on arm and arm64 (asm-generic vs arch headers).</summary>
        public static int ODirectory => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 or Architecture.Arm => 0x4000,
            _ => 0x10000,
        };

#pragma warning disable SYSLIB1054, CA2101 // classic marshalling: a path string, no unsafe code needed
        [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern int Open(string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);
#pragma warning restore SYSLIB1054, CA2101
    }
}
