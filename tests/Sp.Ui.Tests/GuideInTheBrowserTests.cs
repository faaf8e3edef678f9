using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sp.EndToEnd.Tests;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Sp.Ui.Tests;

using Cli = Sp.EndToEnd.Tests.Cli; // the linked helper, not the Sp.Cli namespace Sp.Ui brings in

/// <summary>
/// The collaboration guide through `spctl ui`: Alice and Bob each run their own UI process on their own config
/// folder, each in their own browser context, on the devnet (Bob's data offer registered by the fixture).
/// </summary>
[Collection("devnet")]
public sealed class GuideInTheBrowserTests(DevnetFixture net, BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Alice_and_Bob_run_the_guide_in_two_browsers()
    {
        await using var aliceUi = await UiProcess.StartAsync(net.Alice);
        await using var bobUi = await UiProcess.StartAsync(net.Bob);
        var alice = await browser.OpenAsync(aliceUi);
        var bob = await browser.OpenAsync(bobUi, width: 360); // readable on a phone's width

        // The token set the cookie and left the address bar.
        Assert.DoesNotContain("token=", alice.Url, StringComparison.Ordinal);
        await Expect(alice.Locator($"#offer-{net.TeeOfferId}")).ToBeVisibleAsync();
        await Expect(alice.Locator($"#offer-{net.DataOfferId}")).ToContainTextAsync("Bob sales data");
        await BrowserFixture.ShotAsync(alice, "01-offers", output);

        // Alice uploads the solution archive from her browser.
        await alice.GotoAsync(aliceUi.Base + "/Files");
        var archive = Path.Combine(net.Work, "ui-solution.tar.gz");
        File.Copy(net.SolutionArchive, archive, overwrite: true);
        await alice.Locator("#file").SetInputFilesAsync(archive);
        await alice.Locator("#upload").ClickAsync();
        // The browser's leg done, the store's leg has a page of its own: progress, then the resource file.
        await Expect(alice.Locator("#notice")).ToContainTextAsync("Resource file was created in ui-files/ui-solution.tar.gz.resource.json", new() { Timeout = 60_000 });
        Assert.Contains("/Transfer?id=", alice.Url, StringComparison.Ordinal);
        await Expect(alice.Locator("#transfer-status")).ToHaveTextAsync(Progress("upload"));
        var hash = (await alice.Locator("#stored-hash").TextContentAsync())!.Trim();
        Assert.Equal(Cli.Sha256File(archive), hash);
        Assert.Empty(Directory.GetFiles(Path.Combine(net.Alice, "ui-files"), "*.part")); // the clear copy is gone
        await BrowserFixture.ShotAsync(alice, "02-files-upload", output);

        // The builder shows the cost before anything is created.
        await alice.GotoAsync(aliceUi.Base + "/Workflow");
        await alice.Locator("#Solution").SelectOptionAsync("file:ui-files/ui-solution.tar.gz.resource.json");
        await alice.Locator($"#data-{net.DataOfferId}-{net.DataSlotId}").CheckAsync();
        await alice.Locator("#Tee").SelectOptionAsync(net.TeeOfferId.ToString());
        var before = await OrderCountAsync();
        await alice.Locator("#preview").ClickAsync();
        await Expect(alice.Locator("#cost")).ToContainTextAsync("(the cheapest that fits)");
        await Expect(alice.Locator("#declared-hash")).ToHaveTextAsync(hash);
        await Expect(alice.Locator("#minimum-cost")).ToHaveTextAsync(new Regex(@"^\d"));
        Assert.Equal(before, await OrderCountAsync()); // nothing created yet
        await BrowserFixture.ShotAsync(alice, "03-workflow-cost", output);
        await alice.Locator("#create").ClickAsync();
        await Expect(alice.Locator("#notice")).ToContainTextAsync("Workflow was created, TEE order id");
        var orderId = long.Parse(Regex.Match(alice.Url, @"id=(\d+)").Groups[1].Value);
        await Expect(alice.Locator("#suborders")).ToContainTextAsync("Data");
        await BrowserFixture.ShotAsync(alice, "04-order-created", output);
        // Alice stays on her order's page, her focus on a link: its status goes live without a reload.
        await alice.EvaluateAsync("() => { window.notReloaded = true; }");
        await alice.Locator("header a[href='/Ledger']").FocusAsync();

        // Bob compares the declared hash with the one Alice sent him, and approves.
        await bob.GotoAsync(bobUi.Base + "/Approvals");
        var approval = bob.Locator("section", new() { HasText = $"of workflow {orderId} " });
        await Expect(approval.Locator(".declared")).ToHaveTextAsync(hash);
        // By keyboard: type the hash, Tab to the file, Tab to the button, Enter.
        await approval.Locator("input[name=SolutionHash]").FocusAsync();
        await bob.Keyboard.TypeAsync(hash);
        await bob.Keyboard.PressAsync("Tab");
        await Expect(approval.Locator("select[name=Resource]")).ToBeFocusedAsync();
        await approval.Locator("select[name=Resource]").SelectOptionAsync("dataset.resource.json");
        await BrowserFixture.ShotAsync(bob, "05-approvals", output);
        await bob.Keyboard.PressAsync("Tab");
        await Expect(approval.Locator("button[id^=approve-]")).ToBeFocusedAsync();
        await bob.Keyboard.PressAsync("Enter");
        await Expect(bob.Locator("#notice")).ToContainTextAsync("has been completed successfully: status=Done");
        await BrowserFixture.ShotAsync(bob, "06-approved", output);

        // Alice watches it finish: the page polls, and swaps in what changed.
        await Expect(alice.Locator("#status")).ToHaveTextAsync("Done", new() { Timeout = 240_000 });
        await Expect(alice.Locator("#download")).ToBeVisibleAsync();
        Assert.True(await alice.EvaluateAsync<bool>("() => window.notReloaded === true"), "the order's page was reloaded");
        await Expect(alice.Locator("header a[href='/Ledger']")).ToBeFocusedAsync();
        await BrowserFixture.ShotAsync(alice, "07-order-done", output);
        await alice.GotoAsync(aliceUi.Base + "/Orders");
        await Expect(alice.Locator($"#order-{orderId} .status")).ToHaveTextAsync("Done");
        await BrowserFixture.ShotAsync(alice, "08-my-orders", output);

        // The result, verified before the browser gets it.
        await alice.GotoAsync($"{aliceUi.Base}/Order?id={orderId}");
        await alice.Locator("#download").ClickAsync();
        await Expect(alice.Locator("#notice")).ToContainTextAsync($"Order result was saved to ui-results/result-{orderId}.tar.gz", new() { Timeout = 60_000 });
        await Expect(alice.Locator("#transfer-status")).ToHaveTextAsync(Progress("download"));
        await BrowserFixture.ShotAsync(alice, "08b-result-downloaded", output);
        var download = await alice.RunAndWaitForDownloadAsync(() => alice.Locator("#save-result").ClickAsync());
        Assert.Equal($"result-{orderId}.tar.gz", download.SuggestedFilename);
        // Clear files wait only in folders no other user of the host can enter.
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(net.Alice, "ui-results")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(net.Alice, "ui-files")));
        var saved = Path.Combine(net.Work, $"ui-result-{orderId}.tar.gz");
        await download.SaveAsAsync(saved);
        var entries = DevnetFixture.ReadTarGz(saved);
        Assert.Contains("data.csv rows=3 sum=42", entries["output/summary.txt"]);

        // The report, validated as `orders get-report` validates it.
        await alice.GotoAsync($"{aliceUi.Base}/Order?id={orderId}");
        await alice.Locator("#report").ClickAsync();
        await Expect(alice.Locator("#verdict")).ToHaveTextAsync("Order report validation successful!");
        await Expect(alice.Locator("#sim-warning")).ToContainTextAsync("'sim' attestation provider");
        await Expect(alice.Locator("#lines")).ToContainTextAsync("report_inclusion: leaf index");
        await Expect(alice.Locator("#lines")).ToContainTextAsync("certificate_chain: order");
        await Expect(alice.Locator("#hashes")).ToContainTextAsync(hash);
        await Expect(alice.Locator("#hashes")).ToContainTextAsync("Data");
        await BrowserFixture.ShotAsync(alice, "09-report", output);

        // The ledger: checkpoint, newest transactions, and the whole log verified.
        await alice.GotoAsync(aliceUi.Base + "/Ledger");
        await Expect(alice.Locator("#transactions")).ToContainTextAsync("order.finish");
        await alice.Locator("#verify").ClickAsync();
        await Expect(alice.Locator("#verify-lines")).ToContainTextAsync("Ledger verification successful!", new() { Timeout = 120_000 });
        await BrowserFixture.ShotAsync(alice, "10-ledger-verified", output);

        // Every page reads at 360 px wide (Bob's window) without scrolling sideways.
        foreach (var path in new[] { "/", "/Files", "/Workflow", "/Orders", $"/Order?id={orderId}", $"/Report?id={orderId}", "/Approvals", "/Ledger" })
        {
            await bob.GotoAsync(bobUi.Base + path);
            await Expect(bob.Locator("h1")).ToBeVisibleAsync();
            await BrowserFixture.AssertFitsAsync(bob);
            await Expect(bob.Locator("#error")).ToHaveCountAsync(0);
        }
        Assert.Empty(browser.Offsite); // no CDN, no internet: every request stayed on this machine
    }

    [Fact]
    public async Task Without_the_token_every_request_is_forbidden()
    {
        await using var ui = await UiProcess.StartAsync(net.Alice);
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(ui.Base + "/Orders");
        Assert.Equal(403, response!.Status);
        response = await page.GotoAsync(ui.Base + "/?token=" + new string('0', 48));
        Assert.Equal(403, response!.Status);
        Assert.Equal(403, (await page.GotoAsync(ui.Base + "/live.js"))!.Status);
        // A form posted without the antiforgery token is refused even with the cookie.
        await page.GotoAsync(ui.Url);
        foreach (var script in new[] { "/live.js", "/upload.js" })
        {
            var served = await page.APIRequest.GetAsync(ui.Base + script);
            Assert.Equal(200, served.Status);
            Assert.StartsWith("text/javascript", served.Headers["content-type"], StringComparison.Ordinal);
        }
        var post = await page.APIRequest.PostAsync(ui.Base + "/Ledger?handler=Verify");
        Assert.Equal(400, post.Status);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_solution_hash_is_refused_on_the_approvals_page()
    {
        var (order, sub) = await net.PlaceOrderAsync(await net.UploadSolutionAsync("ui-wrong-hash"));
        await using var bobUi = await UiProcess.StartAsync(net.Bob);
        var bob = await browser.OpenAsync(bobUi);
        await bob.GotoAsync(bobUi.Base + "/Approvals");
        var approval = bob.Locator($"#approval-{sub}");
        await approval.Locator("input[name=SolutionHash]").FillAsync(new string('a', 64));
        await approval.Locator("select[name=Resource]").SelectOptionAsync("dataset.resource.json");
        await approval.Locator("button[id^=approve-]").ClickAsync();
        await Expect(bob.Locator("#error")).ToContainTextAsync($"Order {sub} was not completed:");
        await Expect(bob.Locator("#error")).ToContainTextAsync($"solution hash mismatch: sub-order {sub} is for solution ");
        await Expect(bob.Locator("#error")).ToContainTextAsync($"got {new string('a', 64)}");
        await Expect(bob.Locator($"#approval-{sub}")).ToBeVisibleAsync(); // still waiting
        Assert.DoesNotContain("   at ", await bob.ContentAsync(), StringComparison.Ordinal);
        await BrowserFixture.ShotAsync(bob, "11-error-wrong-hash", output);
        Assert.True(order > 0);
    }

    [Fact]
    public async Task A_data_owner_declines_and_the_workflow_ends_canceled_with_its_deposit_refunded()
    {
        var (order, sub) = await net.PlaceOrderAsync(await net.UploadSolutionAsync("ui-declined"));
        await using var bobUi = await UiProcess.StartAsync(net.Bob);
        var bob = await browser.OpenAsync(bobUi, width: 360);
        await bob.GotoAsync(bobUi.Base + "/Approvals");
        await bob.Locator($"#decline-{sub}").FocusAsync();
        await bob.Keyboard.PressAsync("Enter"); // by keyboard
        await Expect(bob.Locator("#notice")).ToHaveTextAsync($"Order {sub} has been completed successfully: status=Canceled");
        await Expect(bob.Locator($"#approval-{sub}")).ToHaveCountAsync(0); // no longer waiting
        await BrowserFixture.ShotAsync(bob, "14-declined", output);
        Assert.Equal("Canceled", await net.WaitForEndAsync(order));
        var parent = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--fields", "status,deposit,paid,refunded");
        var deposit = Regex.Match(parent.Stdout, @"(?m)^deposit: (\S+)$").Groups[1].Value;
        Assert.Equal(Cli.Lines("status: Canceled", $"deposit: {deposit}", "paid: 0", $"refunded: {deposit}"), parent.Stdout);
    }

    [Fact]
    public async Task The_builder_creates_only_what_it_showed_and_refuses_a_solution_with_another_hash()
    {
        await net.UploadSolutionAsync("ui-builder");
        await using var aliceUi = await UiProcess.StartAsync(net.Alice);
        var alice = await browser.OpenAsync(aliceUi);
        await alice.GotoAsync(aliceUi.Base + "/Workflow");
        await alice.Locator("#Solution").SelectOptionAsync("file:ui-builder.resource.json");
        await alice.Locator("#Tee").SelectOptionAsync(net.TeeOfferId.ToString());

        // The hash Alice expects is not her file's: refused before anything is planned or created.
        await alice.Locator("#SolutionHash").FillAsync(new string('b', 64));
        await alice.Locator("#preview").ClickAsync();
        await Expect(alice.Locator("#error")).ToContainTextAsync($"solution hash {new string('b', 64)} differs from the hash of the solution in ui-builder.resource.json");
        await Expect(alice.Locator("#error")).ToContainTextAsync("no order was created");
        await Expect(alice.Locator("#create")).ToHaveCountAsync(0);

        // The cost shown, then the deposit edited: Create shows the new cost and creates nothing.
        await alice.Locator("#SolutionHash").FillAsync("");
        await alice.Locator("#Deposit").FillAsync("3");
        await alice.Locator("#preview").ClickAsync();
        await Expect(alice.Locator("#deposit")).ToHaveTextAsync("3");
        var before = await OrderCountAsync();
        await alice.Locator("#Deposit").FillAsync("4");
        await alice.Locator("#create").ClickAsync();
        await Expect(alice.Locator("#error")).ToContainTextAsync("differs from the one whose cost was shown");
        await Expect(alice.Locator("#deposit")).ToHaveTextAsync("4"); // the new cost is shown
        Assert.Equal(before, await OrderCountAsync());
        Assert.Contains("/Workflow", alice.Url, StringComparison.Ordinal);
        await BrowserFixture.ShotAsync(alice, "15-builder-changed", output);
    }

    [Fact]
    public async Task A_refused_order_says_why()
    {
        await net.UploadSolutionAsync("ui-refused");
        await using var aliceUi = await UiProcess.StartAsync(net.Alice);
        var alice = await browser.OpenAsync(aliceUi);
        await alice.GotoAsync(aliceUi.Base + "/Workflow");
        await alice.Locator("#Solution").SelectOptionAsync("file:ui-refused.resource.json");
        await alice.Locator("#Tee").SelectOptionAsync(net.TeeOfferId.ToString());
        await alice.Locator("#Deposit").FillAsync("99999999");
        await alice.Locator("#preview").ClickAsync();
        await Expect(alice.Locator("#deposit")).ToHaveTextAsync("99999999");
        await alice.Locator("#create").ClickAsync();
        await Expect(alice.Locator("#error")).ToContainTextAsync("transaction refused: insufficient balance");
        Assert.DoesNotContain("   at ", await alice.ContentAsync(), StringComparison.Ordinal);
        await BrowserFixture.ShotAsync(alice, "12-error-refused-order", output);
    }

    [Fact]
    public async Task An_unreachable_node_is_named_on_the_page()
    {
        // Alice's config with a node address where nothing listens.
        var config = File.ReadAllText(Path.Combine(net.Alice, "config.json")).Replace(net.NodeUrl, "http://127.0.0.1:9", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(net.Alice, "offline.json"), config);
        await using var ui = await UiProcess.StartAsync(net.Alice, "offline.json");
        var page = await browser.OpenAsync(ui);
        await Expect(page.Locator("#error")).ToContainTextAsync("cannot reach the node at http://127.0.0.1:9");
        await BrowserFixture.ShotAsync(page, "13-error-node-unreachable", output);
        await page.GotoAsync(ui.Base + "/Orders");
        await Expect(page.Locator("#error")).ToContainTextAsync("cannot reach the node");
        Assert.DoesNotContain("   at ", await page.ContentAsync(), StringComparison.Ordinal);
    }

    /// <summary>A finished transfer's line, as spctl prints it piped: phase, 100 %, bytes of the total, rate, no time left.</summary>
    private static Regex Progress(string phase) =>
        new($@"^{phase}: 100% \d+(\.\d+)? (B|KiB|MiB)/\d+(\.\d+)? (B|KiB|MiB) \d+(\.\d+)? (B|KiB|MiB|GiB)/s ETA 00:00$");

    private async Task<int> OrderCountAsync()
    {
        var r = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "list", "--my-account");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }
}
