namespace Sp.EndToEnd.Tests;

/// <summary>sp-devnet's contract: state survives down + up, two devnets run side by side, down waits for exit.</summary>
public sealed class DevnetLifecycleTests
{
    [Fact]
    public async Task State_survives_down_and_up_and_two_devnets_run_at_once()
    {
        var work = Directory.CreateTempSubdirectory("sp-life-").FullName;
        var one = Path.Combine(work, "one");
        var two = Path.Combine(work, "two");
        try
        {
            Assert.Equal(0, (await Cli.RunAsync(work, Cli.Bin("sp-devnet"), ["up", one], null, 300)).ExitCode);
            Assert.Equal(0, (await Cli.RunAsync(work, Cli.Bin("sp-devnet"), ["up", two], null, 300)).ExitCode);
            var bob = Path.Combine(one, "bob");
            File.WriteAllText(Path.Combine(bob, "d.csv"), "k,v\nx,1\n");
            await Cli.MustAsync(bob, Cli.Bin("spctl"), "files", "upload", "d.csv", "--output", "d.resource.json");
            var before = await Cli.MustAsync(bob, Cli.Bin("spctl"), "files", "download", "d.resource.json", Directory.CreateTempSubdirectory().FullName);
            Assert.EndsWith("d.csv", before.Stdout.Trim());

            var down = await Cli.RunAsync(work, Cli.Bin("sp-devnet"), ["down", one], null, 120);
            Assert.Equal(0, down.ExitCode);
            // down returns only after its processes have exited: the node no longer answers.
            var offline = await Cli.RunAsync(bob, Cli.Bin("spctl"), ["offers", "list", "tee"], null, 60);
            Assert.Equal(1, offline.ExitCode);
            Assert.Contains("cannot reach the node", offline.Stderr);
            // The other devnet is unaffected.
            Assert.Equal(0, (await Cli.RunAsync(Path.Combine(two, "alice"), Cli.Bin("spctl"), "offers", "list", "tee")).ExitCode);

            Assert.Equal(0, (await Cli.RunAsync(work, Cli.Bin("sp-devnet"), ["up", one], null, 300)).ExitCode);
            var again = await Cli.MustAsync(bob, Cli.Bin("spctl"), "files", "download", "d.resource.json", Directory.CreateTempSubdirectory().FullName);
            Assert.Equal("k,v\nx,1\n", File.ReadAllText(again.Stdout.Trim()));
            var tee = await Cli.MustAsync(Path.Combine(one, "alice"), Cli.Bin("spctl"), "offers", "list", "tee");
            Assert.Equal(2, tee.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // the same single TEE offer, re-certified
        }
        finally
        {
            await Cli.RunAsync(work, Cli.Bin("sp-devnet"), ["down", one], null, 120);
            await Cli.RunAsync(work, Cli.Bin("sp-devnet"), ["down", two], null, 120);
        }
    }
}
