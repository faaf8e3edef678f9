namespace Sp.Core;

/// <summary>
/// Writes a secret (a key, a config holding a key) so that it is never readable by others, not even for a moment:
/// the file is created with mode 0600 (on Unix) from the start, written beside its destination and then renamed into
/// place, so a crash leaves either the old file or the whole new one.
/// </summary>
public static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="overwrite">Replace an existing file; when false an existing file is an <see cref="IOException"/>.</param>
    public static void Write(string path, string content, bool overwrite = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        var tmp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        try
        {
            using (var stream = new FileStream(tmp, options))
            {
                using (var writer = new StreamWriter(stream, leaveOpen: true))
                    writer.Write(content);
                stream.Flush(flushToDisk: true); // on disk before the rename makes it the file: a power loss leaves old or new
            }
            File.Move(tmp, path, overwrite);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// A folder only its owner can enter (0700 on Unix), for files in the clear (a decrypted result, an upload on its
    /// way to encryption): created so, or narrowed to it when it exists. Returns its full path.
    /// </summary>
    public static string PrivateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows()) return Directory.CreateDirectory(path).FullName;
        const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var dir = Directory.CreateDirectory(path, OwnerAll);
        if (File.GetUnixFileMode(dir.FullName) != OwnerAll) File.SetUnixFileMode(dir.FullName, OwnerAll);
        return dir.FullName;
    }
}
