using Sp.Core;

namespace Sp.Core.Tests;

public sealed class SecretFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-secret-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_the_content_readable_by_its_owner_only_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_dir, "key.pem");
        SecretFile.Write(path, "secret\n");
        Assert.Equal("secret\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Replaces_a_file_unless_told_not_to()
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // 0777: the replacement does not inherit it
        SecretFile.Write(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Throws<IOException>(() => SecretFile.Write(path, "newer", overwrite: false));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }
}
