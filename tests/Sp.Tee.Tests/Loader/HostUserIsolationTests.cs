using System.Diagnostics;
using Sp.Core.Model;
using Sp.Api;
using Sp.Tee.Tests.Runtime;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// Another user of the TEE host (a process of another uid, without capabilities) who knows every path (the scratch
/// folders, /proc/self/mountinfo, the container's /proc/PID/root) attacks an order while it runs, through the real
/// loader and Docker: it must neither read a decrypted input nor write into the output.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class HostUserIsolationTests(LoaderFixture f)
{
    private const int OtherUid = 12345;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs a command as uid/gid 12345 with no supplementary groups (setresuid from root clears every capability).</summary>
    private static Task<ProcessResult> AsOtherUserAsync(params string[] command) =>
        ProcessRunner.RunAsync("setpriv", [$"--reuid={OtherUid}", $"--regid={OtherUid}", "--clear-groups", "--", .. command], CommandTimeout);

    private static async Task<string> StatAsync(string path)
    {
        var r = await ProcessRunner.RunAsync("stat", ["-c", "%u:%g %a", path], CommandTimeout);
        Assert.True(r.ExitCode == 0, r.Describe("stat"));
        return r.StdOut.Trim();
    }

    [Fact]
    public async Task Another_user_of_the_host_can_neither_read_an_input_nor_write_into_the_output_while_an_order_runs()
    {
        // A loader of its own with a long time limit: the attack happens while the solution waits for it.
        await using var loader = await InProcessLoader.StartAsync(f.Net, Path.Combine(f.Work, "tee-host-users"), c => c with
        {
            OrderTimeLimitSeconds = 300, MemoryBytes = LoaderFixture.MemoryBytes, OutputLimitBytes = LoaderFixture.OutputLimitBytes,
        });
        var secret = $"secret-{Guid.NewGuid():N}";
        var data = await f.Net.UploadTextAsync("scenario.sh", $"""
            # {secret}
            touch /sp/output/started
            while [ ! -e /sp/output/attacked ]; do sleep 0.1; done
            ls -A /sp/output > /sp/output/listing.txt
            """);
        var id = await f.Net.RunOrderAsync(loader.OfferId, f.Runner, data);

        // The solution is running once its output holds "started" (the test runs as root and sees it).
        string? orderDir = null;
        var waited = Stopwatch.StartNew();
        while (orderDir is null)
        {
            orderDir = Directory.GetDirectories(loader.Node.ScratchRoot, $"order-{id}-*").FirstOrDefault(d => File.Exists(Path.Combine(d, "output", "started")));
            Assert.True(orderDir is not null || waited.Elapsed < TimeSpan.FromSeconds(120), "the solution did not start");
            if (orderDir is null) await Task.Delay(50);
        }
        var input = Path.Combine(orderDir, "inputs", "input-0001", "scenario.sh");
        var output = Path.Combine(orderDir, "output");
        // The engine lists a container a moment after its process writes (seen empty once under load): ask again briefly.
        var ps = await ProcessRunner.RunAsync("docker", ["ps", "-q", "--filter", $"label=sp.tee.loader={loader.Node.LoaderId}"], CommandTimeout);
        for (var i = 0; i < 50 && ps.StdOut.Trim().Length == 0; i++)
        {
            await Task.Delay(100);
            ps = await ProcessRunner.RunAsync("docker", ["ps", "-q", "--filter", $"label=sp.tee.loader={loader.Node.LoaderId}"], CommandTimeout);
        }
        var inspect = await ProcessRunner.RunAsync("docker", ["inspect", "-f", "{{.State.Pid}}", ps.StdOut.Trim()], CommandTimeout);
        Assert.True(inspect.ExitCode == 0, inspect.Describe("docker inspect") + ps.Describe("docker ps")
            + $"; order {id}: {(await f.Net.Client.GetOrderAsync(id))?.Order.Status}");
        var containerRoot = $"/proc/{inspect.StdOut.Trim()}/root";
        var inputViaContainer = $"{containerRoot}/sp/inputs/input-0001/scenario.sh";

        // Positive controls: the paths are right (root reads the secret through each), the output is the tmpfs
        // mountinfo shows, and the attacker is uid 12345 without capabilities.
        Assert.Contains(secret, await File.ReadAllTextAsync(input));
        Assert.Contains(secret, await File.ReadAllTextAsync(inputViaContainer));
        Assert.Contains(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == output);
        var who = await AsOtherUserAsync("sh", "-c", "id -u; grep CapEff /proc/self/status");
        Assert.Equal($"{OtherUid}\nCapEff:\t0000000000000000\n", who.StdOut);

        // The attack: read the decrypted input (directly, and through the container's root), list the folders,
        // read the decrypted solution, write into the output (directly, and through the container's root).
        foreach (var path in new[] { input, inputViaContainer, Path.Combine(orderDir, "solution.tar.gz") })
        {
            var read = await AsOtherUserAsync("cat", path);
            Assert.True(read.ExitCode != 0, read.Describe($"uid {OtherUid} reading {path}"));
            Assert.DoesNotContain(secret, read.StdOut);
        }
        foreach (var dir in new[] { loader.Node.ScratchRoot, orderDir, Path.Combine(orderDir, "inputs"), output })
        {
            var list = await AsOtherUserAsync("ls", dir);
            Assert.True(list.ExitCode != 0, list.Describe($"uid {OtherUid} listing {dir}"));
        }
        foreach (var target in new[] { Path.Combine(output, "intruder"), $"{containerRoot}/sp/output/intruder-via-proc" })
        {
            var write = await AsOtherUserAsync("sh", "-c", "echo intruded > \"$1\"", "sh", target);
            Assert.True(write.ExitCode != 0, write.Describe($"uid {OtherUid} writing {target}"));
        }

        // What makes it so: the scratch root and the order folder are root's alone; the input is the container
        // user's alone, read-only; the output is the container user's alone; nothing else is open to anyone.
        Assert.Equal("0:0 700", await StatAsync(loader.Node.ScratchRoot));
        Assert.Equal("0:0 700", await StatAsync(orderDir));
        Assert.Equal("65534:65534 400", await StatAsync(input));
        Assert.Equal("65534:65534 500", await StatAsync(Path.GetDirectoryName(input)!));
        Assert.Equal("65534:65534 700", await StatAsync(output));
        var open = Directory.EnumerateFileSystemEntries(orderDir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(p => !p.StartsWith(output + "/", StringComparison.Ordinal)) // the solution's own files, inside its 0700 output
            .Where(p => (File.GetUnixFileMode(p) & (UnixFileMode)0x3F) != 0)        // any group or other bit
            .Select(p => $"{p} {File.GetUnixFileMode(p)}").ToList();
        Assert.Empty(open);

        await File.WriteAllTextAsync(Path.Combine(output, "attacked"), "");
        var order = await f.Net.WaitForEndAsync(id);
        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
        var listing = TestNetwork.Text(await f.Net.ResultAsync(order), "output/listing.txt");
        Assert.DoesNotContain("intru", listing);
        await loader.AssertScratchEmptiesAsync();
    }
}
