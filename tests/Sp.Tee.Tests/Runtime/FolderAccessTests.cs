using System.Net.Sockets;
using Sp.Tee.Runtime;

namespace Sp.Tee.Tests.Runtime;

/// <summary>The host side of the output clean-up, with what a container cannot make (a socket, a device) made by root here.</summary>
public sealed class FolderAccessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-tee-folder-access-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Special_entries_are_removed_without_being_opened_and_named_in_order()
    {
        var output = Directory.CreateDirectory(Path.Combine(_dir, "output")).FullName;
        Directory.CreateDirectory(Path.Combine(output, "d"));
        await File.WriteAllTextAsync(Path.Combine(output, "d", "kept.txt"), "kept");
        File.CreateSymbolicLink(Path.Combine(output, "d", "link"), "/etc/passwd");
        var made = await ProcessRunner.RunAsync("sh", ["-c", "mkfifo \"$1/fifo\" && mknod \"$1/zero-device\" c 1 5", "sh", output], TimeSpan.FromSeconds(30));
        Assert.True(made.ExitCode == 0, made.Describe("mkfifo/mknod (as root)"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified); // .NET unlinks it on Dispose
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(output, "socket")));
        socket.Listen();

        var removed = FolderAccess.RemoveSpecialEntries(output);

        Assert.Equal(["d/link (a symbolic link)", "fifo (a FIFO)", "socket (a socket)", "zero-device (a character device)"], removed);
        Assert.Equal(["d", "d/kept.txt"], Directory.EnumerateFileSystemEntries(output, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(output, p)).Order(StringComparer.Ordinal));
        Assert.True(File.Exists("/etc/passwd")); // the link went, not its target
    }
}
