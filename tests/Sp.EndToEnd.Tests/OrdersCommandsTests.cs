using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sp.EndToEnd.Tests;

/// <summary>
/// `orders list|get|complete|cancel|download-result|get-report` and `workflows replenish-deposit` as the original
/// shapes them (issue 15): several statuses and ids, the original's field names, pagination, overwriting results.
/// </summary>
[Collection("devnet")]
public sealed partial class OrdersCommandsTests(DevnetFixture net)
{
    [Fact]
    public async Task Several_ids_statuses_and_the_originals_fields_work_on_list_get_complete_and_cancel()
    {
        var solution = await net.UploadSolutionAsync("list-sol");
        var (o1, s1) = await net.PlaceOrderAsync(solution);
        var (o2, s2) = await net.PlaceOrderAsync(solution);
        var (o3, _) = await net.PlaceOrderAsync(solution);

        // complete: each id on its own line; an id that fails does not stop the others, and the exit code is 1.
        var complete = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "complete", s1.ToString(), "999999", s2.ToString(), "--status", "error", "--debug");
        Assert.Equal(1, complete.ExitCode);
        Assert.Equal($"Order {s1} has been completed successfully: status=Error\nOrder {s2} has been completed successfully: status=Error\n", complete.Stdout);
        Assert.StartsWith("Order 999999 was not completed: order 999999 does not exist", complete.Stderr);
        var canceled = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "complete", s1.ToString(), "--status", "canceled");
        Assert.Equal(1, canceled.ExitCode);
        Assert.StartsWith($"Order {s1} was not completed: ", canceled.Stderr);
        Assert.Contains($"sub-order {s1} is Error: only a Blocked or New sub-order can be completed", canceled.Stderr); // the ledger's refusal

        // cancel: the same.
        var cancel = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "cancel", o1.ToString(), o3.ToString(), "--debug");
        Assert.Equal(1, cancel.ExitCode);
        Assert.Equal($"Order {o3} was canceled successfully\n", cancel.Stdout);
        Assert.StartsWith($"Order {o1} was not canceled: ", cancel.Stderr);
        Assert.Contains($"order {o1} is already Error", cancel.Stderr);
        Assert.Single(cancel.Stderr.TrimEnd('\n').Split('\n'));

        // list: several statuses, newest first, the original's field names and ours.
        string[] filter = ["orders", "list", "--my-account", "--type", "tee", "--status", "error,CANCELED"];
        var all = await Cli.MustAsync(net.Alice, net.Spctl, [.. filter, "--fields", "id,status,offer_name,cancelable,total_deposit,unspent_deposit,sub_orders_count,consumer_address,modified"]);
        var lines = all.Stdout.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^id\s+status\s+offer_name\s+cancelable\s+total_deposit\s+unspent_deposit\s+sub_orders_count\s+consumer_address\s+modified$", lines[0]);
        var ids = lines.Skip(1).Select(l => long.Parse(l.Split(' ')[0])).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.True(ids.IndexOf(o3) < ids.IndexOf(o2) && ids.IndexOf(o2) < ids.IndexOf(o1), all.Stdout);
        var alice = (await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", o1.ToString(), "--fields", "consumer")).Stdout.Trim()["consumer: ".Length..];
        Assert.Matches($@"(?m)^{o3}\s+Canceled\s+\S.*\s+(true|false)\s+[0-9.]+\s+[0-9.]+\s+1\s+{alice}\s+\d{{4}}-\d\d-\d\dT", all.Stdout);
        Assert.Matches($@"(?m)^{o2}\s+Error\s", all.Stdout);
        Assert.DoesNotContain("Last pagination cursor", all.Stdout);
        var onlyError = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "list", "--my-account", "--type", "tee", "--status", "error");
        Assert.Contains($"\n{o1} ", onlyError.Stdout);
        Assert.DoesNotContain($"\n{o3} ", onlyError.Stdout);
        Assert.Matches(@"^id\s+type\s+status\s+offer_id\s+parent_order_id\s+modified\n", onlyError.Stdout); // the default columns
        var unknown = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "list", "--status", "done,finished");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("'finished' is not an order status (valid: new, processing, canceling, canceled, done, error, blocked, suspended)", unknown.Stderr);

        // --my-account, --type (any case) and --offers (ids separated by commas) filter on the node.
        var mineData = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "list", "--my-account", "--type", "DATA", "--offers", net.DataOfferId.ToString(),
            "--fields", "id,type,offer_id,consumer_address");
        var dataRows = mineData.Stdout.TrimEnd('\n').Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.All(dataRows, r => Assert.Equal(["Data", net.DataOfferId.ToString(), alice], r[1..]));
        Assert.Contains(dataRows, r => r[0] == s1.ToString());
        Assert.Contains(dataRows, r => r[0] == s2.ToString());
        var twoOffers = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "list", "--offers", $"{net.TeeOfferId},{net.DataOfferId}", "--fields", "id,offer_id");
        var twoRows = twoOffers.Stdout.TrimEnd('\n').Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.All(twoRows, r => Assert.Contains(r[1], new[] { net.TeeOfferId.ToString(), net.DataOfferId.ToString() }));
        Assert.Contains(twoRows, r => r[0] == o1.ToString());
        Assert.Contains(twoRows, r => r[0] == s1.ToString());
        // Bob placed none of Alice's orders: he sees them, but not with --my-account.
        Assert.Contains($"\n{o1} ", (await Cli.MustAsync(net.Bob, net.Spctl, "orders", "list", "--fields", "id,consumer_address")).Stdout);
        var bobs = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "list", "--my-account", "--fields", "id,consumer_address");
        Assert.DoesNotContain(alice, bobs.Stdout);
        Assert.DoesNotContain($"\n{o1} ", bobs.Stdout);

        // Pages: --limit, then --cursor from the last line; together they are the whole list.
        var first = await Cli.MustAsync(net.Alice, net.Spctl, [.. filter, "--fields", "id", "--limit", "2"]);
        var firstLines = first.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["id", .. ids.Take(2).Select(i => i.ToString()), $"Last pagination cursor: {ids[1]}"], firstLines.Select(l => l.TrimEnd()));
        var second = await Cli.MustAsync(net.Alice, net.Spctl, [.. filter, "--fields", "id", "--limit", "100", "--cursor", ids[1].ToString()]);
        Assert.Equal(["id", .. ids.Skip(2).Select(i => i.ToString()), $"Last pagination cursor: {ids[^1]}"], second.Stdout.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()));

        // --save-to: the page as the original saves it, and the table as well.
        var saved = await Cli.MustAsync(net.Alice, net.Spctl, [.. filter, "--limit", "1", "--save-to", "page.json"]);
        Assert.Contains($"Saved result to {Path.Combine(net.Alice, "page.json")}\n", saved.Stdout);
        var page = JsonNode.Parse(File.ReadAllText(Path.Combine(net.Alice, "page.json")))!;
        Assert.Equal(ids[0].ToString(), page["cursor"]!.GetValue<string>());
        var item = page["list"]!.AsArray().Single()!;
        Assert.Equal(ids[0].ToString(), item["id"]!.GetValue<string>());
        Assert.Equal("TeeOffer", item["type"]!.GetValue<string>());
        Assert.Equal(1, item["subOrdersCount"]!.GetValue<int>());
        Assert.Equal(alice, item["consumerAddress"]!.GetValue<string>());
        foreach (var key in new[] { "offerName", "offerDescription", "status", "offerId", "totalDeposit", "totalUnspentDeposit", "deposit", "unspentDeposit", "cancelable", "modifiedDate" })
            Assert.NotNull(item[key]);

        // get --fields: exactly the keys asked, in that order; the sub-order table takes the original's names too.
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", o1.ToString(), "--fields", "status,offer_name,total_deposit,modified_date",
            "--suborders", "--suborders_fields", "id,offer_name,status,actual_cost,modified_date");
        var getLines = get.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["status: Error", "offer_name: ", "total_deposit: ", "modified_date: "], getLines.Take(4).Select(l => l[..(l.IndexOf(' ') + 1)] + (l.StartsWith("status", StringComparison.Ordinal) ? l["status: ".Length..] : "")));
        Assert.Matches(@"^id\s+offer_name\s+status\s+actual_cost\s+modified_date$", getLines[4]);
        Assert.Matches($@"^{s1}\s+Bob sales data\s+Error\s+0\s+\d{{4}}-", getLines[5]);
        // Without --suborders, no sub-order table.
        Assert.Equal("status: Error\n", (await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", o1.ToString(), "--fields", "status")).Stdout);
        var badField = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "get", o1.ToString(), "--fields", "offer_nam");
        Assert.Equal(1, badField.ExitCode);
        Assert.Contains("--fields: unknown field 'offer_nam'", badField.Stderr);
    }

    /// <summary>
    /// `complete --status canceled`: no order waits in Canceling here, so it means what is honest on this network, the
    /// data owner declining to release the data: the sub-order and its workflow end Canceled without running, and
    /// the consumer's deposit comes back whole.
    /// </summary>
    [Fact]
    public async Task Complete_canceled_declines_the_release_and_the_workflow_ends_canceled_without_running()
    {
        var solution = await net.UploadSolutionAsync("decline-sol");
        var (order, sub) = await net.PlaceOrderAsync(solution);
        var notOwner = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "complete", sub.ToString(), "--status", "CANCELED");
        Assert.Equal(1, notOwner.ExitCode);
        Assert.StartsWith($"Order {sub} was not completed: ", notOwner.Stderr);
        Assert.Contains($"only the owner of offer {net.DataOfferId} ", notOwner.Stderr);

        // No slot of this workflow is priced per hour: --minutes cannot say how many tokens, and the error says to use --sppi.
        var byMinutes = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "replenish-deposit", order.ToString(), "--minutes", "30", "--yes");
        Assert.Equal(1, byMinutes.ExitCode);
        Assert.Contains($"order {order} has no slot priced per hour", byMinutes.Stderr);
        Assert.Contains("pass --sppi TOKENS", byMinutes.Stderr);

        var declined = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--status", "canceled");
        Assert.Equal($"Order {sub} has been completed successfully: status=Canceled\n", declined.Stdout);
        Assert.Equal("Canceled", await net.WaitForEndAsync(order));
        var parent = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order.ToString(), "--fields", "status,status_message,deposit,paid,refunded,report");
        var deposit = Regex.Match(parent.Stdout, @"(?m)^deposit: (\S+)$").Groups[1].Value;
        Assert.Equal(Cli.Lines("status: Canceled",
            $"status_message: data sub-order {sub} was completed with Canceled by the owner of offer {net.DataOfferId}: the data was not released",
            $"deposit: {deposit}", "paid: 0", $"refunded: {deposit}", "report: not published"), parent.Stdout);
        var subLine = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "get", sub.ToString(), "--fields", "status,status_message");
        Assert.Equal(Cli.Lines("status: Canceled", $"status_message: the owner of offer {net.DataOfferId} declined to release the data"), subLine.Stdout);
        var noResult = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", "declined.tar.gz");
        Assert.Equal(1, noResult.ExitCode);
        Assert.Contains($"order {order} has no result yet (status Canceled)", noResult.Stderr);
        var again = await Cli.RunAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--status", "canceled");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"sub-order {sub} is Canceled: only a Blocked or New sub-order can be completed", again.Stderr);
    }

    [Fact]
    public async Task Download_result_replaces_an_existing_file_and_get_report_prints_the_report_itself()
    {
        var solution = await net.UploadSolutionAsync("overwrite-sol");
        var (order, sub) = await net.PlaceOrderAsync(solution);
        var h = DevnetFixture.HashOf(Path.Combine(net.Alice, solution));
        await Cli.MustAsync(net.Bob, net.Spctl, "orders", "complete", sub.ToString(), "--result", "./dataset.resource.json", "--status", "done", "--solution-hash", h);
        Assert.Equal("Done", await net.WaitForEndAsync(order));

        var dir = Directory.CreateDirectory(Path.Combine(net.Work, "overwrite")).FullName;
        var target = Path.Combine(dir, "out.tar.gz");
        File.WriteAllText(target, "an older file");
        var refused = await Cli.RunAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", target, "--no-clobber");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"{target} already exists", refused.Stderr);
        Assert.Equal("an older file", File.ReadAllText(target));

        var res = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "download-result", order.ToString(), "--save-to", target, "--debug");
        Assert.Equal($"Order result was saved to {target}", res.Stdout.Trim());
        Assert.Contains("data.csv rows=3 sum=42", DevnetFixture.ReadTarGz(target)["output/summary.txt"]);
        Assert.Equal(["out.tar.gz"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName)); // no temporary file left

        // get-report: the summary and inclusion lines, the report as indented JSON (what --save-to writes), then the verdict.
        var rep = await Cli.MustAsync(net.Bob, net.Spctl, "orders", "get-report", order.ToString(), "--save-to", "overwrite-report.json");
        var lines = rep.Stdout.TrimEnd('\n').Split('\n');
        var open = Array.IndexOf(lines, "{");
        var close = Array.IndexOf(lines, "}");
        Assert.True(open > 0 && close > open, rep.Stdout);
        Assert.Equal($"Order report of order {order}", lines[0][..lines[0].IndexOf(" (", StringComparison.Ordinal)]);
        Assert.Contains(lines[..open], l => l.StartsWith("report_inclusion: leaf index", StringComparison.Ordinal));
        var json = string.Join('\n', lines[open..(close + 1)]);
        Assert.Equal(File.ReadAllText(Path.Combine(net.Bob, "overwrite-report.json")).TrimEnd('\n'), json);
        Assert.Contains("\"type\": \"Image\"", json);
        Assert.Contains("\"type\": \"Data\"", json);
        Assert.Equal(["Report was saved to overwrite-report.json", ReportCommandsSimWarning, "Order report validation successful!"], lines[(close + 1)..]);
    }

    private const string ReportCommandsSimWarning =
        "WARNING: this report rests on the 'sim' attestation provider: no hardware isolation (TEE) was present, the evidence is simulated.";

    [Fact]
    public async Task Workflows_replenish_deposit_adds_tokens_by_minutes_or_by_tokens_after_confirmation()
    {
        // Bob's data slot at 0.6 tokens an hour (the devnet's TEE slot costs nothing): the workflow's rate.
        File.WriteAllText(Path.Combine(net.Bob, "hourly-offer.json"), """
            {"name":"hourly","group":"0","offerType":"3","cancelable":true,"description":"e2e",
             "restrictions":{"offers":[],"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":[],
             "argsPublicKey":"","resultResource":"","subType":"0"}
            """);
        File.WriteAllText(Path.Combine(net.Bob, "hourly-slot.json"), """
            {"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},
             "usage":{"maxTimeMinutes":0,"minTimeMinutes":0,"price":"600000000000000000","priceType":"0"},
             "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
            """);
        var created = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "create", "value", "--path", "hourly-offer.json");
        var offer = Regex.Match(created.Stdout, @"^Offer (\d+) has been created$", RegexOptions.Multiline).Groups[1].Value;
        var slotOut = await Cli.MustAsync(net.Bob, net.Spctl, "offers", "add-slot", "value", "--offer", offer, "--path", "hourly-slot.json");
        var slot = Regex.Match(slotOut.Stdout, @"^Slot (\d+) for offer", RegexOptions.Multiline).Groups[1].Value;
        var solution = await net.UploadSolutionAsync("hourly-sol");
        // --tee OFFER,SLOT names the TEE slot (nothing is chosen).
        var teeSlot = (await Cli.MustAsync(net.Alice, net.Spctl, "offers", "get", "tee", net.TeeOfferId.ToString(), "--fields", "slots")).Stdout.Trim()["slots: ".Length..].Split(',')[^1];
        var wf = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "create", "--solution", solution, "--data", $"{offer},{slot}",
            "--tee", $"{net.TeeOfferId},{teeSlot}", "--deposit", "1", "--debug");
        Assert.DoesNotContain("was chosen", wf.Stdout);
        var order = OrderLine().Match(wf.Stdout).Groups[1].Value;

        var byMinutes = await Cli.MustAsync(net.Alice, net.Spctl, "workflows", "replenish-deposit", order, "--minutes", "30", "--yes");
        Assert.Equal("Deposit will be replenished by 0.3 tokens. Order time is extended by 30 minutes.\nDeposit replenished successfully\n", byMinutes.Stdout);
        var byTokens = await Cli.RunAsync(net.Alice, net.Spctl, ["workflows", "replenish-deposit", order, "--sppi", "1.2"], stdin: "y\n");
        Assert.Equal(0, byTokens.ExitCode);
        Assert.Equal("Deposit will be replenished by 1.2 tokens. Order time is extended by 120 minutes.\nConfirm? (Y/n) Deposit replenished successfully\n", byTokens.Stdout);
        var declined = await Cli.RunAsync(net.Alice, net.Spctl, ["workflows", "replenish-deposit", order, "--sppi", "5"], stdin: "n\n");
        Assert.Equal(0, declined.ExitCode);
        Assert.EndsWith("Deposit was not replenished\n", declined.Stdout);
        var noAnswer = await Cli.RunAsync(net.Alice, net.Spctl, ["workflows", "replenish-deposit", order, "--sppi", "5"], stdin: "");
        Assert.Equal(1, noAnswer.ExitCode);
        Assert.Contains($"Order {order} was not replenished: no answer to `Confirm?`", noAnswer.Stderr);
        var plain = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "replenish-deposit", order, "0.25", "--debug");
        Assert.Equal($"Deposit of order {order} was replenished by 0.25: deposit=2.75\n", plain.Stdout);
        var get = await Cli.MustAsync(net.Alice, net.Spctl, "orders", "get", order, "--fields", "deposit,slot_id");
        Assert.Equal($"deposit: 2.75\nslot_id: {teeSlot}\n", get.Stdout);

        var neither = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "replenish-deposit", order, "--yes");
        Assert.Equal(1, neither.ExitCode);
        Assert.Contains("define one of arguments --sppi or --minutes", neither.Stderr);
        await Cli.MustAsync(net.Alice, net.Spctl, "orders", "cancel", order);
        var late = await Cli.RunAsync(net.Alice, net.Spctl, "workflows", "replenish-deposit", order, "--sppi", "1", "--yes");
        Assert.Equal(1, late.ExitCode);
        Assert.Contains($"Order {order} was not replenished: order {order} is Canceled", late.Stderr);
    }

    [GeneratedRegex(@"^Workflow was created, TEE order id: \[""(\d+)""\]$", RegexOptions.Multiline)]
    private static partial Regex OrderLine();
}
