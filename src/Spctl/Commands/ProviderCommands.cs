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
    /// <summary>provider.json: what provider-tools saves ("address" is accepted and must be this account's).</summary>
    private sealed record ProviderFile(string Name, string? Description = null, string? Address = null);

    public static async Task<int> GetAsync(CommandLine cl, string configPath)
    {
        var who = cl.Positionals.Count > 0 ? cl.Positionals[0] : null;
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        Address address;
        if (who is null) address = ctx.Account.Address;
        else if (!Address.TryParse(who, out address)) throw new UserError($"'{who}' is not an account address (0x followed by 40 hex digits)");
        var p = await ctx.Node.GetProviderAsync(address) ?? throw new UserError($"account {address} is not a provider");
        var offers = (await ctx.Node.ListOffersAsync("all")).Where(o => o.Offer.Owner == address.Lower).Select(o => o.Offer.Id);
        Console.Write(Output.KeyValues([
            ("address", address.ToString()),
            ("name", p.Name),
            ("description", p.Description),
            ("offers", string.Join(",", offers)),
            ("created", Output.Time(p.Created)),
        ]));
        return 0;
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
