using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Sp.EndToEnd.Tests;

/// <summary>The collaboration guide, steps 1 to 11, as separate processes of the real binaries.</summary>
[Collection("devnet")]
public sealed class GuideTests(DevnetFixture net)
{
    [Fact]
    public async Task Guide_steps_1_to_11_work_as_written_for_alice_and_bob()
    {
        // 1-2. Alice's archive (built as the guide says) is uploaded.
        File.Copy(net.SolutionArchive, Path.Combine(net.Alice, "mysol.tar.gz"), overwrite: true);
        var up = await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "mysol.tar.gz", "--output", "solution.resource.json", "--filename", "mysol.tar.gz", "--use-addon");
        Assert.Contains("Resource file was created in solution.resource.json", up.Stdout);
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, "solution.resource.json"));
        Assert.Equal(Cli.Sha256File(net.SolutionArchive), h);

        // 3-5. Bob receives the resource file, downloads exactly that one file, and its hash is the resource's.
        File.Copy(Path.Combine(net.Alice, "solution.resource.json"), Path.Combine(net.Bob, "solution.resource.json"), overwrite: true);
        var dl = Path.Combine(net.Bob, "dl");
        Directory.CreateDirectory(dl);
        var down = await Cli.MustAsync(net.Bob, net.Spctl, "files", "download", "solution.resource.json", "./dl", "--use-addon");
        Assert.Equal(["mysol.tar.gz"], Directory.GetFileSystemEntries(dl).Select(Path.GetFileName));
        Assert.Contains("mysol.tar.gz", down.Stdout);
        Assert.Equal(h, Cli.Sha256File(Path.Combine(dl, "mysol.tar.gz")));

        // 6-7 ran in the fixture: the dataset is uploaded and the offer registered through the dialog.
        Assert.Contains($"Slot {net.DataSlotId} for offer {net.DataOfferId} has been created successfully", net.RegisterOutput);
        // The original's questions, with typed (y/n) answers, and its success lines.
        foreach (var question in new[] { "Have you already created a DATA offer? (y/n): ", "Please specify a path to the offer info json file: ",
                     "Please specify a path to the slot info json file: ", "Do you want to add another slot? (y/n): " })
            Assert.Contains(question, net.RegisterOutput);
        Assert.Contains($"Offer {net.DataOfferId} has been created\n", net.RegisterOutput);
        Assert.True(File.Exists(Path.Combine(net.Bob, "provider-info.json")));
        // provider-tools proved its provider, offer and slot transactions in the log: Bob's folder keeps the checkpoint.
        Assert.True(File.Exists(Path.Combine(net.Bob, "ledger", "devnet", "checkpoint")));

        // 8. Alice places the order: it is Blocked by the data sub-order.
        var (order, sub) = await net.PlaceOrderAsync("./solution.resource.json");
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders", "--suborders_fields", "id,type,status");
        Assert.Contains("status: Blocked", get.Stdout);
        Assert.Matches($@"(?m)^{sub}\s+Data\s+Blocked$", get.Stdout);

        // 9. Bob completes it with the hash he verified.
        var complete = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Contains($"Order {sub} has been completed successfully: status=Done", complete.Stdout);

        // 10. Alice waits for Done and downloads the result: output/ and log.txt.
        Assert.Equal("Done", await net.WaitForEndAsync(order));
        var res = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString());
        Assert.Equal("Order result was saved to result.tar.gz", res.Stdout.Trim());
        // Piped, the progress is one line at the end (bytes, rate, time left), on stderr.
        Assert.Matches(@"^download: 100% \d+(\.\d)? (B|KiB)/\d+(\.\d)? (B|KiB) \d+(\.\d)? (B|KiB|MiB)/s ETA 00:00$", res.Stderr.Trim());
        var entries = DevnetFixture.ReadTarGz(Path.Combine(net.Alice, "result.tar.gz"));
        Assert.Contains("output/summary.txt", entries.Keys);
        Assert.Contains("log.txt", entries.Keys);
        Assert.Contains("data.csv rows=3 sum=42", entries["output/summary.txt"]);
        Assert.Contains("finished", entries["log.txt"]);
        // sp-tee proved its order.start, order.report and order.finish in the log and keeps the newest checkpoint.
        var teeCheckpoint = File.ReadAllText(Path.Combine(net.Net, "tee", "ledger", "devnet", "checkpoint"));
        Assert.StartsWith("sp-devnet.local/devnet\n", teeCheckpoint);

        // 11. Both get the report; it validates and its Image and Data hashes are those of the resource files.
        var dataHash = DevnetFixture.HashOf(Path.Combine(net.Bob, "dataset.resource.json"));
        foreach (var who in new[] { net.Alice, net.Bob })
        {
            var rep = await Cli.MustAsync(who, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", "report.json");
            Assert.Contains("Order report validation successful!", rep.Stdout);
            Assert.Matches(@"(?m)^report_inclusion: leaf index \d+ \(ledger entry \d+\) of tree size \d+ verified at http://127\.0\.0\.1:\d+/log$", rep.Stdout); // proved on the ledger's log
            Assert.Contains("WARNING: this report rests on the 'sim' attestation provider: no hardware isolation (TEE) was present", rep.Stdout);
            var ri = JsonNode.Parse(File.ReadAllText(Path.Combine(who, "report.json")))!["workloadInfo"]!["runtimeInfo"]!.AsArray();
            Assert.Contains(ri, e => e!["type"]!.GetValue<string>() == "Image" && e["hash"]!["hash"]!.GetValue<string>() == h);
            Assert.Contains(ri, e => e!["type"]!.GetValue<string>() == "Data" && e["hash"]!["hash"]!.GetValue<string>() == dataHash);
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", JsonNode.Parse(File.ReadAllText(Path.Combine(who, "report.json")))!["certificate"]!.GetValue<string>());
        }

        // The saved report validates offline, and an edited one does not.
        var ok = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "validate-report", "--path", "report.json");
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("Order report validation successful!", ok.Stdout);
        var edited = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "report.json")))!;
        foreach (var e in edited["workloadInfo"]!["runtimeInfo"]!.AsArray())
            if (e!["type"]!.GetValue<string>() == "Data") e["hash"]!["hash"] = new string('0', 64);
        File.WriteAllText(Path.Combine(net.Alice, "edited-report.json"), edited.ToJsonString());
        var bad = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "validate-report", "--path", "edited-report.json");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.DoesNotContain("validation successful", bad.All);
    }

    [Fact]
    public async Task A_wrong_solution_hash_is_refused_and_the_order_stays_blocked()
    {
        var resource = await net.UploadSolutionAsync("wrong-hash");
        var (order, sub) = await net.PlaceOrderAsync(resource);
        var r = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", new string('0', 64));
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("completed successfully", r.All);
        Assert.Contains("solution hash mismatch", r.Stderr);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--suborders");
        Assert.Contains("status: Blocked", get.Stdout);
    }

    [Fact]
    public async Task Alice_cannot_complete_bobs_data_sub_order()
    {
        var resource = await net.UploadSolutionAsync("alice-completes");
        var (_, sub) = await net.PlaceOrderAsync(resource);
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, resource));
        var r = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "complete", sub.ToString(), "--result", resource, "--status", "done", "--solution-hash", h);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("only the owner", r.Stderr);
    }

    [Fact]
    public async Task A_solution_replaced_after_approval_ends_in_error_and_never_sees_the_data()
    {
        // The genuine solution's hash, and an "evil" image whose resource file claims that hash.
        var genuine = await net.UploadSolutionAsync("genuine");
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, genuine));
        var evilDir = Path.Combine(net.Work, "evil");
        Directory.CreateDirectory(evilDir);
        File.Copy("/bin/busybox", Path.Combine(evilDir, "busybox"), overwrite: true);
        File.WriteAllText(Path.Combine(evilDir, "Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\",\"--install\",\"-s\",\"/bin\"]\nENTRYPOINT [\"/bin/sh\",\"-c\",\"cat /sp/inputs/input-0001/* > /sp/output/stolen.txt; echo stolen\"]\n");
        await Cli.MustAsync(evilDir, "/bin/sh", "-c", "DOCKER_BUILDKIT=0 docker build -q -t e2e-evil . >/dev/null && docker save e2e-evil:latest | gzip > evil.tar.gz");
        File.Copy(Path.Combine(evilDir, "evil.tar.gz"), Path.Combine(net.Alice, "evil.tar.gz"), overwrite: true);
        await Cli.MustAsync(net.Alice, net.Spctl, "files", "upload", "evil.tar.gz", "--output", "evil.resource.json");
        var evil = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "evil.resource.json")))!;
        evil["hash"]!["hash"] = h;
        File.WriteAllText(Path.Combine(net.Alice, "evil.resource.json"), evil.ToJsonString());

        var (order, sub) = await net.PlaceOrderAsync("./evil.resource.json");
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal("Error", await net.WaitForEndAsync(order));
        var saveTo = Path.Combine(net.Work, "evil-result.tar.gz");
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", saveTo);
        var entries = DevnetFixture.ReadTarGz(saveTo);
        Assert.DoesNotContain("output/stolen.txt", entries.Keys);
        Assert.DoesNotContain("a,1", string.Concat(entries.Values));
        Assert.Contains("solution hash mismatch", entries["log.txt"]);
        // The report still exists (the TEE took the order) and lists no Data: the dataset was never loaded.
        var rep = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", "evil-report.json");
        var ri = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "evil-report.json")))!["workloadInfo"]!["runtimeInfo"]!.AsArray();
        Assert.DoesNotContain(ri, e => e!["type"]!.GetValue<string>() == "Data");
        Assert.Contains("Order report validation successful!", rep.Stdout);
    }


}
