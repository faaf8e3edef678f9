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
    ];

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
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        // One more than asked tells whether another page follows.
        var page = await ctx.Node.ListOffersAsync(kind, cursor, limit + 1);
        var more = limit is { } n && page.Count > n;
        if (more) page = page.Take(limit!.Value).ToList();
        if (saveTo is not null)
        {
            File.WriteAllText(saveTo, SpJson.Serialize(page, indented: true) + "\n");
            Console.WriteLine($"{page.Count} offer(s) were saved to {saveTo}");
        }
        else if (page.Count == 0) Console.WriteLine("No offers found");
        else Console.Write(Output.Table(fields, page.Select(v => fields.Select(f => Field(v, f, table: true)).ToList())));
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
        Console.Write(Output.KeyValues(fields.Select(f => (f, Field(v, f, table: false)))));
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
        var kind = Kind(cl.Positional(0, "tee|value"));
        var offerId = cl.PositionalId<OfferId>(1, "offer id").Value;
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        await OwnOfferAsync(ctx, kind, offerId);
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OfferSetEnabled(offerId, enabled));
        Console.WriteLine($"Offer {offerId} has been {(enabled ? "enabled" : "disabled")}");
        return 0;
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

    private static string? Field(OfferView v, string f, bool table)
    {
        var o = v.Offer;
        return f switch
        {
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
