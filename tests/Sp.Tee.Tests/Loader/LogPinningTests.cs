using Sp.Client.Config;
using Sp.Core;
using Sp.Tlog;
using Sp.Tee.Tests.Runtime;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// sp-tee pins the node's log key (tee.json logKey): it proves each of its transactions in the log, keeps the
/// newest verified checkpoint beside its configuration, and refuses to run against a log that contradicts it.
/// </summary>
public sealed class LogPinningTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-tee-log-tests-").FullName;

    public Task InitializeAsync() => DockerFixture.EnsureDockerAsync();

    public Task DisposeAsync()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_loader_keeps_a_verified_checkpoint_and_will_not_start_on_a_log_that_rolled_back()
    {
        var teeDir = Path.Combine(_work, "tee");
        var kept = Path.Combine(teeDir, "ledger", TestNetwork.Network, "checkpoint");
        string logKeyDir;
        long seenSize;
        await using (var honest = await TestNetwork.StartAsync(Path.Combine(_work, "honest")))
        {
            logKeyDir = honest.NodeDir;
            await using (await InProcessLoader.StartAsync(honest, teeDir))
            {
                // Bob's 3 set-up transactions, then the loader's provider, offer and slot: each one proved.
                seenSize = KeptSize(honest.LogKey, kept);
                Assert.Equal(6, seenSize);
                Assert.Equal(6, (await Sp.Client.Ledger.ClientLog.NodeLogInfoAsync(honest.Client))!.TreeSize);
            }
        }

        // Another node with the same log key and a shorter history, at the loader's next start.
        await using var forked = await TestNetwork.StartAsync(Path.Combine(_work, "forked"), nodeDir =>
        {
            foreach (var f in new[] { "log-key", "log-key.pub" }) File.Copy(Path.Combine(logKeyDir, f), Path.Combine(nodeDir, f), overwrite: true);
        });
        var e = await Assert.ThrowsAsync<LogIntegrityError>(() => InProcessLoader.StartAsync(forked, teeDir));
        Assert.Contains("tree size 3, smaller than tree size 6", e.Message);
        Assert.Single(Directory.GetFiles(Path.Combine(teeDir, "ledger", TestNetwork.Network, "evidence")));
        Assert.Equal(seenSize, KeptSize(forked.LogKey, kept));
    }

    private static long KeptSize(string logKey, string path) =>
        Checkpoint.Open(File.ReadAllBytes(path), NoteVerifier.Parse(logKey)).Checkpoint.TreeSize;
}
