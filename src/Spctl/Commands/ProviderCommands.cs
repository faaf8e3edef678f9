using Sp.Cli;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;

namespace Spctl.Commands;

/// <summary>`providers get|create|update`: the provider record of an account (name, description).</summary>
public static class ProviderCommands
{
    /// <summary>
    /// provider.json: what provider-tools saves ("address" is accepted and must be this account's), or the original's
    /// providerInfo.json, whose tokenReceiver, actionAccount and metadata are accepted and ignored with a note: here a
    /// provider is one account, which acts and receives payments, and the ledger keeps no provider metadata.
    /// </summary>
    private sealed record ProviderFile(string Name, string? Description = null, string? Address = null,
                                       string? TokenReceiver = null, string? ActionAccount = null, System.Text.Json.JsonElement? Metadata = null);

    public const string DefaultGetFields = "address,name,description,offers,created";
    public const string DefaultListFields = "address,name";

    /// <summary>The fields `providers get|list --fields` know: ours and the original's (its three accounts are the one account here).</summary>
    public static readonly string[] Fields =
        ["address", "name", "description", "offers", "created", "authority_account", "action_account", "token_receiver", "metadata", "modified_date"];

    public static async Task<int> GetAsync(CommandLine cl, string configPath)
    {
        var who = cl.Positionals.Count > 0 ? cl.Positionals[0] : null;
        var fields = ParseFields(cl.Option("fields") ?? DefaultGetFields);
        var saveTo = cl.Option("save-to");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        Address address;
        if (who is null) address = ctx.Account.Address;
        else if (!Address.TryParse(who, out address)) throw new UserError($"'{who}' is not an account address (0x followed by 40 hex digits)");
        var p = await ctx.Node.GetProviderAsync(address) ?? throw new UserError($"account {address} is not a provider");
        var offers = fields.Contains("offers") ? await OffersOfAsync(ctx) : null;
        Console.Write(Output.KeyValues(fields.Select(f => (f, Field(p, f, offers)))));
        if (saveTo is not null)
        {
            // The original's providerInfo shape, so that `providers create --path` takes it back.
            var full = Path.GetFullPath(saveTo);
            File.WriteAllText(full, SpJson.Serialize(new { name = p.Name, description = p.Description, address = address.ToString(),
                tokenReceiver = address.ToString(), actionAccount = address.ToString() }, indented: true) + "\n");
            Console.WriteLine($"Saved result to {full}");
        }
        return 0;
    }

    /// <summary>`providers list [--fields] [--limit N] [--cursor ADDRESS]`: a table in address order, next_cursor when more follow.</summary>
    public static async Task<int> ListAsync(CommandLine cl, string configPath)
    {
        var fields = ParseFields(cl.Option("fields") ?? DefaultListFields);
        var limitText = cl.Option("limit") ?? "10";
        var limit = int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new UserError($"--limit '{limitText}': expected a positive whole number");
        var cursor = cl.Option("cursor");
        cl.RejectUnknown();
        if (cursor is not null && !Address.TryParse(cursor, out _)) throw new UserError($"--cursor '{cursor}': expected a provider address (a next_cursor)");
        using var ctx = new ClientContext(configPath);
        var page = await ctx.Node.ListProvidersAsync(cursor, limit + 1);
        var more = page.Count > limit;
        if (more) page = page.Take(limit).ToList();
        if (page.Count == 0)
        {
            Console.WriteLine("No providers found");
            return 0;
        }
        var offers = fields.Contains("offers") ? await OffersOfAsync(ctx) : null;
        Console.Write(Output.Table(fields, page.Select(p => fields.Select(f => Field(p, f, offers)).ToList())));
        if (more) Console.WriteLine($"next_cursor: {Address.Parse(page[^1].Address)}");
        return 0;
    }

    private static async Task<ILookup<string, long>> OffersOfAsync(ClientContext ctx) =>
        (await ctx.Node.ListOffersAsync("all")).ToLookup(o => o.Offer.Owner, o => o.Offer.Id, StringComparer.OrdinalIgnoreCase);

    private static string? Field(Sp.Api.Provider p, string f, ILookup<string, long>? offers) => f switch
    {
        "address" or "authority_account" or "action_account" or "token_receiver" => Address.Parse(p.Address).ToString(),
        "name" => p.Name,
        "description" => p.Description,
        "offers" => string.Join(",", offers![p.Address]),
        "created" or "modified_date" => Output.Time(p.Created),
        _ => null, // metadata: the ledger keeps none
    };

    private static string[] ParseFields(string option)
    {
        var fields = option.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length == 0) throw new UserError("--fields: name at least one field");
        foreach (var f in fields)
            if (!Fields.Contains(f)) throw new UserError($"--fields: unknown field '{f}' (expected some of {string.Join(",", Fields)})");
        return fields;
    }

    public static async Task<int> CreateAsync(CommandLine cl, string configPath)
    {
        var (name, description, fileAddress) = Read(cl, requireName: true);
        using var ctx = new ClientContext(configPath);
        CheckAddress(fileAddress, ctx);
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new ProviderCreate(name!, description ?? ""));
        Console.WriteLine($"Provider '{name}' has been created for {ctx.Account.Address}");
        return 0;
    }

    public static async Task<int> UpdateAsync(CommandLine cl, string configPath)
    {
        var (name, description, fileAddress) = Read(cl, requireName: false);
        using var ctx = new ClientContext(configPath);
        CheckAddress(fileAddress, ctx);
        var current = await ctx.Node.GetProviderAsync(ctx.Account.Address)
            ?? throw new UserError($"account {ctx.Account.Address} is not a provider", "create it with `spctl providers create --name NAME`");
        name ??= current.Name;
        description ??= current.Description;
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new ProviderUpdate(name, description));
        Console.WriteLine($"Provider '{name}' has been updated");
        return 0;
    }

    private static (string? Name, string? Description, string? FileAddress) Read(CommandLine cl, bool requireName)
    {
        string? fileAddress = null;
        var path = cl.Option("path");
        var name = cl.Option("name");
        var description = cl.Option("description");
        cl.RejectUnknown();
        if (path is not null)
        {
            if (name is not null || description is not null) throw new UserError("pass either --path or --name/--description, not both");
            var file = StrictJson.ParseFile<ProviderFile>(path);
            fileAddress = file.Address;
            var ignored = new[] { ("tokenReceiver", file.TokenReceiver is not null), ("actionAccount", file.ActionAccount is not null), ("metadata", file.Metadata is not null) }
                .Where(x => x.Item2).Select(x => x.Item1).ToList();
            if (ignored.Count > 0)
                Console.WriteLine($"note: {path}: {string.Join(", ", ignored)} ignored: a provider here is one account, which acts and receives payments, and the ledger keeps no provider metadata");
            name = file.Name;
            description = file.Description;
        }
        if (name is not null && string.IsNullOrWhiteSpace(name)) throw new UserError("the provider name must not be empty");
        if (requireName && name is null) throw new UserError("missing --name <provider name> (or --path provider.json)");
        return (name, description, fileAddress);
    }

    private static void CheckAddress(string? fileAddress, ClientContext ctx)
    {
        if (fileAddress is { } a && (!Address.TryParse(a, out var parsed) || parsed != ctx.Account.Address))
            throw new UserError($"the provider file is for account {a}, but this config's account is {ctx.Account.Address}");
    }
}
