using Sp.Client.Cli;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Ledger.Transactions;

namespace ProviderTools;

/// <summary>
/// `provider-tools register data --result dataset.resource.json` and `register solution --result
/// solution.resource.json`: the guide's dialog, each question waiting on its line for a typed answer (terminal or
/// piped stdin). First-time provider setup comes first.
/// </summary>
public static class ProviderApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var cl = CommandLine.Parse(args, ["help"]);
            var configPath = cl.Option("config") ?? "config.json";
            var cmd = string.Join(' ', cl.Positionals.Take(2));
            cl.Positionals.RemoveRange(0, Math.Min(2, cl.Positionals.Count));
            return cmd switch
            {
                "register data" => await RegisterAsync(cl, configPath, OfferType.Data),
                "register solution" => await RegisterAsync(cl, configPath, OfferType.Solution),
                "register tee" => throw new UserError($"`provider-tools {cmd}` is not available on this network",
                    "a TEE offer is registered by its loader (sp-tee) when it starts"),
                _ => throw new UserError($"unknown command '{cmd}'", "usage: provider-tools register data|solution --result <resource.json>"),
            };
        }
        catch (UserError e)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"\nerror: {e.Message}");
            if (e.Hint is not null) Console.Error.WriteLine($"hint: {e.Hint}");
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or HttpRequestException)
        {
            Console.Error.WriteLine($"\nerror: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"\nerror: internal error ({e.GetType().Name}: {e.Message})");
            return 1;
        }
    }

    private static async Task<int> RegisterAsync(CommandLine cl, string configPath, OfferType type)
    {
        var what = type == OfferType.Data ? "dataset" : "solution";
        var resultPath = cl.Required("result", $"{what} resource file");
        cl.RejectUnknown();
        if (!File.Exists(resultPath)) throw new UserError($"{resultPath}: no such resource file");
        var resource = SpJson.Deserialize<ResourceFile>(File.ReadAllText(resultPath));
        using var ctx = new ClientContext(configPath);
        var me = ctx.Account.Address;

        if (await ctx.Node.GetProviderAsync(me) is null) await SetupProviderAsync(ctx);

        long offerId;
        if (AskYesNo($"Have you already created a {type.ToString().ToUpperInvariant()} offer? (y/n): "))
        {
            var answer = Ask("Please specify the offer id: ");
            if (!long.TryParse(answer, out offerId)) throw new UserError($"'{answer}' is not an offer id");
            var existing = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"offer {offerId} does not exist");
            if (!string.Equals(existing.Offer.Owner, me.Lower, StringComparison.OrdinalIgnoreCase)) throw new UserError($"offer {offerId} belongs to {existing.Offer.Owner}, not to you ({me})");
            if (existing.Offer.Type != type) throw new UserError($"offer {offerId} is a {existing.Offer.Type} offer, expected a {type} offer");
        }
        else
        {
            var offerInfo = StrictJson.ParseFile<OfferInfo>(AskPath("Please specify a path to the offer info json file: "));
            var created = await ctx.Node.SendAsync(ctx.Account, ctx.Network, TxTypes.OfferCreate, new OfferCreate(type, offerInfo));
            offerId = created.Ids["offerId"];
            Console.WriteLine($"Offer {offerId} has been created");
        }
        do
        {
            var slotPath = AskPath("Please specify a path to the slot info json file: ");
            var slot = StrictJson.ParseFile<SlotInfo>(slotPath);
            if (slot.Info.DiskUsage < resource.Size)
                throw new UserError($"{slotPath}: info.diskUsage {slot.Info.DiskUsage} is smaller than the {what} ({resource.Size} bytes)", $"set diskUsage larger than the {what}'s size in bytes");
            var added = await ctx.Node.SendAsync(ctx.Account, ctx.Network, TxTypes.SlotAdd, new SlotAdd(offerId, slot));
            Console.WriteLine($"Slot {added.Ids["slotId"]} for offer {offerId} has been created successfully");
        }
        while (AskYesNo("Do you want to add another slot? (y/n): "));
        if (type == OfferType.Data)
            Console.WriteLine($"Share the offer and slot ids with the consumer. Complete its data sub-orders with `spctl orders complete`.");
        else
            Console.WriteLine($"Share the offer and slot ids and the solution's hash sha256:{resource.Hash.Value.ToLowerInvariant()} with data owners: they approve that hash with `spctl orders complete --solution-hash`.");
        return 0;
    }

    private static async Task SetupProviderAsync(ClientContext ctx)
    {
        Console.WriteLine("Provider setup: this account is not a provider yet.");
        var name = Ask("Please enter a provider name: ");
        if (name.Length == 0) throw new UserError("the provider name must not be empty");
        var description = Ask("Please enter a provider description: ");
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, TxTypes.ProviderCreate, new ProviderCreate(name, description));
        if (AskYesNo("Do you want to save the provider information to a file? (y/n): "))
        {
            var path = Ask("Please specify a path to the provider information file: ");
            File.WriteAllText(path, SpJson.Serialize(new { name, description, address = ctx.Account.Address.ToString() }, indented: true) + "\n");
            Console.WriteLine($"Provider information was saved to {path}");
        }
        Console.WriteLine($"Provider '{name}' has been created");
    }

    private static string Ask(string question)
    {
        Console.Write(question);
        Console.Out.Flush();
        var line = Console.ReadLine() ?? throw new UserError($"no answer to '{question.Trim()}' (end of input)");
        return line.Trim();
    }

    private static string AskPath(string question)
    {
        var p = Ask(question);
        if (!File.Exists(p)) throw new UserError($"{p}: no such file");
        return p;
    }

    private static bool AskYesNo(string question)
    {
        for (var i = 0; i < 3; i++)
        {
            var a = Ask(question).ToLowerInvariant();
            if (a is "y" or "yes") return true;
            if (a is "n" or "no") return false;
            Console.WriteLine("Please answer y or n.");
        }
        throw new UserError($"no y/n answer to '{question.Trim()}'");
    }
}
