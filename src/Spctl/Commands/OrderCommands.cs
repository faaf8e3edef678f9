using Sp.Cli;
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
    private static readonly string[] AllSubOrderFields = ["id", "type", "status", "offer_id", "slot_id", "created", "modified"];

    public static async Task<int> GetAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var withSubs = cl.Flag("suborders");
        var fields = cl.Option("suborders_fields")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? ["id", "type", "status"];
        cl.RejectUnknown();
        foreach (var f in fields)
            if (!AllSubOrderFields.Contains(f)) throw new UserError($"--suborders_fields: unknown field '{f}' (expected some of {string.Join(",", AllSubOrderFields)})");
        using var ctx = new ClientContext(configPath);
        var view = await ctx.Node.GetOrderAsync(id) ?? throw new UserError($"order {id} does not exist");
        var o = view.Order;
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
        if (withSubs)
        {
            if (view.SubOrders.Count == 0) Console.WriteLine("No sub-orders found");
            else Console.Write(Output.Table(fields, view.SubOrders.Select(s => fields.Select(f => Field(s, f)).ToList())));
        }
        return 0;
    }

    private static string? Field(Order s, string f) => f switch
    {
        "id" => s.Id.ToString(),
        "type" => s.Type.ToString(),
        "status" => s.Status.ToString(),
        "offer_id" => s.OfferId.ToString(),
        "slot_id" => s.SlotId?.ToString(),
        "created" => Output.Time(s.Created),
        "modified" => Output.Time(s.Modified),
        _ => null,
    };

    public static async Task<int> ListAsync(CommandLine cl, string configPath)
    {
        var mine = cl.Flag("my-account");
        var status = cl.Option("status");
        var type = cl.Option("type");
        var offers = cl.Option("offers");
        cl.RejectUnknown();
        if (status is not null && !(Enum.TryParse<OrderStatus>(status, ignoreCase: true, out var st) && Enum.IsDefined(st)))
            throw new UserError($"--status '{status}': expected one of {string.Join(", ", Enum.GetNames<OrderStatus>())}");
        if (type is not null && type.ToLowerInvariant() is not ("tee" or "data" or "solution" or "storage"))
            throw new UserError($"--type '{type}': expected tee, data, solution or storage");
        var offerIds = (offers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var o in offerIds) LedgerId.Parse<OfferId>(o, "--offers:");
        using var ctx = new ClientContext(configPath);
        var q = new List<string>();
        if (mine) q.Add("consumer=" + ctx.Account.Address.Lower);
        if (status is not null) q.Add("status=" + Uri.EscapeDataString(status));
        if (type is not null) q.Add("type=" + Uri.EscapeDataString(type));
        if (offerIds.Length > 0) q.Add("offers=" + string.Join(',', offerIds));
        var orders = await ctx.Node.ListOrdersAsync(string.Join('&', q));
        if (orders.Count == 0) { Console.WriteLine("No orders found"); return 0; }
        Console.Write(Output.Table(["id", "type", "status", "offer_id", "parent_order_id", "modified"],
            orders.Select(o => (IReadOnlyList<string?>)[o.Id.ToString(), o.Type.ToString(), o.Status.ToString(), o.OfferId.ToString(), o.ParentId?.ToString(), Output.Time(o.Modified)])));
        return 0;
    }

    public static async Task<int> CompleteAsync(CommandLine cl, string configPath)
    {
        var subId = cl.PositionalId<OrderId>(0, "sub-order id").Value;
        var statusText = cl.Option("status") ?? "done";
        var resultPath = cl.Option("result");
        var solutionHash = cl.Option("solution-hash");
        cl.RejectUnknown();
        var status = statusText.ToLowerInvariant() switch
        {
            "done" => OrderStatus.Done,
            "error" => OrderStatus.Error,
            _ => throw new UserError($"--status '{statusText}': expected done or error"),
        };
        using var ctx = new ClientContext(configPath);
        var sub = (await ctx.Node.GetOrderAsync(subId) ?? throw new UserError($"order {subId} does not exist")).Order;
        if (sub.ParentId is not { } parentId || sub.Type != OfferType.Data)
            throw new UserError($"order {subId} is not a data sub-order (it is a {sub.Type} order)", "pass the Data sub-order id shown by `spctl orders get ID --suborders`");
        string? sealedRelease = null;
        var hash = "";
        if (status == OrderStatus.Done)
        {
            hash = (solutionHash ?? throw new UserError("missing --solution-hash <hash>", "the hash from solution.resource.json that you verified")).Trim().ToLowerInvariant();
            if (hash.Length != 64 || !hash.All(Uri.IsHexDigit)) throw new UserError($"--solution-hash '{solutionHash}': expected 64 hex digits (SHA-256)");
            var resource = FilesCommands.ReadResourceFile(resultPath ?? throw new UserError("missing --result <dataset resource file>"));
            var parent = (await ctx.Node.GetOrderAsync(parentId))!.Order;
            await CheckParentInLogAsync(ctx, parent);
            var tee = await ctx.Node.GetOfferAsync(parent.OfferId) ?? throw new UserError($"TEE offer {parent.OfferId} of order {parentId} does not exist");
            var validated = ctx.Trust.ValidateTee(tee.Offer.TeeCertificate ?? throw new UserError($"TEE offer {parent.OfferId} has no certificate"), ctx.Time.GetUtcNow());
            // The dataset is released to this TEE for this solution hash only: the TEE checks the image against it.
            sealedRelease = Sealed.Seal(validated.EncryptionPublicKey, Sealed.DataInfo, Sealed.DataAad(parentId, parent.CreatedSeq ?? throw new UserError($"order {parentId} names no ledger entry that created it (a node from before this version?)"), subId), new DataRelease(resource, hash));
        }
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OrderComplete(subId, status, hash, sealedRelease));
        Console.WriteLine($"Order {subId} has been completed successfully: status={status}");
        return 0;
    }

    /// <summary>
    /// The data owner releases data to the workflow its consumer signed, not to the node's account of it: with a pinned
    /// log, the parent's workflow.create is read from the log, and must be the consumer's, with the TEE offer, solution
    /// and result key the node serves (the ledger itself checks the approved hash against the declared one). The release's AAD names that entry, and the TEE checks the same entry.
    /// </summary>
    private static async Task CheckParentInLogAsync(ClientContext ctx, Order parent)
    {
        if (ctx.Log is not { } log) return;
        if (await new Sp.Client.Ledger.OrderProvenance(log).CheckCreationAsync(parent, CancellationToken.None) is { } forged)
            throw new IntegrityError($"{forged}", "the node's account of the order differs from the log; nothing was released");
    }

    public static async Task<int> DownloadResultAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var saveTo = cl.Option("save-to") ?? "result.tar.gz";
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var order = (await ctx.Node.GetOrderAsync(id) ?? throw new UserError($"order {id} does not exist")).Order;
        if (order.SealedResult is null)
            throw new UserError($"order {id} has no result yet (status {order.Status})", "wait until `spctl orders get ID` shows Done or Error");
        var resource = Sealed.Open<ResourceFile>(ctx.ResultKey.PrivateKey, Sealed.ResultInfo, Sealed.ResultAad(id), order.SealedResult)
            ?? throw new UserError($"the result of order {id} is not sealed to this account's result key", "download it with the config that created the order");
        // Before a byte is fetched: the TEE that ran the order signed this very archive (hash and size).
        await CheckResultStatementAsync(ctx, order, resource);
        var full = Path.GetFullPath(saveTo);
        if (File.Exists(full) || Directory.Exists(full)) throw new UserError($"{saveTo} already exists", "remove it or pass --save-to <another path>");
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".part");
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                var (sha, size) = await new FileTransfer(ctx.StoreFor(resource.Resource)).DownloadToStreamAsync(resource, fs);
                if (!string.Equals(Convert.ToHexStringLower(sha), resource.Hash.Value, StringComparison.OrdinalIgnoreCase) || size != resource.Size)
                    throw new InvalidDataException($"result of order {id}: hash {Convert.ToHexStringLower(sha)} differs from the sealed {resource.Hash.Value}");
            }
            File.Move(tmp, full);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
        Console.WriteLine($"Order result was saved to {saveTo}");
        return 0;
    }

    /// <summary>
    /// The result is the TEE's only if the order's result statement validates (chain to the pinned root, evidence under
    /// the policy, signature of the order certificate's key), agrees with the order's report on the ledger, and names
    /// the archive's hash and size the sealed result points to. Anyone can seal an archive to the consumer's public
    /// result key; only the attested TEE holds the order key.
    /// </summary>
    private static async Task CheckResultStatementAsync(ClientContext ctx, Order order, ResourceFile resource)
    {
        const string Hint = "the result was not produced by the attested TEE that ran the order: nothing was downloaded";
        var statement = order.ResultStatement
            ?? throw new IntegrityError($"order {order.Id}: its result carries no statement signed by the TEE", Hint);
        var v = ctx.Trust.ValidateResultStatement(statement);
        var offerTee = (await ctx.Node.GetOfferAsync(order.OfferId))?.Offer.TeeAccount;
        var errors = v.Errors.Concat(Sp.Certification.ResultStatements.CheckAgainst(v, order.Id, order.Report))
            .Concat(Sp.Certification.ResultStatements.CheckAgainstOrder(v, order.Status.ToString(), order.TeeAccount, offerTee, order.Solution?.Hash, order.Report))
            .ToList();
        if (!string.Equals(v.Claims?.ResultSha256, resource.Hash.Value, StringComparison.OrdinalIgnoreCase) || v.Claims?.ResultSize != resource.Size)
            errors.Add($"the sealed result is sha256 {resource.Hash.Value} ({resource.Size} bytes), the TEE signed " +
                       $"{v.Claims?.ResultSha256 ?? "no result"} ({v.Claims?.ResultSize?.ToString() ?? "-"} bytes)");
        if (errors.Count > 0) throw new IntegrityError($"order {order.Id}: result refused: {string.Join("; ", errors)}", Hint);
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

    public static async Task<int> CancelAsync(CommandLine cl, string configPath)
    {
        cl.RejectUnknown();
        if (cl.Positionals.Count == 0) throw new UserError("missing argument <order id>");
        using var ctx = new ClientContext(configPath);
        for (var i = 0; i < cl.Positionals.Count; i++)
        {
            var id = cl.PositionalId<OrderId>(i, "order id").Value;
            await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OrderCancel(id));
            Console.WriteLine($"Order {id} was canceled");
        }
        return 0;
    }
}
