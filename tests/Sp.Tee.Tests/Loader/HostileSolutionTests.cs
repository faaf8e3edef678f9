using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Sp.Core.Model;
using Sp.Api;
using Sp.Tee.Loader;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// Hostile solutions through the whole loader (sp-node process, sealed inputs, report, container, sealed result).
/// The runner image executes the scenario its dataset holds; each scenario must end its order in Error with its
/// own reason, while an honest order placed right behind it ends Done with the right answer. Afterwards nothing
/// of the order is left in the loader's scratch folder.
/// </summary>
[Collection(LoaderCollection.Name)]
public sealed class HostileSolutionTests(LoaderFixture f)
{
    /// <summary>Runs the hostile scenario and an honest order placed just after it; returns the hostile order and its result.</summary>
    private Task<(Order Order, Dictionary<string, byte[]> Result)> RunHostileAsync(string scenario) => HostileRun.RunFailingAsync(f, f.Runner, scenario);

    [Fact]
    public async Task A_solution_that_opens_a_TCP_connection_reaches_nothing()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var hostAddresses = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork).Select(a => a.ToString()).ToList();
        var nodePort = new Uri(f.Net.Url).Port;
        var targets = hostAddresses.SelectMany(a => new[] { $"{a}:{port}", $"{a}:{nodePort}" }).Append("1.1.1.1:80");
        // Positive control first: nc does connect where a peer listens (the container's own private loopback),
        // so the failures below are the sandbox's doing, not a broken nc.
        const string control = "nc -l -p 7777 > /tmp/got & sleep 0.3\necho ping | nc -w 2 127.0.0.1 7777 && echo OWN-LOOPBACK-WORKS\n";
        var scenario = control + string.Concat(targets.Select(t => $"if nc -w 2 {t.Replace(':', ' ')} </dev/null; then echo CONNECTED-{t}; exit 0; fi\n"))
                       + "echo 'no network: every connection failed'; exit 7\n";

        var (order, result) = await RunHostileAsync(scenario);

        Assert.Equal("solution exited with code 7", order.StatusMessage);
        var log = TestNetwork.Text(result, "log.txt");
        Assert.Contains("OWN-LOOPBACK-WORKS", log);
        Assert.Contains("no network: every connection failed", log);
        Assert.DoesNotContain("CONNECTED", log);
        Assert.False(listener.Pending(), "a connection from the solution reached the host");
    }

    [Fact]
    public async Task A_solution_that_writes_to_its_input_is_refused_and_the_input_is_unchanged()
    {
        var (order, result) = await RunHostileAsync("""
            if echo tampered >> /sp/inputs/input-0001/scenario.sh; then echo TAMPERED; exit 0; fi
            if touch /sp/inputs/input-0001/new-file; then echo CREATED; exit 0; fi
            if touch /sp/new-file /new-file; then echo ROOTFS-WRITTEN; exit 0; fi
            awk '$2 == "/sp/inputs/input-0001" { print "input-mount=" $4 }' /proc/mounts
            echo "inputs are read-only"; exit 9
            """);

        Assert.Equal("solution exited with code 9", order.StatusMessage);
        var log = TestNetwork.Text(result, "log.txt");
        Assert.Contains("Read-only file system", log);
        Assert.Contains("inputs are read-only", log);
        // Mounted read-only, not merely owned by another user. Not anchored at a line start: the shell's stderr message
        // (written in pieces) may interleave with this stdout line in the log.
        Assert.Matches("input-mount=ro,", log);
        Assert.DoesNotContain("TAMPERED", log);
        Assert.DoesNotContain("CREATED", log);
        Assert.DoesNotContain("ROOTFS-WRITTEN", log);
    }

    [Fact]
    public async Task A_fork_bomb_ends_its_order_at_the_process_limit_not_the_node()
    {
        // PID 1 forks once (the subshell that starts the bomb), then spins on a builtin: only the loader's watch of the
        // cgroup (or the time limit, with another reason) can end this order. A PID 1 that forks while the bomb grows
        // (`bomb` called directly forks each side of the pipe from PID 1) can be refused, exit 2 and race the watch.
        var (order, result) = await RunHostileAsync("echo forking\nbomb() { bomb | bomb & }\n( bomb ) &\nwhile :; do :; done\n");

        Assert.StartsWith($"process limit of {LoaderFixture.PidsLimit} processes reached", order.StatusMessage);
        Assert.Contains("forking", TestNetwork.Text(result, "log.txt"));
    }

    [Fact]
    public async Task A_memory_hog_ends_with_out_of_memory()
    {
        // busybox tail keeps a newline-free stream in memory: far more than the 128 MiB the order may use.
        var (order, _) = await RunHostileAsync("echo allocating\nhead -c 400m /dev/zero | tail -c 300m > /dev/null\necho survived\n");

        Assert.Equal("out of memory", order.StatusMessage);
    }

    [Fact]
    public async Task A_child_killed_for_memory_ends_the_order_out_of_memory_though_pid_1_exits_0()
    {
        // The child offers itself to the OOM killer; PID 1 (the shell) survives, writes its output and exits 0.
        var (order, result) = await RunHostileAsync("""
            head -c 400m /dev/zero | sh -c 'echo 1000 > /proc/self/oom_score_adj; exec tail -c 300m > /dev/null'
            echo "child ended with $?"
            echo partial > /sp/output/partial.txt
            echo survived
            exit 0
            """);

        Assert.Equal("out of memory", order.StatusMessage);
        var log = TestNetwork.Text(result, "log.txt");
        Assert.Contains("child ended with 137", log);
        Assert.Contains("survived", log);
        Assert.Contains("(exit code 0)", log); // the loader's note of the container's own end
    }

    [Fact]
    public async Task A_solution_that_sleeps_forever_ends_at_the_time_limit()
    {
        var started = DateTimeOffset.UtcNow;
        var (order, result) = await RunHostileAsync("echo sleeping\nsleep 100000\n");

        Assert.Equal($"time limit of {LoaderFixture.TimeLimitSeconds} s exceeded", order.StatusMessage);
        Assert.Contains("sleeping", TestNetwork.Text(result, "log.txt"));
        Assert.InRange(DateTimeOffset.UtcNow - started, TimeSpan.FromSeconds(LoaderFixture.TimeLimitSeconds), TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_solution_that_writes_more_output_than_allowed_ends_at_the_output_limit()
    {
        // Even though the script itself exits 0, its output was cut at the limit: the order is Error.
        var (order, result) = await RunHostileAsync("head -c 32m /dev/zero > /sp/output/big.bin\necho \"head exited $?\"\nexit 0\n");

        Assert.Equal($"output limit of {LoaderFixture.OutputLimitBytes} bytes reached", order.StatusMessage);
        Assert.Contains("head exited 1", TestNetwork.Text(result, "log.txt")); // its writes failed at the limit (ENOSPC)
        Assert.InRange(result["output/big.bin"].Length, 1, LoaderFixture.OutputLimitBytes);
    }

    [Fact]
    public async Task FIFOs_and_symbolic_links_in_the_output_are_left_out_of_the_result_and_never_block_the_loader()
    {
        // A FIFO sorts first: a loader that opened it to archive it would wait forever for a writer.
        var (order, result) = await HostileRun.RunAsync(f, f.Runner, """
            mkdir -p /sp/output/sub/deeper
            echo kept > /sp/output/kept.txt
            echo nested > /sp/output/sub/deeper/nested.txt
            mkfifo /sp/output/a-fifo /sp/output/sub/deeper/z-fifo
            ln -s /sp/inputs/input-0001/scenario.sh /sp/output/link-to-input
            ln -s /etc /sp/output/sub/link-to-dir
            ln -s /nonexistent /sp/output/dangling
            mknod /sp/output/null-device c 1 3 2>/dev/null && echo DEVICE-MADE
            ls -l /sp/output
            """);

        Assert.True(order.Status == OrderStatus.Done, $"{order.Status} {order.StatusMessage}");
        Assert.Equal(["log.txt", "output/", "output/kept.txt", "output/sub/", "output/sub/deeper/", "output/sub/deeper/nested.txt"], result.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("kept\n", TestNetwork.Text(result, "output/kept.txt"));
        Assert.Equal("nested\n", TestNetwork.Text(result, "output/sub/deeper/nested.txt"));
        var log = TestNetwork.Text(result, "log.txt");
        Assert.Contains("[sp-tee: left out of the result (only regular files and directories of /sp/output are kept): a-fifo (a FIFO), "
                        + "dangling (a symbolic link), link-to-input (a symbolic link), sub/deeper/z-fifo (a FIFO), sub/link-to-dir (a symbolic link)]", log);
        Assert.DoesNotContain("DEVICE-MADE", log); // no CAP_MKNOD in the container
    }

    [Fact]
    public async Task A_log_flood_is_capped_noted_and_stopped_at_the_log_limit()
    {
        var (order, result) = await RunHostileAsync("while :; do echo 'flood flood flood flood flood flood flood flood'; done\n");

        Assert.StartsWith($"log limit of {LoaderFixture.LogLimitBytes} bytes exceeded", order.StatusMessage);
        var log = TestNetwork.Text(result, "log.txt");
        Assert.Contains($"[sp-tee: log truncated at {LoaderFixture.LogCapBytes} bytes;", log);
        Assert.InRange(log.Length, LoaderFixture.LogCapBytes, LoaderFixture.LogCapBytes + 16 * 1024); // kept log + note + loader notes
    }

    [Fact]
    public async Task Megabytes_of_log_from_a_solution_that_succeeds_are_capped_and_noted()
    {
        var data = await f.Net.UploadTextAsync("scenario.sh", "head -c 2000000 /dev/zero | tr '\\0' 'x'\necho > /sp/output/ok.txt\n");
        var order = await f.Net.WaitForEndAsync(await f.Net.RunOrderAsync(f.Loader.OfferId, f.Runner, data));

        Assert.Equal(OrderStatus.Done, order.Status);
        var log = TestNetwork.Text(await f.Net.ResultAsync(order), "log.txt");
        Assert.StartsWith(new string('x', (int)LoaderFixture.LogCapBytes) + "\n[sp-tee: log truncated at " + LoaderFixture.LogCapBytes + " bytes; "
                          + (2_000_000 - LoaderFixture.LogCapBytes) + " more bytes were cut]\n", log);
        Assert.Contains("log was cut", log);
    }

    [Fact]
    public async Task A_non_zero_exit_is_an_error_with_the_solution_log_in_the_result()
    {
        var (order, result) = await RunHostileAsync("echo 'partial work done'\necho 'fatal: bad things happened' >&2\nexit 3\n");

        Assert.Equal("solution exited with code 3", order.StatusMessage);
        var log = TestNetwork.Text(result, "log.txt");
        Assert.Contains("partial work done", log);
        Assert.Contains("fatal: bad things happened", log);
    }

    [Fact]
    public async Task The_solution_sees_only_public_certificates_and_no_keys()
    {
        var data = await f.Net.UploadTextAsync("scenario.sh", """
            ls -A /sp/certs > /sp/output/certs-list.txt
            cat /sp/certs/* > /sp/output/certs.txt
            env > /sp/output/env.txt
            ls -A /sp > /sp/output/sp-list.txt
            """);
        var order = await f.Net.WaitForEndAsync(await f.Net.RunOrderAsync(f.Loader.OfferId, f.Runner, data));

        Assert.Equal(OrderStatus.Done, order.Status);
        var result = await f.Net.ResultAsync(order);
        Assert.Equal("order-certificate.pem\n", TestNetwork.Text(result, "output/certs-list.txt"));
        Assert.Equal("certs\ninputs\noutput\n", TestNetwork.Text(result, "output/sp-list.txt"));
        var certs = TestNetwork.Text(result, "output/certs.txt");
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", certs);
        Assert.Equal(order.Report!.Certificate.Trim(), certs.Trim());
        foreach (var text in new[] { certs, TestNetwork.Text(result, "output/env.txt") })
        {
            Assert.DoesNotContain("PRIVATE KEY", text);
            Assert.DoesNotContain(f.Loader.Config.AccountPrivateKey, text);
        }
    }

    [Fact]
    public async Task Decrypted_inputs_live_only_in_memory_backed_scratch_and_are_removed_afterwards()
    {
        var marker = Guid.NewGuid().ToString("N");
        var data = await f.Net.UploadTextAsync("scenario.sh", $"# {marker}\nsleep 3\necho done > /sp/output/done.txt\n");
        var id = await f.Net.RunOrderAsync(f.Loader.OfferId, f.Runner, data);

        // While it runs: its decrypted input sits in a tmpfs, and its output is a tmpfs of the output limit.
        string? input = null;
        for (var i = 0; i < 200 && input is null; i++)
        {
            input = Directory.GetDirectories(f.Loader.Node.ScratchRoot, $"order-{id}-*")
                .Select(d => Path.Combine(d, "inputs", "input-0001", "scenario.sh"))
                .FirstOrDefault(p => File.Exists(p) && File.ReadAllText(p).Contains(marker)); // once fully written
            if (input is null) await Task.Delay(25);
        }
        Assert.NotNull(input);
        Assert.Equal("tmpfs", ScratchSpace.FileSystemOf(input));
        var output = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(input)))!, "output");
        var mount = File.ReadAllLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == output);
        Assert.Contains(" - tmpfs ", mount);
        Assert.Matches($@"size={LoaderFixture.OutputLimitBytes / 1024}k", mount);

        var order = await f.Net.WaitForEndAsync(id);
        Assert.Equal(OrderStatus.Done, order.Status);
        await f.Loader.AssertScratchEmptiesAsync();
        Assert.False(File.Exists(input));
    }
}
