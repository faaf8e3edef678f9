using System.Security.Cryptography;
using Sp.Tee.Runtime;
using Sp.Tee.Runtime.Docker;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")] // Docker tests: Linux hosts only

namespace Sp.Tee.Tests.Runtime;

/// <summary>
/// Makes a real Docker Engine available (running scripts/ensure-docker.sh when `docker info` fails; tests fail,
/// never skip, when that does not work) and builds tiny FROM-scratch busybox images once, saved with
/// `docker save | gzip` and then removed from the engine so that the tests really load them.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    private const string BusyboxPath = "/bin/busybox";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs <c>/bin/sh /sp/certs/scenario.sh</c>: each test writes its scenario into the certs directory. No USER.</summary>
    public ImageArtifact Scripted { get; private set; } = null!;

    /// <summary>Reads /sp/inputs/input-0001/data.csv, writes /sp/output/result.txt. No USER.</summary>
    public ImageArtifact Csv { get; private set; } = null!;

    /// <summary>USER 1234:1234; prints `id -u`.</summary>
    public ImageArtifact WithUser { get; private set; } = null!;

    /// <summary>A distinct image for the removal test, plus a plain (uncompressed) tar archive.</summary>
    public ImageArtifact Disposable { get; private set; } = null!;

    /// <summary>One `docker save` archive holding two images.</summary>
    public string TwoImagesArchive { get; private set; } = null!;

    public DockerRuntime Runtime { get; private set; } = null!;
    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("sp-tee-runtime-tests-").FullName;
    public string TagSuffix { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public async Task InitializeAsync()
    {
        await EnsureDockerAsync();
        Assert.True(File.Exists(BusyboxPath), $"{BusyboxPath} (Debian busybox-static) is required to build the test images");

        Scripted = await BuildAsync("scripted", userLine: null, entry: """
            #!/bin/sh
            exec /bin/sh /sp/certs/scenario.sh
            """);
        Csv = await BuildAsync("csv", userLine: null, entry: """
            #!/bin/sh
            set -e
            lines=$(wc -l < /sp/inputs/input-0001/data.csv)
            sum=$(awk -F, 'NR > 1 { s += $2 } END { print s }' /sp/inputs/input-0001/data.csv)
            printf 'lines=%s sum=%s\n' "$lines" "$sum" > /sp/output/result.txt
            echo "processed $lines lines"
            """);
        WithUser = await BuildAsync("with-user", userLine: "USER 1234:1234", entry: """
            #!/bin/sh
            echo "uid=$(id -u)"
            """);
        Disposable = await BuildAsync("disposable", userLine: "LABEL sp.test=disposable", entry: """
            #!/bin/sh
            echo disposable
            """, alsoPlainTar: true);

        TwoImagesArchive = Path.Combine(WorkDirectory, "two-images.tar.gz");
        await RunDockerScriptAsync(
            $"docker build -q -t {Scripted.Tag}-copy {Scripted.ContextDirectory} >/dev/null; " +
            $"docker build -q -t {Csv.Tag}-copy {Csv.ContextDirectory} >/dev/null; " +
            $"docker save {Scripted.Tag}-copy {Csv.Tag}-copy | gzip > {TwoImagesArchive}; " +
            $"docker rmi -f {Scripted.Tag}-copy {Csv.Tag}-copy >/dev/null",
            "saving a two-image archive");

        Runtime = new DockerRuntime();
    }

    public async Task DisposeAsync()
    {
        Runtime?.Dispose();
        foreach (var artifact in new[] { Scripted, Csv, WithUser, Disposable })
        {
            if (artifact is not null)
                await ProcessRunner.RunAsync("docker", ["rmi", "-f", artifact.ImageId], CommandTimeout);
        }
        try { Directory.Delete(WorkDirectory, recursive: true); }
        catch (IOException) { /* files written by the container user; best effort */ }
        catch (UnauthorizedAccessException) { }
    }

    public async Task<bool> ContainerExistsWithPrefixAsync(string prefix)
    {
        var result = await ProcessRunner.RunAsync("docker", ["ps", "-aq", "--filter", $"name=^/{prefix}-"], CommandTimeout);
        Assert.True(result.ExitCode == 0, result.Describe("docker ps"));
        return result.StdOut.Trim().Length > 0;
    }

    public async Task<bool> ImageExistsAsync(string imageId)
    {
        var result = await ProcessRunner.RunAsync("docker", ["image", "inspect", imageId], CommandTimeout);
        return result.ExitCode == 0;
    }

    private async Task<ImageArtifact> BuildAsync(string name, string? userLine, string entry, bool alsoPlainTar = false)
    {
        var context = Path.Combine(WorkDirectory, "ctx-" + name);
        Directory.CreateDirectory(context);
        File.Copy(BusyboxPath, Path.Combine(context, "busybox"));
        var entryPath = Path.Combine(context, "entry.sh");
        await File.WriteAllTextAsync(entryPath, entry.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(entryPath, (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"""
            FROM scratch
            COPY busybox /bin/busybox
            RUN ["/bin/busybox", "--install", "-s", "/bin"]
            COPY entry.sh /entry.sh
            {userLine ?? ""}
            ENTRYPOINT ["/entry.sh"]
            """);

        var tag = $"sp-tee-test-{name}:{TagSuffix}";
        var gz = Path.Combine(WorkDirectory, name + ".tar.gz");
        var plain = Path.Combine(WorkDirectory, name + ".tar");
        var build = await ProcessRunner.RunAsync("docker", ["build", "-q", "-t", tag, context], CommandTimeout,
            new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });
        Assert.True(build.ExitCode == 0, build.Describe($"docker build {name}"));
        var imageId = build.StdOut.Trim().Split('\n')[^1].Trim();
        Assert.StartsWith("sha256:", imageId);

        await RunDockerScriptAsync(
            $"docker save {tag} | gzip > {gz}; " + (alsoPlainTar ? $"docker save -o {plain} {tag}; " : "") +
            $"docker rmi -f {tag} >/dev/null",
            $"saving {name}");
        return new ImageArtifact(tag, imageId, gz, alsoPlainTar ? plain : null, context);
    }

    private static async Task RunDockerScriptAsync(string script, string what)
    {
        var result = await ProcessRunner.BashAsync(script, CommandTimeout, new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });
        Assert.True(result.ExitCode == 0, result.Describe(what));
    }

    internal static async Task EnsureDockerAsync()
    {
        var info = await ProcessRunner.RunAsync("docker", ["info"], CommandTimeout);
        if (info.ExitCode == 0) return;

        var script = Path.Combine(FindRepositoryRoot(), "scripts", "ensure-docker.sh");
        var ensure = await ProcessRunner.RunAsync("bash", [script], CommandTimeout);
        Assert.True(ensure.ExitCode == 0, ensure.Describe("scripts/ensure-docker.sh (Docker is required; these tests never skip)"));
        info = await ProcessRunner.RunAsync("docker", ["info"], CommandTimeout);
        Assert.True(info.ExitCode == 0, info.Describe("docker info after ensure-docker.sh"));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "ensure-docker.sh"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no scripts/ensure-docker.sh above {AppContext.BaseDirectory}");
    }
}

public sealed record ImageArtifact(string Tag, string ImageId, string GzipArchive, string? PlainArchive, string ContextDirectory);

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}
