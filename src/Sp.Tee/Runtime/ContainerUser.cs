using System.Globalization;

namespace Sp.Tee.Runtime;

/// <summary>
/// The numeric uid:gid a solution container runs as. The image's USER is honoured only in numeric form: Docker would
/// look a name up in the image's own /etc/passwd, and a uid without a group would get group 0 there. Without a user
/// namespace a container's uid 0 is the host's root, so root (uid 0, or group 0) is refused.
/// </summary>
public readonly record struct ContainerUser(uint Uid, uint Gid)
{
    /// <summary>nobody:nogroup, for images that name no USER (and the group of a USER that names only a uid).</summary>
    public const uint Nobody = 65534;

    public static ContainerUser Default => new(Nobody, Nobody);

    /// <summary>The value of Docker's <c>User</c> field: always "uid:gid", so Docker looks nothing up.</summary>
    public string DockerUser => string.Create(CultureInfo.InvariantCulture, $"{Uid}:{Gid}");

    /// <summary>
    /// The user an image's USER names: empty → 65534:65534; "uid" → uid:65534; "uid:gid" → as given. Throws
    /// <see cref="ImageRefusedException"/> naming the reason for root (uid 0 or group 0) and for names.
    /// </summary>
    public static ContainerUser FromImageUser(string? imageUser)
    {
        if (string.IsNullOrWhiteSpace(imageUser)) return Default;
        var user = imageUser.Trim();
        var parts = user.Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0)) throw Refused(user, "is not of the form uid[:gid]");
        if (parts[0] == "root" || (parts.Length == 2 && parts[1] == "root") || Parse(parts[0]) == 0 || (parts.Length == 2 && Parse(parts[1]) == 0))
            throw Refused(user, "is root (uid or group 0): without a user namespace a container's root is the host's root; name a non-root numeric USER, e.g. USER 1000:1000");
        if (!IsNumeric(parts[0]))
            throw Refused(user, "names a user by name: the loader runs only numeric users (USER uid[:gid], e.g. USER 1000:1000) and looks no name up in the image");
        if (parts.Length == 2 && !IsNumeric(parts[1]))
            throw Refused(user, "names a group by name: the loader runs only numeric groups (USER uid:gid, e.g. USER 1000:1000)");
        var uid = Parse(parts[0]) ?? throw Refused(user, "is out of range (ids are below 4294967295)");
        var gid = parts.Length == 2 ? Parse(parts[1]) ?? throw Refused(user, "is out of range (ids are below 4294967295)") : Nobody;
        return new ContainerUser(uid, gid);
    }

    private static bool IsNumeric(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    /// <summary>A decimal id below 2^32-1 (which means "no id" to the kernel); null when not one.</summary>
    private static uint? Parse(string s) =>
        IsNumeric(s) && uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v != uint.MaxValue ? v : null;

    private static ImageRefusedException Refused(string user, string why) => new($"the image's USER '{user}' {why}");
}
