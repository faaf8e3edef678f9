using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// The log as static files (node.json <c>publish</c>): sp-node writes its tiles, entry bundles and checkpoint to an S3
/// bucket (a real s3rver) or a folder as the log grows, so readers need only the bucket: spctl and Go's reference
/// code verify it with the node stopped; publishing survives a SIGKILL; a target that holds another history is
/// refused.
/// </summary>
public sealed partial class LedgerLogTests
{
    [Fact]
    public async Task A_log_published_to_S3_verifies_from_the_bucket_alone_with_spctl_and_gos_tlog()
    {
        await using var s3 = await S3rverProcess.StartAsync("sp-log");
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        SetPublish(node.Dir, new JsonObject
        {
            ["s3"] = new JsonObject
            {
                ["endpoint"] = s3.Endpoint, ["bucket"] = s3.Bucket, ["prefix"] = "logtest/",
                ["accessKey"] = S3rverProcess.AccessKey, ["secretKey"] = S3rverProcess.SecretKey,
            },
        });
        await node.StartAsync();
        Assert.Contains($"publishing the log as static files to s3://{s3.Bucket}/logtest/ at {s3.Endpoint}", node.Output);
        var alice = await ClientAsync(node, "alice");
        var bucket = $"{s3.Endpoint}/{s3.Bucket}/logtest";

        await SendAsync(node, 300);
        var old = Path.Combine(_work, "checkpoint.300");
        await File.WriteAllBytesAsync(old, await WaitPublishedAsync(bucket, 300));

        // Served by the bucket with the node's caching rules: tiles immutable, the checkpoint revalidated.
        using (var http = new HttpClient())
        {
            var tile = await http.GetAsync(bucket + "/tile/0/000");
            Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
            Assert.Equal(256 * 32, (await tile.Content.ReadAsByteArrayAsync()).Length);
            Assert.Contains("immutable", tile.Headers.CacheControl?.ToString() ?? tile.Content.Headers.GetValues("Cache-Control").Single());
            var checkpoint = await http.GetAsync(bucket + "/checkpoint");
            Assert.Equal("no-cache", checkpoint.Headers.CacheControl?.ToString());
        }

        // SIGKILL in the middle of the log's growth: the next run goes on from the bucket's checkpoint.
        await SendAsync(node, 7);
        await node.KillAsync();
        await node.StartAsync();
        await SendAsync(node, 5);
        await WaitPublishedAsync(bucket, 312);
        await node.StopAsync();

        // The bucket alone (no node): spctl verifies every tile, signature and the replay; Go's sumdb/tlog agrees and
        // proves it consistent with the checkpoint seen at 300.
        var verify = await Cli.RunAsync(alice, Cli.Bin("spctl"), ["ledger", "verify", "--log-url", bucket], null, 180);
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains("tree_size: 312", verify.Stdout);
        Assert.Contains("signatures_verified: 312", verify.Stdout);
        var go = await GoCheck(bucket, node.VerifierKey, old);
        Assert.True(go.ExitCode == 0, go.All);
        Assert.Contains("verified: checkpoint of tree size 312, 312 entries proved included, consistent with tree size 300", go.Stdout);
    }

    [Fact]
    public async Task A_log_published_to_a_folder_holds_its_export_and_a_folder_of_another_history_is_refused()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        SetPublish(node.Dir, new JsonObject { ["folder"] = "published" });
        var published = Path.Combine(node.Dir, "published");
        await node.StartAsync();
        // Two passes at least: partial tiles of the first (tile/0/001.p/4) stay, the second adds their successors.
        await SendAsync(node, 260);
        await WaitPublishedAsync(published, 260);
        Assert.True(File.Exists(Path.Combine(published, "tile", "0", "001.p", "4")));
        await SendAsync(node, 300);
        await node.StopAsync(); // the last pass publishes the final checkpoint

        // Every file `sp-node log export` writes is in the published folder, byte for byte (checkpoint included).
        var export = Path.Combine(_work, "export");
        var exported = await Cli.RunAsync(node.Dir, Cli.Bin("sp-node"), ["log", "export", export], null, 120);
        Assert.True(exported.ExitCode == 0, exported.All);
        var files = Directory.GetFiles(export, "*", SearchOption.AllDirectories);
        Assert.Contains(Path.Combine(export, "tile", "0", "002.p", "48"), files);
        foreach (var file in files)
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(published, Path.GetRelativePath(export, file))));
        var go = await GoCheck(published, node.VerifierKey);
        Assert.True(go.ExitCode == 0, go.All);
        Assert.Contains("verified: checkpoint of tree size 560, 560 entries proved included", go.Stdout);

        // Another node (another log key, another history) told to publish to the same folder does not start.
        await using var other = await NodeProcess.InitAsync(Path.Combine(_work, "other"));
        SetPublish(other.Dir, new JsonObject { ["folder"] = published });
        var refused = await Assert.ThrowsAsync<NodeExitedException>(other.StartAsync);
        Assert.Contains($"{published}: its checkpoint is not this log's", refused.Message);
        Assert.Contains("560", File.ReadAllText(Path.Combine(published, "checkpoint")).Split('\n')[1]);
    }

    [Fact]
    public async Task A_log_published_with_witnesses_carries_their_cosignatures_which_gos_note_verifies()
    {
        await using var node = await NodeProcess.InitAsync(Path.Combine(_work, "node"));
        await using var w1 = await Sp.Witness.Tests.WitnessProcess.StartAsync(Path.Combine(_work, "w1"), "witness.example/w1", Path.Combine(node.Dir, "log-key.pub"));
        await using var w2 = await Sp.Witness.Tests.WitnessProcess.StartAsync(Path.Combine(_work, "w2"), "witness.example/w2", Path.Combine(node.Dir, "log-key.pub"));
        node.UseWitnesses(w1, w2);
        SetPublish(node.Dir, new JsonObject { ["folder"] = "published" });
        var published = Path.Combine(node.Dir, "published");
        await node.StartAsync();
        await SendAsync(node, 40);
        await WaitPublishedAsync(published, 40);

        // The published checkpoint is the cosigned one /log/checkpoint serves: Go's sumdb/note verifies the node's
        // signature and each witness's cosignature/v1, and Go's sumdb/tlog reads the folder as before.
        var go = await Sp.Witness.Tests.GoCosignatureCheck.RunAsync(Path.Combine(published, "checkpoint"), node.VerifierKey, w1.VerifierKey, w2.VerifierKey);
        Assert.True(go.ExitCode == 0, go.Output);
        Assert.Matches(@"verified: checkpoint of sp-devnet\.local/logtest at tree size 40, cosigned by witness\.example/w1 at \d+, witness\.example/w2 at \d+", go.Output);
        var tlog = await GoCheck(published, node.VerifierKey);
        Assert.True(tlog.ExitCode == 0, tlog.All);
        Assert.Contains("verified: checkpoint of tree size 40, 40 entries proved included", tlog.Stdout);
        // A witness key the node never asked: Go finds no cosignature by it (the check can fail).
        await using var w3 = await Sp.Witness.Tests.WitnessProcess.StartAsync(Path.Combine(_work, "w3"), "witness.example/w3", Path.Combine(node.Dir, "log-key.pub"));
        var absent = await Sp.Witness.Tests.GoCosignatureCheck.RunAsync(Path.Combine(published, "checkpoint"), node.VerifierKey, w1.VerifierKey, w3.VerifierKey);
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("no valid cosignature by witness.example/w3", absent.Output);
    }

    /// <summary>Sets node.json's <c>publish</c> member.</summary>
    private static void SetPublish(string nodeDir, JsonObject publish)
    {
        var path = Path.Combine(nodeDir, "node.json");
        var settings = JsonNode.Parse(File.ReadAllText(path))!;
        settings["publish"] = publish;
        File.WriteAllText(path, settings.ToJsonString());
    }

    /// <summary>Waits (30 s at most) until the checkpoint at <paramref name="logUrl"/> (URL or folder) covers
    /// <paramref name="size"/> entries; returns it.</summary>
    private static async Task<byte[]> WaitPublishedAsync(string logUrl, long size)
    {
        using var http = new HttpClient();
        var last = "";
        for (var i = 0; i < 300; i++)
        {
            byte[]? note = null;
            if (logUrl.StartsWith("http", StringComparison.Ordinal))
            {
                var r = await http.GetAsync(logUrl + "/checkpoint");
                if (r.IsSuccessStatusCode) note = await r.Content.ReadAsByteArrayAsync();
            }
            else if (File.Exists(Path.Combine(logUrl, "checkpoint"))) note = await File.ReadAllBytesAsync(Path.Combine(logUrl, "checkpoint"));
            if (note is not null)
            {
                last = Encoding.UTF8.GetString(note);
                if (long.TryParse(last.Split('\n')[1], out var published) && published >= size) return note;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{logUrl}: no checkpoint of tree size {size} within 30 s (last: {last})");
    }
}
