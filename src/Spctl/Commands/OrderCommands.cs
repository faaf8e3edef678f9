using Sp.Cli;
using Sp.Cli.Operations;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core.Ids;
using Sp.Core.Model;
using Sp.Core;
using Sp.Api;
using Sp.Ledger.Transactions;
using Sp.Storage.Transfer;

namespace Spctl.Commands;

public static class OrderCommands
{
    /// <summary>
    /// The original's field names (sdk-js orders: `offer_name`, `total_deposit`, `modified_date`, …), then ours. Each
    /// alias reads as the field it names; a header shows the name as given.
    /// </summary>
    private static readonly Dictionary<string, string> FieldAliases = new(StringComparer.Ordinal)
    {
        ["consumer"] = "consumer_address",
        ["modified"] = "modified_date",
    };

    /// <summary>Columns of `orders list --fields` (the original's fifteen, then ours and the aliases).</summary>
    public static readonly string[] ListFields =
    [
        "id", "offer_name", "offer_description", "type", "status", "offer_id", "consumer_address", "parent_order_id",
        "total_deposit", "total_unspent_deposit", "deposit", "unspent_deposit", "cancelable", "sub_orders_count", "modified_date",
        "slot_id", "created", "solution_hash", "status_message", "consumer", "modified",
    ];

    /// <summary>Keys of `orders get --fields` (the original's fourteen, then ours and the aliases).</summary>
    public static readonly string[] GetFields =
    [
        "id", "offer_name", "offer_description", "type", "status", "offer_id", "consumer_address", "parent_order_id",
        "total_deposit", "total_unspent_deposit", "deposit", "unspent_deposit", "cancelable", "modified_date",
        "slot_id", "sub_orders_count", "created", "solution_hash", "status_message", "report", "paid", "refunded", "consumer", "modified",
    ];

    /// <summary>Columns of `orders get --suborders_fields` (the original's eight, then ours and the alias).</summary>
    public static readonly string[] SubOrderFields =
    [
        "id", "offer_name", "offer_description", "type", "status", "cancelable", "actual_cost", "modified_date",
        "offer_id", "slot_id", "created", "modified",
    ];

    /// <summary>Today's columns of `orders list` (the output contract), kept as the default.</summary>
    public static readonly string[] DefaultListFields = ["id", "type", "status", "offer_id", "parent_order_id", "modified"];

    /// <summary>Statuses `orders list --status` accepts: the lower-cased keys of sdk-js OrderStatus.</summary>
    public static readonly string[] StatusNames = [.. Enum.GetNames<OrderStatus>().Select(n => n.ToLowerInvariant())];

    /// <summary>Splits `a,b` and checks each name against <paramref name="allowed"/>; a UserError names the valid ones.</summary>
    private static string[] FieldList(string? text, string option, string[] allowed, string[] defaults)
    {
        if (text is null) return defaults;
        var fields = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length == 0) throw new UserError($"{option}: no field given (expected some of {string.Join(", ", allowed)})");
        foreach (var f in fields)
            if (!allowed.Contains(f)) throw new UserError($"{option}: unknown field '{f}' (expected some of {string.Join(", ", allowed)})");
        return fields;
    }

    /// <summary>The statuses of `--status a,b`, or the names that are not statuses (a usage error, exit 2).</summary>
    public static (List<OrderStatus> Statuses, List<string> Unknown) ParseStatuses(string text)
    {
        var statuses = new List<OrderStatus>();
        var unknown = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var i = Array.IndexOf(StatusNames, part.ToLowerInvariant());
            if (i < 0) unknown.Add(part);
            else if (!statuses.Contains(Enum.GetValues<OrderStatus>()[i])) statuses.Add(Enum.GetValues<OrderStatus>()[i]);
        }
        if (statuses.Count == 0 && unknown.Count == 0) unknown.Add(text);
        return (statuses, unknown);
    }

    /// <summary>`orders list --status`: statuses separated by commas, any case; an unknown one is a usage error naming the valid ones.</summary>
    public static System.CommandLine.Option<string> StatusesOption()
    {
        var option = Sp.Cmdline.Cli.Option("--status", "STATUS,STATUS", $"Only orders with one of these statuses (separated by commas, any case): {string.Join(", ", StatusNames)}. Unlike the original, which drops an unknown name, an unknown name is refused (exit 2)");
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (text is null) return;
            var unknown = ParseStatuses(text).Unknown;
            if (unknown.Count > 0)
                result.AddError($"--status: '{string.Join("', '", unknown)}' {(unknown.Count == 1 ? "is not an order status" : "are not order statuses")} (valid: {string.Join(", ", StatusNames)})");
        });
        return option;
    }

    /// <summary>What an order shows under a field name (<see cref="ListFields"/>, <see cref="GetFields"/>, <see cref="SubOrderFields"/>).</summary>
    /// <param name="offer">The order's offer, when a field needs it (name, description, cancelable).</param>
    /// <param name="parent">A sub-order's parent, for actual_cost.</param>
    private static string? Field(Order o, string field, Offer? offer, Order? parent = null)
    {
        var isParent = o.ParentId is null;
        var deposit = isParent ? o.Deposit ?? TokenAmount.Zero : TokenAmount.Zero; // a workflow's deposit is held by its parent order
        var paid = o.Settlement is { } st ? TokenAmount.Sum(st.Payments.Select(p => p.Amount)) : TokenAmount.Zero;
        return (FieldAliases.GetValueOrDefault(field) ?? field) switch
        {
            "id" => o.Id.ToString(),
            "offer_name" => offer?.Info.Name,
            "offer_description" => offer?.Info.Description,
            "cancelable" => offer is null ? null : offer.Info.Cancelable ? "true" : "false",
            "type" => o.Type.ToString(),
            "status" => o.Status.ToString(),
            "offer_id" => o.OfferId.ToString(),
            "slot_id" => o.SlotId?.ToString(),
            "consumer_address" => Sp.Crypto.Accounts.Address.Parse(o.Consumer).ToString(),
            "parent_order_id" => o.ParentId?.ToString(),
            "total_deposit" or "deposit" => deposit.ToString(),
            // Tokens are spent when the order ends (settlement): until then the whole deposit is unspent.
            "total_unspent_deposit" or "unspent_deposit" => (deposit - paid).ToString(),
            "sub_orders_count" => o.SubOrderIds.Count.ToString(),
            "modified_date" => Output.Time(o.Modified),
            "created" => Output.Time(o.Created),
            "solution_hash" => o.Solution?.Hash,
            "status_message" => o.StatusMessage,
            "report" => o.Report is null ? "not published" : "published",
            "paid" => paid.ToString(),
            "refunded" => o.Settlement?.Refund.ToString(),
            "actual_cost" => ActualCost(o, parent).ToString(),
            _ => null,
        };
    }

    /// <summary>What the order's provider was paid when the workflow ended (its settlement); 0 until then.</summary>
    private static TokenAmount ActualCost(Order o, Order? parent)
    {
        if (o.ParentId is null) return o.Settlement is { } own ? own.Payments.Count > 0 ? own.Payments[0].Amount : TokenAmount.Zero : TokenAmount.Zero;
        if (parent?.Settlement is not { } st) return TokenAmount.Zero;
        // Settlement pays the parent's offer first, then each sub-order's in the parent's order.
        var i = parent.SubOrderIds.ToList().IndexOf(o.Id);
        return i >= 0 && st.Payments.Count == parent.SubOrderIds.Count + 1 ? st.Payments[i + 1].Amount : TokenAmount.Zero;
    }

    private static readonly string[] OfferFields = ["offer_name", "offer_description", "cancelable"];

    /// <summary>The offers of <paramref name="orders"/>, fetched only when a field shows one.</summary>
    private static async Task<Dictionary<long, Offer?>> OffersForAsync(ClientContext ctx, IEnumerable<Order> orders, IEnumerable<string> fields)
    {
        var offers = new Dictionary<long, Offer?>();
        if (!fields.Any(OfferFields.Contains)) return offers;
        foreach (var id in orders.Select(o => o.OfferId).Distinct())
            offers[id] = (await ctx.Node.GetOfferAsync(id))?.Offer;
        return offers;
    }

    public static async Task<int> GetAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var fieldsOption = cl.Option("fields");
        var withSubs = cl.Flag("suborders");
        var subFieldsOption = cl.Option("suborders_fields");
        cl.RejectUnknown();
        var keys = FieldList(fieldsOption, "--fields", GetFields, []);
        var fields = FieldList(subFieldsOption, "--suborders_fields", SubOrderFields, ["id", "type", "status"]);
        using var ctx = new ClientContext(configPath);
        var view = await ctx.Node.GetOrderAsync(id) ?? throw new UserError($"order {id} does not exist");
        var o = view.Order;
        var offers = await OffersForAsync(ctx, view.SubOrders.Prepend(o), withSubs ? keys.Concat(fields) : keys);
        if (fieldsOption is not null)
        {
            Console.Write(Output.KeyValues(keys.Select(k => (k, Field(o, k, offers.GetValueOrDefault(o.OfferId))))));
            PrintSubOrders(view, withSubs, fields, offers);
            return 0;
        }
        Console.Write(Output.KeyValues([
            ("id", o.Id.ToString()),
            ("type", o.Type.ToString()),
            ("status", o.Status.ToString()),
            ("offer_id", o.OfferId.ToString()),
            ("parent_order_id", o.ParentId?.ToString()),
            ("consumer", Sp.Crypto.Accounts.Address.Parse(o.Consumer).ToString()),
            ("solution_hash", o.Solution?.Hash),
            ("created", Output.Time(o.Created)),
            ("modified", Output.Time(o.Modified)),
            ("status_message", o.StatusMessage),
            ("report", o.Report is null ? "not published" : "published"),
        ]));
        if (o.ParentId is null)
        {
            // Tokens: what is locked and, once the order ended, where it went.
            Console.Write(Output.KeyValues([("deposit", (o.Deposit ?? TokenAmount.Zero).ToString())]));
            if (o.Settlement is { } st)
                Console.Write(Output.KeyValues([
                    ("paid", TokenAmount.Sum(st.Payments.Select(p => p.Amount)).ToString()),
                    ("refunded", st.Refund.ToString()),
                ]));
        }
        PrintSubOrders(view, withSubs, fields, offers);
        return 0;
    }

    private static void PrintSubOrders(Sp.Api.OrderView view, bool withSubs, string[] fields, Dictionary<long, Offer?> offers)
    {
        if (!withSubs) return;
        if (view.SubOrders.Count == 0) Console.WriteLine("No sub-orders found");
        else Console.Write(Output.Table(fields, view.SubOrders.Select(s => fields.Select(f => Field(s, f, offers.GetValueOrDefault(s.OfferId), view.Order)).ToList())));
    }

    public static async Task<int> ListAsync(CommandLine cl, string configPath)
    {
        var fieldsOption = cl.Option("fields");
        var mine = cl.Flag("my-account");
        var status = cl.Option("status");
        var type = cl.Option("type");
        var offers = cl.Option("offers");
        var limitText = cl.Option("limit");
        var cursorText = cl.Option("cursor");
        var saveTo = cl.Option("save-to");
        cl.RejectUnknown();
        var fields = FieldList(fieldsOption, "--fields", ListFields, DefaultListFields);
        var statuses = status is null ? [] : ParseStatuses(status) is { Unknown.Count: 0 } parsed ? parsed.Statuses
            : throw new UserError($"--status '{status}': expected some of {string.Join(", ", StatusNames)}");
        if (type is not null && type.ToLowerInvariant() is not ("tee" or "data" or "solution" or "storage"))
            throw new UserError($"--type '{type}': expected tee, data, solution or storage");
        var offerIds = (offers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var o in offerIds) LedgerId.Parse<OfferId>(o, "--offers:");
        int? limit = limitText is null ? null
            : int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var l) && l > 0 ? l
            : throw new UserError($"--limit '{limitText}': expected a positive number");
        var cursor = cursorText is null ? (long?)null : LedgerId.Parse<OrderId>(cursorText, "--cursor").Value;
        using var ctx = new ClientContext(configPath);
        var q = new List<string>();
        if (mine) q.Add("consumer=" + ctx.Account.Address.Lower);
        if (statuses.Count > 0) q.Add("status=" + string.Join(',', statuses));
        if (type is not null) q.Add("type=" + Uri.EscapeDataString(type));
        if (offerIds.Length > 0) q.Add("offers=" + string.Join(',', offerIds));
        if (cursor is not null) q.Add($"cursor={cursor}");
        if (limit is not null) q.Add($"limit={limit}");
        var orders = await ctx.Node.ListOrdersAsync(string.Join('&', q));
        // The original's pagination line: the cursor of the next page (the last id shown), when pages are asked for.
        var paged = limit is not null || cursor is not null;
        var nextCursor = orders.Count > 0 ? orders[^1].Id.ToString() : null;
        if (orders.Count == 0) Console.WriteLine("No orders found");
        else
        {
            var offerMap = await OffersForAsync(ctx, orders, saveTo is null ? fields : ListFields);
            Console.Write(Output.Table(fields, orders.Select(o => fields.Select(f => Field(o, f, offerMap.GetValueOrDefault(o.OfferId))).ToList())));
            if (paged) Console.WriteLine($"Last pagination cursor: {nextCursor}");
            if (saveTo is not null) await SaveListAsync(saveTo, orders, offerMap, nextCursor);
            return 0;
        }
        if (saveTo is not null) await SaveListAsync(saveTo, orders, [], nextCursor);
        return 0;
    }

    /// <summary>
    /// `orders list --save-to`: the page as the original saves it, `{"list": [...], "cursor": ...}`, each order with the
    /// original's fields in camelCase (`offerName`, `totalDeposit`, …) and ours; prints `Saved result to &lt;absolute path&gt;`.
    /// </summary>
    private static async Task SaveListAsync(string saveTo, List<Order> orders, Dictionary<long, Offer?> offers, string? cursor)
    {
        var list = new System.Text.Json.Nodes.JsonArray();
        foreach (var o in orders)
        {
            var item = new System.Text.Json.Nodes.JsonObject();
            foreach (var f in ListFields.Where(f => !FieldAliases.ContainsKey(f)))
            {
                var value = Field(o, f, offers.GetValueOrDefault(o.OfferId));
                item[CamelCase(f)] = f switch
                {
                    "cancelable" => value is null ? null : System.Text.Json.Nodes.JsonValue.Create(value == "true"),
                    "sub_orders_count" => System.Text.Json.Nodes.JsonValue.Create(o.SubOrderIds.Count),
                    _ => string.IsNullOrEmpty(value) ? null : System.Text.Json.Nodes.JsonValue.Create(value),
                };
            }
            list.Add(item);
        }
        var full = Path.GetFullPath(saveTo);
        var json = new System.Text.Json.Nodes.JsonObject { ["list"] = list, ["cursor"] = cursor };
        await File.WriteAllTextAsync(full, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"Saved result to {full}");
    }

    private static string CamelCase(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    public static async Task<int> CompleteAsync(CommandLine cl, string configPath)
    {
        if (cl.Positionals.Count == 0) throw new UserError("missing argument <sub-order id>");
        var ids = cl.Positionals.Select((_, i) => cl.PositionalId<OrderId>(i, "sub-order id").Value).ToList();
        var statusText = cl.Option("status") ?? "done";
        var resultPath = cl.Option("result");
        var solutionHash = cl.Option("solution-hash");
        cl.RejectUnknown();
        var status = statusText.Trim().ToLowerInvariant() switch
        {
            "done" => OrderStatus.Done,
            "error" => OrderStatus.Error,
            "canceled" => OrderStatus.Canceled,
            _ => throw new UserError($"--status '{statusText}': expected done, error or canceled"),
        };
        var hash = "";
        ResourceFile? resource = null;
        if (status == OrderStatus.Done)
        {
            hash = (solutionHash ?? throw new UserError("missing --solution-hash <hash>", "the hash from solution.resource.json that you verified")).Trim().ToLowerInvariant();
            if (hash.Length != 64 || !hash.All(Uri.IsHexDigit)) throw new UserError($"--solution-hash '{solutionHash}': expected 64 hex digits (SHA-256)");
            resource = FilesCommands.ReadResourceFile(resultPath ?? throw new UserError("missing --result <dataset resource file>"));
        }
        using var ctx = new ClientContext(configPath);
        // Each id on its own: its success line on stdout, or why it failed on stderr; exit 1 if any failed.
        var failed = 0;
        foreach (var subId in ids)
        {
            try
            {
                await CompleteOneAsync(ctx, subId, status, hash, resource);
                Console.WriteLine($"Order {subId} has been completed successfully: status={status}");
            }
            catch (Exception e) when (IsFailure(e))
            {
                failed++;
                Console.Error.WriteLine($"Order {subId} was not completed: {Reason(e)}");
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static bool IsFailure(Exception e) => Orders.IsFailure(e);

    private static string Reason(Exception e) => Orders.Reason(e);

    private static Task CompleteOneAsync(ClientContext ctx, long subId, OrderStatus status, string hash, ResourceFile? resource) =>
        Orders.CompleteAsync(ctx, subId, status, hash, resource);

    public static async Task<int> DownloadResultAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var saveTo = cl.Option("save-to") ?? "result.tar.gz";
        var noClobber = cl.Flag("no-clobber");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var progress = new ConsoleProgress(ctx.Time);
        try { await Orders.SaveResultAsync(ctx, id, Path.GetFullPath(saveTo), noClobber, saveTo, progress); }
        finally { progress.Finish(); } // an error starts on a line of its own
        Console.WriteLine($"Order result was saved to {saveTo}");
        return 0;
    }

    public static async Task<int> ReplenishDepositAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var amount = TokenCommands.ParseAmount(cl.Positional(1, "amount of tokens"), "amount");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OrderReplenish(id, amount));
        var order = (await ctx.Node.GetOrderAsync(id))!.Order;
        Console.WriteLine($"Deposit of order {id} was replenished by {amount}: deposit={order.Deposit ?? TokenAmount.Zero}");
        return 0;
    }

    /// <summary>
    /// `workflows replenish-deposit ID --sppi TOKENS | --minutes M [--yes]`: adds tokens to a New, Blocked or Processing
    /// workflow's deposit. With --minutes the tokens are the order's hourly rate (its slots priced per hour) for that
    /// time; with --sppi the time is computed from the tokens. Asks `Confirm?` unless --yes.
    /// </summary>
    public static async Task<int> WorkflowReplenishDepositAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var sppi = cl.Option("sppi");
        var minutesText = cl.Option("minutes");
        var yes = cl.Flag("yes");
        cl.RejectUnknown();
        int? minutes = minutesText is null ? null
            : int.TryParse(minutesText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0 ? m
            : throw new UserError($"--minutes '{minutesText}': expected a positive whole number of minutes");
        var tokens = minutes is null && sppi is not null ? TokenCommands.ParseAmount(sppi, "--sppi") : (TokenAmount?)null;
        if (minutes is null && tokens is null) throw new UserError("To complete command please define one of arguments --sppi or --minutes");
        using var ctx = new ClientContext(configPath);
        try
        {
            var view = await ctx.Node.GetOrderAsync(id) ?? throw new UserError($"order {id} does not exist");
            var order = view.Order;
            if (order.ParentId is { } parentId)
                throw new UserError($"order {id} is a sub-order of order {parentId}: the deposit is held by the parent order", $"pass the workflow's order id {parentId}");
            if (order.Status is not (OrderStatus.Blocked or OrderStatus.Processing or OrderStatus.New))
                throw new UserError($"order {id} is {order.Status}: only a New, Blocked or Processing order can be replenished");
            // The workflow's hourly rate: its slots (TEE and data) priced per hour, at the terms it was placed with.
            var hourly = TokenAmount.Sum(view.SubOrders.Prepend(order).Select(o => o.Usage).Where(SlotPricing.IsPerHour).Select(SlotPricing.Price));
            string extended;
            if (minutes is { } mins)
            {
                if (hourly.IsZero)
                    throw new UserError($"order {id} has no slot priced per hour: its time does not depend on its deposit", "pass --sppi TOKENS to add tokens anyway");
                tokens = TokenAmount.FromUnits(hourly.Units * mins / 60);
                extended = $"Order time is extended by {mins} minutes.";
            }
            else
            {
                extended = hourly.IsZero ? "Order time is not extended (no slot of the order is priced per hour)."
                    : $"Order time is extended by {tokens!.Value.Units * 60 / hourly.Units} minutes.";
            }
            Console.WriteLine($"Deposit will be replenished by {tokens} tokens. {extended}");
            if (!yes)
            {
                Console.Write("Confirm? (Y/n) ");
                var answer = Console.ReadLine()
                    ?? throw new UserError("no answer to `Confirm?` (stdin is closed)", "pass --yes to replenish without the question");
                if (answer.Trim().ToLowerInvariant() is not ("" or "y" or "yes"))
                {
                    Console.WriteLine("Deposit was not replenished");
                    return 0;
                }
            }
            await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OrderReplenish(id, tokens!.Value));
            Console.WriteLine("Deposit replenished successfully");
            return 0;
        }
        catch (Exception e) when (IsFailure(e))
        {
            Console.Error.WriteLine($"Order {id} was not replenished: {Reason(e)}");
            return 1;
        }
    }

    public static async Task<int> CancelAsync(CommandLine cl, string configPath)
    {
        cl.RejectUnknown();
        if (cl.Positionals.Count == 0) throw new UserError("missing argument <order id>");
        var ids = cl.Positionals.Select((_, i) => cl.PositionalId<OrderId>(i, "order id").Value).ToList();
        using var ctx = new ClientContext(configPath);
        // Each id on its own, as the original: its success line on stdout, or why it failed on stderr; exit 1 if any failed.
        var failed = 0;
        foreach (var id in ids)
        {
            try
            {
                await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OrderCancel(id));
                Console.WriteLine($"Order {id} was canceled successfully");
            }
            catch (Exception e) when (IsFailure(e))
            {
                failed++;
                Console.Error.WriteLine($"Order {id} was not canceled: {Reason(e)}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
