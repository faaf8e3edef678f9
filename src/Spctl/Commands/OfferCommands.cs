using System.Globalization;
using Sp.Api;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core.Ids;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.Transactions;

namespace Spctl.Commands;

/// <summary>
/// `offers list|get|create|add-slot|update-slot|delete-slot|enable|disable`. The first argument is the kind:
/// `tee` (TEE offers) or `value` (every other type: Data, Solution, Storage), as in the original tool.
/// </summary>
public static class OfferCommands
{
    private static readonly string[] DefaultListFields = ["id", "name", "type", "provider", "slots", "enabled"];

    /// <summary>Columns `offers list --fields` and keys `offers get --fields` can show.</summary>
    private static readonly string[] OfferFields =
    [
        "id", "name", "description", "type", "group", "provider", "provider_address", "cancelable", "enabled", "slots",
        "min_price", "allowed_accounts", "restrictions_offers", "restrictions_types", "tee_certificate", "created",
        // The original's names: provider_name and modified_date are provider and created (an offer's info never
        // changes here); depends_on_offers is restrictions_offers; the last three are a TEE offer's load.
        "provider_name", "modified_date", "depends_on_offers", "total_cores", "free_cores", "orders_in_queue",
    ];

    /// <summary>Fields that need the TEE offer's queue (one more request per offer).</summary>
    private static readonly string[] LoadFields = ["free_cores", "orders_in_queue"];

    private static readonly string[] DefaultGetFields =
    [
        "id", "name", "description", "type", "provider", "provider_address", "cancelable", "enabled", "slots", "tee_certificate", "created",
    ];

    private static readonly string[] SlotColumns = ["slot_id", "cpu_cores", "gpu_cores", "ram", "vram", "disk_usage", "price", "price_type", "min_time_minutes", "max_time_minutes"];

    public static async Task<int> ListAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var fields = Fields(cl.Option("fields"), DefaultListFields);
        var limit = cl.Option("limit") is { } l ? PositiveInt(l, "--limit") : (int?)null;
        var cursor = cl.Option("cursor") is { } c ? LedgerId.Parse<OfferId>(c, "--cursor").Value : (long?)null;
        var saveTo = cl.Option("save-to");
        var ids = cl.Options("ids").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => LedgerId.Parse<OfferId>(v, "--ids").Value).Distinct().Order().ToList();
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        List<OfferView> page;
        if (ids.Count > 0)
        {
            // Only these offers: each must exist and be of this kind (the original drops the others silently).
            page = new List<OfferView>();
            foreach (var id in ids.Where(i => cursor is null || i > cursor))
            {
                var v = await ctx.Node.GetOfferAsync(id) ?? throw new UserError($"--ids: offer {id} does not exist");
                CheckKind(kind, v.Offer);
                page.Add(v);
            }
            if (limit is { } l1) page = page.Take(l1 + 1).ToList();
        }
        else page = await ctx.Node.ListOffersAsync(kind, cursor, limit + 1); // one more than asked tells whether another page follows
        var more = limit is { } n && page.Count > n;
        if (more) page = page.Take(limit!.Value).ToList();
        var load = await LoadAsync(ctx, page, fields);
        if (saveTo is not null)
        {
            File.WriteAllText(saveTo, SpJson.Serialize(page, indented: true) + "\n");
            Console.WriteLine($"{page.Count} offer(s) were saved to {saveTo}");
        }
        else if (page.Count == 0) Console.WriteLine("No offers found");
        else Console.Write(Output.Table(fields, page.Select(v => fields.Select(f => Field(v, f, table: true, load)).ToList())));
        if (more) Console.WriteLine($"next_cursor: {page[^1].Offer.Id}");
        return 0;
    }

    public static async Task<int> GetAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var id = cl.PositionalId<OfferId>(1, "offer id").Value;
        var fieldsOption = cl.Option("fields");
        var fields = Fields(fieldsOption, DefaultGetFields);
        var saveTo = cl.Option("save-to");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var v = await ctx.Node.GetOfferAsync(id) ?? throw new UserError($"offer {id} does not exist");
        CheckKind(kind, v.Offer);
        if (saveTo is not null)
        {
            File.WriteAllText(saveTo, SpJson.Serialize(v, indented: true) + "\n");
            Console.WriteLine($"Offer {id} was saved to {saveTo}");
            return 0;
        }
        var load = await LoadAsync(ctx, [v], fields);
        Console.Write(Output.KeyValues(fields.Select(f => (f, Field(v, f, table: false, load)))));
        if (fieldsOption is null && v.Slots.Count > 0)
            Console.Write(Output.Table(SlotColumns, v.Slots.Select(SlotRow)));
        return 0;
    }

    public static async Task<int> CreateAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var path = cl.Required("path", "offer-info.json");
        var certPath = cl.Option("tee-certificate");
        cl.RejectUnknown();
        var info = StrictJson.ParseFile<OfferInfo>(path);
        var type = MarketMachine.ParseOfferType(info.OfferType)
            ?? throw new UserError($"{path}: offerType '{info.OfferType}' is not an offer type (\"0\" TeeOffer, \"1\" Storage, \"2\" Solution, \"3\" Data)");
        if ((kind == "tee") != (type == OfferType.TeeOffer))
            throw new UserError($"{path}: offerType \"{info.OfferType}\" is a {type} offer", kind == "tee" ? "use `offers create value`" : "use `offers create tee`");
        string? cert = null;
        if (type == OfferType.TeeOffer)
        {
            // Without --tee-certificate the offer waits for its loader to publish one (sp-tee does at start-up).
            if (certPath is not null)
            {
                if (!File.Exists(certPath)) throw new UserError($"{certPath}: no such certificate file");
                cert = File.ReadAllText(certPath);
            }
        }
        else if (certPath is not null) throw new UserError($"--tee-certificate: only a TEE offer carries one, this is a {type} offer");
        using var ctx = new ClientContext(configPath);
        var created = await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OfferCreate(type, info, cert));
        Console.WriteLine($"Offer {created.Ids.Offer} has been created");
        return 0;
    }

    public static async Task<int> AddSlotAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var offerId = LedgerId.Parse<OfferId>(cl.Required("offer", "offer id"), "--offer").Value;
        var slot = StrictJson.ParseFile<SlotInfo>(cl.Required("path", "slot-info.json"));
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        await OwnOfferAsync(ctx, kind, offerId);
        var added = await ctx.Node.SendAsync(ctx.Account, ctx.Network, new SlotAdd(offerId, slot));
        Console.WriteLine($"Slot {added.Ids.Slot} for offer {offerId} has been created successfully");
        return 0;
    }

    public static async Task<int> UpdateSlotAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var offerId = LedgerId.Parse<OfferId>(cl.Required("offer", "offer id"), "--offer").Value;
        var slotId = LedgerId.Parse<SlotId>(cl.Required("slot", "slot id"), "--slot").Value;
        var slot = StrictJson.ParseFile<SlotInfo>(cl.Required("path", "slot-info.json"));
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        await OwnOfferAsync(ctx, kind, offerId);
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new SlotUpdate(offerId, slotId, slot));
        Console.WriteLine($"Slot {slotId} of offer {offerId} has been updated successfully");
        return 0;
    }

    public static async Task<int> DeleteSlotAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var offerId = LedgerId.Parse<OfferId>(cl.Required("offer", "offer id"), "--offer").Value;
        var slotId = LedgerId.Parse<SlotId>(cl.Required("slot", "slot id"), "--slot").Value;
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        await OwnOfferAsync(ctx, kind, offerId);
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new SlotDelete(offerId, slotId));
        Console.WriteLine($"Slot {slotId} of offer {offerId} has been deleted successfully");
        return 0;
    }

    public static async Task<int> SetEnabledAsync(CommandLine cl, string configPath, bool enabled)
    {
        // `offers enable ID` (the original's form: the kind comes from the ledger) or `offers enable tee|value ID`.
        string? kind = cl.Positionals.Count > 1 ? Kind(cl.Positionals[0]) : null;
        var offerId = cl.PositionalId<OfferId>(kind is null ? 0 : 1, "offer id").Value;
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var v = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"offer {offerId} does not exist");
        if (kind is not null) CheckKind(kind, v.Offer);
        var word = enabled ? "enabled" : "disabled";
        if (v.Offer.Enabled == enabled)
        {
            Console.WriteLine($"Offer {offerId} is already {word}");
            return 0;
        }
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OfferSetEnabled(offerId, enabled));
        Console.WriteLine($"Offer {offerId} has been {(enabled ? "enabled" : "disabled")}");
        return 0;
    }

    /// <summary>`offers get-info tee|value ID [--save-to FILE]`: the offer's info (offer-info.json's fields) as lines, and as JSON.</summary>
    public static async Task<int> GetInfoAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var id = cl.PositionalId<OfferId>(1, "offer id").Value;
        var saveTo = cl.Option("save-to");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var v = await ctx.Node.GetOfferAsync(id) ?? throw new UserError($"offer {id} does not exist");
        CheckKind(kind, v.Offer);
        PrintObject(SpJson.Serialize(v.Offer.Info));
        if (saveTo is not null) Save(saveTo, SpJson.Serialize(v.Offer.Info, indented: true));
        return 0;
    }

    /// <summary>`offers get-slot tee|value --offer ID --slot ID [--save-to FILE]`: one slot as lines, and as JSON.</summary>
    public static async Task<int> GetSlotAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var offerId = LedgerId.Parse<OfferId>(cl.Required("offer", "offer id"), "--offer").Value;
        var slotId = LedgerId.Parse<SlotId>(cl.Required("slot", "slot id"), "--slot").Value;
        var saveTo = cl.Option("save-to");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var v = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"offer {offerId} does not exist");
        CheckKind(kind, v.Offer);
        var slot = v.Slots.FirstOrDefault(x => x.Id == slotId)
            ?? throw new UserError($"slot {slotId} of offer {offerId} could not be found", v.Slots.Count == 0 ? "the offer has no slots" : $"its slots: {string.Join(",", v.Offer.SlotIds)}");
        Console.Write(Output.KeyValues(SlotColumns.Prepend("offer_id").Concat(SlotOptionColumns)
            .Zip(SlotRow(slot).Prepend(offerId.ToString(CultureInfo.InvariantCulture)).Concat(
            [
                slot.Info.Option.Bandwidth.ToString(CultureInfo.InvariantCulture), slot.Info.Option.ExternalPort.ToString(CultureInfo.InvariantCulture),
                slot.Info.Option.Traffic.ToString(CultureInfo.InvariantCulture),
            ]))));
        if (saveTo is not null) Save(saveTo, SpJson.Serialize(new { id = slot.Id, offerId, slot.Info.Info, slot.Info.Usage, slot.Info.Option }, indented: true));
        return 0;
    }

    /// <summary>
    /// `offers update`: refused. An offer's info never changes on this ledger (orders and reports refer to it as it
    /// was); slots change with update-slot, and a changed offer is a new one.
    /// </summary>
    public static Task<int> UpdateAsync(CommandLine cl, string configPath)
    {
        _ = configPath;
        Kind(cl.Positional(0, "tee|value"));
        cl.Option("path");
        cl.Option("configuration");
        cl.RejectUnknown();
        throw new UserError("offers update: an offer's info cannot change on this ledger (orders and reports refer to it as it was)",
            "change its slots with `spctl offers update-slot`, or create a new offer with `spctl offers create` and `spctl offers disable` this one");
    }

    /// <summary>`offers download-content`: refused. Value offers carry no public content here: data is released per order.</summary>
    public static Task<int> DownloadContentAsync(CommandLine cl, string configPath)
    {
        _ = configPath;
        cl.PositionalId<OfferId>(0, "offer id");
        cl.Option("save-to");
        cl.RejectUnknown();
        throw new UserError("offers download-content: offers carry no downloadable content on this network (a dataset is released per order, sealed to its TEE)",
            "a data owner completes the order's data sub-order with `spctl orders complete`; a solution is uploaded with `spctl files upload`");
    }

    private static readonly string[] SlotOptionColumns = ["bandwidth", "external_port", "traffic"];

    /// <summary>A JSON object as `key: value` lines (the original's names); nested values print as compact JSON.</summary>
    private static void PrintObject(string json)
    {
        var o = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Console.Write(Output.KeyValues(o.Select(kv => (kv.Key, kv.Value switch
        {
            null => null,
            System.Text.Json.Nodes.JsonValue val => val.ToString(),
            System.Text.Json.Nodes.JsonArray { Count: 0 } => null,
            var n => n.ToJsonString(),
        }))));
    }

    private static void Save(string path, string json)
    {
        var full = Path.GetFullPath(path);
        File.WriteAllText(full, json + "\n");
        Console.WriteLine($"Saved result to {full}");
    }

    /// <summary>The offer exists and is of the kind named (the ledger checks ownership and says whose it is).</summary>
    private static async Task<OfferView> OwnOfferAsync(ClientContext ctx, string kind, long offerId)
    {
        var v = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"offer {offerId} does not exist");
        CheckKind(kind, v.Offer);
        return v;
    }

    private static void CheckKind(string kind, Offer offer)
    {
        if ((kind == "tee") != (offer.Type == OfferType.TeeOffer))
            throw new UserError($"offer {offer.Id} is a {offer.Type} offer", kind == "tee" ? "use `value` instead of `tee`" : "use `tee` instead of `value`");
    }

    /// <summary>A TEE offer's load, from its queue: orders waiting (New) and the CPU cores of the running ones' slots.</summary>
    private sealed record Load(int Waiting, long BusyCores);

    private static async Task<Dictionary<long, Load>> LoadAsync(ClientContext ctx, IEnumerable<OfferView> offers, IEnumerable<string> fields)
    {
        var load = new Dictionary<long, Load>();
        if (!fields.Any(LoadFields.Contains)) return load;
        foreach (var v in offers.Where(v => v.Offer.Type == OfferType.TeeOffer))
        {
            var queue = await ctx.Node.GetTeeQueueAsync(v.Offer.Id);
            var busy = queue.Where(q => q.Order.Status == OrderStatus.Processing)
                .Sum(q => v.Slots.FirstOrDefault(s => s.Id == q.Order.SlotId)?.Info.Info.CpuCores ?? 0);
            load[v.Offer.Id] = new Load(queue.Count(q => q.Order.Status == OrderStatus.New), busy);
        }
        return load;
    }

    /// <summary>A TEE offer's cores: the largest slot's (the ledger does not know the machine's own count).</summary>
    private static long? TotalCores(OfferView v) =>
        v.Offer.Type == OfferType.TeeOffer && v.Slots.Count > 0 ? v.Slots.Max(s => s.Info.Info.CpuCores) : null;

    private static string? Field(OfferView v, string f, bool table, IReadOnlyDictionary<long, Load>? load = null)
    {
        var o = v.Offer;
        var l = load is not null && load.TryGetValue(o.Id, out var x0) ? x0 : null;
        return f switch
        {
            "provider_name" => v.Provider?.Name,
            "modified_date" => Output.Time(o.Created),
            "depends_on_offers" => string.Join(",", o.Info.Restrictions?.Offers ?? []),
            "total_cores" => TotalCores(v)?.ToString(CultureInfo.InvariantCulture),
            "free_cores" => TotalCores(v) is { } t && l is not null ? Math.Max(0, t - l.BusyCores).ToString(CultureInfo.InvariantCulture) : null,
            "orders_in_queue" => l?.Waiting.ToString(CultureInfo.InvariantCulture),
            "id" => o.Id.ToString(CultureInfo.InvariantCulture),
            "name" => o.Info.Name,
            "description" => o.Info.Description,
            "type" => o.Type.ToString(),
            "group" => Enum.TryParse<OfferGroup>(o.Info.Group, out var g) && Enum.IsDefined(g) ? g.ToString() : o.Info.Group,
            "provider" => v.Provider?.Name,
            "provider_address" => Address.Parse(o.Owner).ToString(),
            "cancelable" => o.Info.Cancelable ? "true" : "false",
            // Tables say yes/no, key: value lines true/false (as before).
            "enabled" => table ? (o.Enabled ? "yes" : "no") : (o.Enabled ? "true" : "false"),
            "slots" => string.Join(",", o.SlotIds),
            "min_price" => v.Slots.Count == 0 ? null : SlotPricing.Describe(v.Slots.MinBy(s => SlotPricing.MinimumCost(s.Info.Usage))!.Info.Usage),
            "allowed_accounts" => string.Join(",", (o.Info.AllowedAccounts ?? []).Select(a => Address.TryParse(a, out var x) ? x.ToString() : a)),
            "restrictions_offers" => string.Join(",", o.Info.Restrictions?.Offers ?? []),
            "restrictions_types" => string.Join(",", (o.Info.Restrictions?.Types ?? []).Select(t => MarketMachine.ParseOfferType(t)?.ToString() ?? t)),
            "tee_certificate" => o.TeeCertificate is null ? null : "present",
            "created" => Output.Time(o.Created),
            _ => null,
        };
    }

    private static IReadOnlyList<string?> SlotRow(Slot s)
    {
        var r = s.Info.Info;
        var u = s.Info.Usage;
        return
        [
            s.Id.ToString(CultureInfo.InvariantCulture), r.CpuCores.ToString(CultureInfo.InvariantCulture), r.GpuCores.ToString(CultureInfo.InvariantCulture),
            r.Ram.ToString(CultureInfo.InvariantCulture), r.Vram.ToString(CultureInfo.InvariantCulture), r.DiskUsage.ToString(CultureInfo.InvariantCulture),
            SlotPricing.Price(u).ToString(), SlotPricing.IsPerHour(u) ? nameof(PriceType.PerHour) : nameof(PriceType.Fixed),
            u.MinTimeMinutes.ToString(CultureInfo.InvariantCulture), u.MaxTimeMinutes.ToString(CultureInfo.InvariantCulture),
        ];
    }

    private static string[] Fields(string? option, string[] defaults)
    {
        if (option is null) return defaults;
        var fields = option.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length == 0) throw new UserError("--fields: name at least one field");
        foreach (var f in fields)
            if (!OfferFields.Contains(f)) throw new UserError($"--fields: unknown field '{f}' (expected some of {string.Join(",", OfferFields)})");
        return fields;
    }

    private static int PositiveInt(string s, string what) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UserError($"{what} '{s}': expected a positive whole number");

    private static string Kind(string s) => s switch
    {
        "tee" => "tee",
        "value" => "value",
        _ => throw new UserError($"'{s}': expected tee or value"),
    };
}
