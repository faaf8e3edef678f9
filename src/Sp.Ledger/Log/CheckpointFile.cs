namespace Sp.Ledger.Log;

/// <summary>
/// The latest checkpoint the node signed, kept durably: written to a temporary file, fsynced, renamed into place
/// and the folder fsynced, before the checkpoint is handed to anyone. After a crash the file holds the newest
/// checkpoint anybody can have seen, which is what stops the node from ever signing an inconsistent one.
/// </summary>
public sealed class CheckpointFile(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The signed note, or null when none was ever signed.</summary>
    public byte[]? Read() => File.Exists(Path) ? File.ReadAllBytes(Path) : null;

    public void Write(ReadOnlySpan<byte> note)
    {
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        var tmp = Path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(note);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, Path, overwrite: true);
        FsyncDirectory(dir);
    }

    private static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        // A rename is durable once its folder is: open the folder and fsync(2) it.
        var fd = Native.Open(dir, Native.ORdOnly | Native.ODirectory);
        if (fd < 0) throw new IOException($"cannot open {dir} to flush it (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.Fsync(fd) != 0) throw new IOException($"fsync of {dir} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }
}

internal static class Native
{
    public const int ORdOnly = 0;
    /// <summary>O_DIRECTORY on Linux: 0200000 on x86 and x86-64, 040000 on arm and arm64 (asm-generic vs arch headers).</summary>
    public static int ODirectory => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 or System.Runtime.InteropServices.Architecture.Arm => 0x4000,
        _ => 0x10000,
    };

#pragma warning disable SYSLIB1054, CA2101 // classic marshalling: a path string, no unsafe code needed
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi, BestFitMapping = false)]
    public static extern int Open(string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static extern int Fsync(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);
#pragma warning restore SYSLIB1054, CA2101
}
