using System.CommandLine;
using Sp.Cmdline;
using Sp.Core.Ids;
using Sp.Core;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Ledger.Machine;
using Sp.Ledger.Transactions;

namespace ProviderTools;

/// <summary>
/// `provider-tools register data --result dataset.resource.json`, `register solution --result
/// solution.resource.json` and `register tee [--tee-config tee.json]`: the guide's dialog, each question waiting on its line for a typed answer (terminal or
/// piped stdin). First-time provider setup comes first.
/// </summary>
public static class ProviderApp
{
    /// <summary>The command tree: <c>register data|solution|tee</c>, each with its help.</summary>
    public static Command Tree()
    {
        Func<ParseResult, CancellationToken, Task<int>> Run(Func<CommandLine, string, Task<int>> handler) => (parse, _) =>
        {
            var cl = CommandLine.From(parse);
            return handler(cl, cl.Option("config") ?? "config.json");
        };
        return Cli.Root("provider-tools", "Registers this account as a provider and creates its offers and slots (the guide's dialog).",
            [Cli.Option("--config", "FILE", "Path to the configuration file, shared with spctl", defaultValue: "config.json")],
            Cli.Group("register", "Register an offer: provider setup the first time, then the offer and its slots",
                Cli.Command("data", "Register a data offer for a dataset uploaded with `spctl files upload`", Run((cl, config) => RegisterAsync(cl, config, OfferType.Data)),
                    Cli.Option("--result", "FILE", "The dataset's resource file (dataset.resource.json)", required: true)),
                Cli.Command("solution", "Register a solution offer for a solution uploaded with `spctl files upload`", Run((cl, config) => RegisterAsync(cl, config, OfferType.Solution)),
                    Cli.Option("--result", "FILE", "The solution's resource file (solution.resource.json)", required: true)),
                Cli.Command("tee", "Register a TEE offer and write the loader's configuration (tee.json) for `sp-tee run`", Run(RegisterTeeAsync),
                    Cli.Option("--tee-config", "FILE", "Where to save the loader's configuration (asked when not given)"))));
    }

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            return await CliRunner.InvokeAsync(Tree(), args, output, error);
        }
        catch (SpError e) // bad input, a refusal, a transient failure, an integrity failure: one line (cli-reference)
        {
            return Fail(e.OneLine);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or HttpRequestException)
        {
            return Fail(e.Message);
        }
        catch (Exception e)
        {
            return Fail($"internal error ({e.GetType().Name}: {e.Message})");
        }
    }

    /// <summary>A question may still wait on its line: end that line on stdout, then one error line on stderr.</summary>
    private static int Fail(string message)
    {
        if (s_questionPending) Console.WriteLine();
        Console.Out.Flush();
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        return 1;
    }

    private static async Task<int> RegisterAsync(CommandLine cl, string configPath, OfferType type)
    {
        var what = type == OfferType.Data ? "dataset" : "solution";
        var resultPath = cl.Required("result", $"{what} resource file");
        cl.RejectUnknown();
        if (!File.Exists(resultPath)) throw new UserError($"{resultPath}: no such resource file");
        var resource = SpJson.Deserialize<ResourceFile>(File.ReadAllText(resultPath));
        using var ctx = new ClientContext(configPath);
        var (offerId, _) = await OfferAndSlotsAsync(ctx, type, slot =>
        {
            if (slot.Info.Info.DiskUsage < resource.Size)
                throw new UserError($"{slot.Path}: info.diskUsage {slot.Info.Info.DiskUsage} is smaller than the {what} ({resource.Size} bytes)", $"set diskUsage larger than the {what}'s size in bytes");
        });
        if (type == OfferType.Data)
            Console.WriteLine($"Share the offer and slot ids with the consumer. Complete its data sub-orders with `spctl orders complete`.");
        else
            Console.WriteLine($"Share the offer and slot ids and the solution's hash sha256:{resource.Hash.Value.ToLowerInvariant()} with consumers and data owners: consumers order it with `spctl workflows create --solution OFFER,SLOT --solution-hash HASH`, data owners approve that hash with `spctl orders complete --solution-hash`. Release the image to each order's Solution sub-order with `spctl orders complete SUB --result {resultPath} --solution-hash HASH`.");
        return 0;
    }

    /// <summary>
    /// The dialog shared by every register command: first-time provider setup, then an existing offer of this type
    /// (its id) or a new one (its offer-info.json), then one or more slots (slot-info.json each). Returns the offer
    /// id and the slots created.
    /// </summary>
    private static async Task<(long OfferId, List<long> Slots)> OfferAndSlotsAsync(ClientContext ctx, OfferType type, Action<(string Path, SlotInfo Info)> checkSlot)
    {
        var me = ctx.Account.Address;
        if (await ctx.Node.GetProviderAsync(me) is null) await SetupProviderAsync(ctx);

        long offerId;
        var label = type == OfferType.TeeOffer ? "TEE" : type.ToString().ToUpperInvariant();
        if (AskYesNo($"Have you already created a {label} offer? (y/n): "))
        {
            var answer = Ask("Please specify the offer id: ");
            offerId = LedgerId.Parse<OfferId>(answer, "offer id").Value;
            var existing = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"offer {offerId} does not exist");
            if (!string.Equals(existing.Offer.Owner, me.Lower, StringComparison.OrdinalIgnoreCase)) throw new UserError($"offer {offerId} belongs to {existing.Offer.Owner}, not to you ({me})");
            if (existing.Offer.Type != type) throw new UserError($"offer {offerId} is a {existing.Offer.Type} offer, expected a {type} offer");
        }
        else
        {
            var infoPath = AskPath("Please specify a path to the offer info json file: ");
            var offerInfo = StrictJson.ParseFile<OfferInfo>(infoPath);
            if (MarketMachine.ParseOfferType(offerInfo.OfferType) is { } declared && declared != type)
                throw new UserError($"{infoPath}: offerType \"{offerInfo.OfferType}\" is a {declared} offer, expected \"{(int)type}\" for a {type} offer");
            var created = await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OfferCreate(type, offerInfo));
            offerId = created.Ids.Offer.Value;
            Console.WriteLine($"Offer {offerId} has been created");
        }
        var slots = new List<long>();
        do
        {
            var slotPath = AskPath("Please specify a path to the slot info json file: ");
            var slot = StrictJson.ParseFile<SlotInfo>(slotPath);
            checkSlot((slotPath, slot));
            var added = await ctx.Node.SendAsync(ctx.Account, ctx.Network, new SlotAdd(offerId, slot));
            slots.Add(added.Ids.Slot.Value);
            Console.WriteLine($"Slot {added.Ids.Slot} for offer {offerId} has been created successfully");
        }
        while (AskYesNo("Do you want to add another slot? (y/n): "));
        return (offerId, slots);
    }

    /// <summary>
    /// <c>provider-tools register tee [--tee-config tee.json]</c>: a compute provider registers a TEE offer (offer
    /// info with <c>"offerType": "0"</c>, slots describing each slot's capacity: CPU and GPU cores, RAM, VRAM,
    /// disk, and prices) before its loader runs, then gets the loader's configuration: tee.json (this account's
    /// key, the node, the pinned log key, the attestation provider) and tee-state.json beside it naming the
    /// offer, so that sp-tee publishes its certificate for this offer at start-up instead of creating its own.
    /// </summary>
    private static async Task<int> RegisterTeeAsync(CommandLine cl, string configPath)
    {
        var teeConfigPath = cl.Option("tee-config");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var (offerId, slots) = await OfferAndSlotsAsync(ctx, OfferType.TeeOffer, slot =>
        {
            if (slot.Info.Info.CpuCores <= 0 || slot.Info.Info.Ram <= 0 || slot.Info.Info.DiskUsage <= 0)
                throw new UserError($"{slot.Path}: a TEE slot describes its capacity: info.cpuCores, info.ram and info.diskUsage must be > 0",
                    "the loader gives each order the CPU cores, RAM (bytes) and output disk (bytes) of its slot");
        });

        teeConfigPath ??= Ask("Please specify a path to save the TEE loader configuration (tee.json): ");
        if (teeConfigPath.Length == 0) throw new UserError("the path of the TEE loader configuration must not be empty");
        string attestation = "";
        for (var i = 0; i < 3 && attestation is not ("sim" or "tdx" or "sev-snp"); i++)
            attestation = Ask("Which attestation provider does the TEE use? (sim, tdx, sev-snp): ").ToLowerInvariant();
        if (attestation is not ("sim" or "tdx" or "sev-snp")) throw new UserError("the attestation provider must be sim, tdx or sev-snp");
        string? simKey = null;
        if (attestation == "sim")
            simKey = Path.GetFullPath(AskPath("Please specify a path to the sim platform key (a devnet's node folder holds sim-platform.key.pem): "));

        var teeDir = Path.GetDirectoryName(Path.GetFullPath(teeConfigPath))!;
        Directory.CreateDirectory(teeDir);
        var teeConfig = new Dictionary<string, object?>
        {
            ["nodeUrl"] = ctx.Config.Backend.Url,
            ["network"] = ctx.Network,
            ["accountPrivateKey"] = ctx.Account.ExportHex(),
            ["attestation"] = attestation,
            ["simPlatformKey"] = simKey,
            ["logKey"] = ctx.Config.Trust.LogKey,
            ["stateFile"] = "tee-state.json",
        }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
        SecretFile.Write(teeConfigPath, SpJson.Serialize(teeConfig, indented: true) + "\n");
        File.WriteAllText(Path.Combine(teeDir, "tee-state.json"), SpJson.Serialize(new { offerId, slotId = slots[0] }, indented: true) + "\n");
        Console.WriteLine($"The TEE loader configuration was saved to {teeConfigPath} (it holds this account's key: keep it secret)");
        Console.WriteLine($"Start the loader with `sp-tee run --config {teeConfigPath}`: it publishes its certificate for TEE offer {offerId}, which then takes orders.");
        return 0;
    }


    private static async Task SetupProviderAsync(ClientContext ctx)
    {
        Console.WriteLine("Provider setup: this account is not a provider yet.");
        var name = Ask("Please enter a provider name: ");
        if (name.Length == 0) throw new UserError("the provider name must not be empty");
        var description = Ask("Please enter a provider description: ");
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new ProviderCreate(name, description));
        if (AskYesNo("Do you want to save the provider information to a file? (y/n): "))
        {
            var path = Ask("Please specify a path to the provider information file: ");
            File.WriteAllText(path, SpJson.Serialize(new { name, description, address = ctx.Account.Address.ToString() }, indented: true) + "\n");
            Console.WriteLine($"Provider information was saved to {path}");
        }
        Console.WriteLine($"Provider '{name}' has been created");
    }

    private static bool s_questionPending;

    private static string Ask(string question)
    {
        Console.Write(question);
        Console.Out.Flush();
        s_questionPending = true;
        var line = Console.ReadLine() ?? throw new UserError($"no answer to '{question.Trim()}' (end of input)");
        s_questionPending = false; // answered: on a terminal its Enter ended the line
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
