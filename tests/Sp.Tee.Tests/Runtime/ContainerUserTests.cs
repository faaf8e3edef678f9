using Sp.Tee.Runtime;

namespace Sp.Tee.Tests.Runtime;

public sealed class ContainerUserTests
{
    [Theory]
    [InlineData(null, "65534:65534")]
    [InlineData("", "65534:65534")]
    [InlineData("1000", "1000:65534")]
    [InlineData("1000:1000", "1000:1000")]
    [InlineData(" 42:7 ", "42:7")]
    public void A_numeric_or_absent_USER_becomes_uid_and_gid(string? imageUser, string expected) =>
        Assert.Equal(expected, ContainerUser.FromImageUser(imageUser).DockerUser);

    [Theory]
    [InlineData("0", "is root")]
    [InlineData("root", "is root")]
    [InlineData("0:1000", "is root")]
    [InlineData("1000:0", "is root")]
    [InlineData("1000:root", "is root")]
    [InlineData("app", "names a user by name")]
    [InlineData("app:app", "names a user by name")]
    [InlineData("1000:staff", "names a group by name")]
    [InlineData("1000:", "is not of the form uid[:gid]")]
    [InlineData("1:2:3", "is not of the form uid[:gid]")]
    [InlineData("4294967295", "is out of range")]
    [InlineData("1000:99999999999", "is out of range")]
    public void Root_names_and_malformed_users_are_refused_naming_the_USER(string imageUser, string why)
    {
        var e = Assert.Throws<ImageRefusedException>(() => ContainerUser.FromImageUser(imageUser));
        Assert.StartsWith($"solution image refused: the image's USER '{imageUser}' {why}", e.Message);
    }
}
