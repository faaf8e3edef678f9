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
    /// <summary>The command tree: <c>setup</c> and <c>register data|solution|tee</c>, each with its help.</summary>
    public static Command Tree()
    {
        Func<ParseResult, CancellationToken, Task<int>> Run(Func<CommandLine, string, Task<int>> handler) => (parse, _) =>
        {
            var cl = CommandLine.From(parse);
            return handler(cl, cl.Option("config") ?? "config.json");
        };
        // The dialog's answers as options, for scripts: each one skips its question; --yes asks none.
        Symbol[] Dialog(params Symbol[] more) =>
        [
            .. more,
            Cli.Option("--offer", "ID", "Use this existing offer of yours (answers 'Have you already created …' with y, and the offer id)"),
            Cli.Option("--offer-info", "FILE", "Create the offer from this offer info file (answers 'Have you already created …' with n, and the path)"),
            Cli.Many("--slot-info", "FILE", "A slot info file; repeat for several slots (answers the slot questions, and 'Do you want to add another slot?')"),
            Cli.Option("--provider-name", "NAME", "The provider name, the first time (answers 'Please enter a provider name')"),
            Cli.Option("--provider-description", "TEXT", "The provider description, the first time (with --yes: empty when not given)"),
            Cli.Option("--provider-info", "FILE", "Save the provider information to this file, the first time (with --yes: not saved when not given)"),
            Cli.Option("--output", "DIR", "Write offer.json (offer id, slot ids, type, provider, and the resource's hash and size) into this folder, created if missing"),
            Cli.Option("--backend-url", "URL", "Talk to this node instead of the config's backend.url (the config's pinned trust anchors still apply)"),
            Cli.Flag("--yes", "Ask no question: every answer comes from the options above, and a missing one is an error naming its option"),
        ];
        return Cli.Root("provider-tools", "Registers this account as a provider and creates its offers and slots (the guide's dialog).",
            [Cli.Option("--config", "FILE", "Path to the configuration file, shared with spctl", defaultValue: "config.json")],
            Cli.Command("setup", "Create the configuration shared with spctl, or update it keeping what is not changed (as `spctl setup`)",
                Run((cl, config) =>
                {
                    var request = ClientSetup.Request(cl);
                    cl.RejectUnknown();
                    return ClientSetup.RunAsync(config, request);
                }),
                ClientSetup.Options()),
            Cli.Group("register", "Register an offer: provider setup the first time, then the offer and its slots",
                Cli.Command("data", "Register a data offer for a dataset uploaded with `spctl files upload`", Run((cl, config) => RegisterAsync(cl, config, OfferType.Data)),
                    Dialog(Cli.Option("--result", "FILE", "The dataset's resource file (dataset.resource.json)", required: true))),
                Cli.Command("solution", "Register a solution offer for a solution uploaded with `spctl files upload`", Run((cl, config) => RegisterAsync(cl, config, OfferType.Solution)),
                    Dialog(Cli.Option("--result", "FILE", "The solution's resource file (solution.resource.json)", required: true))),
                Cli.Command("tee", "Register a TEE offer and write the loader's configuration (tee.json) for `sp-tee run`", Run(RegisterTeeAsync),
                    Dialog(Cli.Option("--tee-config", "FILE", "Where to save the loader's configuration (asked when not given)"),
                        Cli.Option("--attestation", "PROVIDER", "The TEE's attestation provider: sim, tdx or sev-snp (asked when not given)", only: ["sim", "tdx", "sev-snp"]),
                        Cli.Option("--sim-platform-key", "FILE", "With sim: the devnet's sim platform key (asked when not given)")))));
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
        if (Prompt.Pending) Console.WriteLine();
        Console.Out.Flush();
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        return 1;
    }

    /// <summary>
    /// The dialog's answers given on the line. Each one skips its question; with <see cref="Yes"/> no question is
    /// asked, and one whose option is missing is an error naming that option.
    /// </summary>
    private sealed record Answers(bool Yes, string? BackendUrl, string? OutputDir, long? Offer, string? OfferInfo, IReadOnlyList<string> SlotInfos,
        string? ProviderName, string? ProviderDescription, string? ProviderInfo)
    {
        public static Answers Read(CommandLine cl)
        {
            var offer = cl.Option("offer");
            var answers = new Answers(cl.Flag("yes"), cl.Option("backend-url"), cl.Option("output"),
                offer is null ? null : LedgerId.Parse<OfferId>(offer, "--offer").Value, cl.Option("offer-info"), cl.Options("slot-info"),
                cl.Option("provider-name"), cl.Option("provider-description"), cl.Option("provider-info"));
            if (answers.Offer is not null && answers.OfferInfo is not null)
                throw new UserError("--offer and --offer-info exclude each other", "--offer ID uses an existing offer, --offer-info FILE creates one");
            return answers;
        }

        public string Ask(string question, string? given, string option) =>
            given ?? (Yes ? throw new UserError($"--yes: no answer to '{question.Trim()}'", $"pass {option}") : Prompt.Ask(question));

        public string AskPath(string question, string? given, string option)
        {
            var p = Ask(question, given, option);
            if (!File.Exists(p)) throw new UserError($"{p}: no such file");
            return p;
        }
    }

    private static async Task<int> RegisterAsync(CommandLine cl, string configPath, OfferType type)
    {
        var what = type == OfferType.Data ? "dataset" : "solution";
        var resultPath = cl.Required("result", $"{what} resource file");
        var answers = Answers.Read(cl);
        cl.RejectUnknown();
        if (!File.Exists(resultPath)) throw new UserError($"{resultPath}: no such resource file");
        var resource = SpJson.Deserialize<ResourceFile>(File.ReadAllText(resultPath));
        using var ctx = new ClientContext(configPath, backendUrl: answers.BackendUrl);
        var (offerId, slots) = await OfferAndSlotsAsync(ctx, type, answers, slot =>
        {
            if (slot.Info.Info.DiskUsage < resource.Size)
                throw new UserError($"{slot.Path}: info.diskUsage {slot.Info.Info.DiskUsage} is smaller than the {what} ({resource.Size} bytes)", $"set diskUsage larger than the {what}'s size in bytes");
        });
        WriteOutput(ctx, answers, type, offerId, slots, new { hash = resource.Hash.Value.ToLowerInvariant(), size = resource.Size }, null);
        if (type == OfferType.Data)
            Console.WriteLine($"Share the offer and slot ids with the consumer. Complete its data sub-orders with `spctl orders complete`.");
        else
            Console.WriteLine($"Share the offer and slot ids and the solution's hash sha256:{resource.Hash.Value.ToLowerInvariant()} with consumers and data owners: consumers order it with `spctl workflows create --solution OFFER,SLOT --solution-hash HASH`, data owners approve that hash with `spctl orders complete --solution-hash`. Release the image to each order's Solution sub-order with `spctl orders complete SUB --result {resultPath} --solution-hash HASH`.");
        return 0;
    }

    /// <summary>--output DIR: offer.json there, for a script to read the ids it would otherwise scrape from the dialog.</summary>
    private static void WriteOutput(ClientContext ctx, Answers answers, OfferType type, long offerId, List<long> slots, object? resource, string? teeConfig)
    {
        if (answers.OutputDir is null) return;
        Directory.CreateDirectory(answers.OutputDir);
        var path = Path.Combine(answers.OutputDir, "offer.json");
        var info = new Dictionary<string, object?>
        {
            ["offerType"] = type switch { OfferType.TeeOffer => "tee", OfferType.Data => "data", _ => "solution" },
            ["offerId"] = offerId,
            ["slotIds"] = slots,
            ["provider"] = ctx.Account.Address.ToString(),
            ["backendUrl"] = ctx.Config.Backend.Url,
            ["resource"] = resource,
            ["teeConfig"] = teeConfig,
        }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
        SecretFile.Write(path, SpJson.Serialize(info, indented: true) + "\n"); // whole or not at all
        Console.WriteLine($"Offer information was saved to {path}");
    }

    /// <summary>
    /// The dialog shared by every register command: first-time provider setup, then an existing offer of this type
    /// (its id) or a new one (its offer-info.json), then one or more slots (slot-info.json each). Returns the offer
    /// id and the slots created.
    /// </summary>
    private static async Task<(long OfferId, List<long> Slots)> OfferAndSlotsAsync(ClientContext ctx, OfferType type, Answers answers, Action<(string Path, SlotInfo Info)> checkSlot)
    {
        var me = ctx.Account.Address;
        if (await ctx.Node.GetProviderAsync(me) is null) await SetupProviderAsync(ctx, answers);

        long offerId;
        var label = type == OfferType.TeeOffer ? "TEE" : type.ToString().ToUpperInvariant();
        var existingQuestion = $"Have you already created a {label} offer? (y/n): ";
        var useExisting = answers.Offer is not null || (answers.OfferInfo is null &&
            (answers.Yes ? throw new UserError($"--yes: no answer to '{existingQuestion.Trim()}'", "pass --offer ID or --offer-info FILE") : AskYesNo(existingQuestion)));
        if (useExisting)
        {
            offerId = answers.Offer ?? LedgerId.Parse<OfferId>(Ask("Please specify the offer id: "), "offer id").Value;
            var existing = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"offer {offerId} does not exist");
            if (!string.Equals(existing.Offer.Owner, me.Lower, StringComparison.OrdinalIgnoreCase)) throw new UserError($"offer {offerId} belongs to {existing.Offer.Owner}, not to you ({me})");
            if (existing.Offer.Type != type) throw new UserError($"offer {offerId} is a {existing.Offer.Type} offer, expected a {type} offer");
        }
        else
        {
            var infoPath = answers.AskPath("Please specify a path to the offer info json file: ", answers.OfferInfo, "--offer-info FILE");
            var offerInfo = StrictJson.ParseFile<OfferInfo>(infoPath);
            if (MarketMachine.ParseOfferType(offerInfo.OfferType) is { } declared && declared != type)
                throw new UserError($"{infoPath}: offerType \"{offerInfo.OfferType}\" is a {declared} offer, expected \"{(int)type}\" for a {type} offer");
            var created = await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OfferCreate(type, offerInfo));
            offerId = created.Ids.Offer.Value;
            Console.WriteLine($"Offer {offerId} has been created");
        }
        // Slot files given on the line are all the slots (no 'another slot?' question); otherwise asked one by one.
        var given = new Queue<string>(answers.SlotInfos);
        var slots = new List<long>();
        do
        {
            var slotPath = answers.AskPath("Please specify a path to the slot info json file: ", given.Count > 0 ? given.Dequeue() : null, "--slot-info FILE");
            var slot = StrictJson.ParseFile<SlotInfo>(slotPath);
            checkSlot((slotPath, slot));
            var added = await ctx.Node.SendAsync(ctx.Account, ctx.Network, new SlotAdd(offerId, slot));
            slots.Add(added.Ids.Slot.Value);
            Console.WriteLine($"Slot {added.Ids.Slot} for offer {offerId} has been created successfully");
        }
        while (answers.SlotInfos.Count > 0 ? given.Count > 0 : AskYesNo("Do you want to add another slot? (y/n): "));
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
        var attestationGiven = cl.Option("attestation");
        var simKeyGiven = cl.Option("sim-platform-key");
        var answers = Answers.Read(cl);
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath, backendUrl: answers.BackendUrl);
        var (offerId, slots) = await OfferAndSlotsAsync(ctx, OfferType.TeeOffer, answers, slot =>
        {
            if (slot.Info.Info.CpuCores <= 0 || slot.Info.Info.Ram <= 0 || slot.Info.Info.DiskUsage <= 0)
                throw new UserError($"{slot.Path}: a TEE slot describes its capacity: info.cpuCores, info.ram and info.diskUsage must be > 0",
                    "the loader gives each order the CPU cores, RAM (bytes) and output disk (bytes) of its slot");
        });

        teeConfigPath = answers.Ask("Please specify a path to save the TEE loader configuration (tee.json): ", teeConfigPath, "--tee-config FILE");
        if (teeConfigPath.Length == 0) throw new UserError("the path of the TEE loader configuration must not be empty");
        var attestation = attestationGiven?.ToLowerInvariant() ?? "";
        for (var i = 0; i < 3 && attestation is not ("sim" or "tdx" or "sev-snp"); i++)
            attestation = answers.Ask("Which attestation provider does the TEE use? (sim, tdx, sev-snp): ", null, "--attestation sim|tdx|sev-snp").ToLowerInvariant();
        if (attestation is not ("sim" or "tdx" or "sev-snp")) throw new UserError("the attestation provider must be sim, tdx or sev-snp");
        string? simKey = null;
        if (attestation == "sim")
            simKey = Path.GetFullPath(answers.AskPath("Please specify a path to the sim platform key (a devnet's node folder holds sim-platform.key.pem): ", simKeyGiven, "--sim-platform-key FILE"));

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
            ["witnesses"] = ctx.Config.Trust.Witnesses, // the provider's witness policy holds for its loader too
            ["stateFile"] = "tee-state.json",
        }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
        SecretFile.Write(teeConfigPath, SpJson.Serialize(teeConfig, indented: true) + "\n");
        File.WriteAllText(Path.Combine(teeDir, "tee-state.json"), SpJson.Serialize(new { offerId, slotId = slots[0] }, indented: true) + "\n");
        Console.WriteLine($"The TEE loader configuration was saved to {teeConfigPath} (it holds this account's key: keep it secret)");
        WriteOutput(ctx, answers, OfferType.TeeOffer, offerId, slots, null, Path.GetFullPath(teeConfigPath));
        Console.WriteLine($"Start the loader with `sp-tee run --config {teeConfigPath}`: it publishes its certificate for TEE offer {offerId}, which then takes orders.");
        return 0;
    }


    private static async Task SetupProviderAsync(ClientContext ctx, Answers answers)
    {
        Console.WriteLine("Provider setup: this account is not a provider yet.");
        var name = answers.Ask("Please enter a provider name: ", answers.ProviderName, "--provider-name NAME");
        if (name.Length == 0) throw new UserError("the provider name must not be empty");
        var description = answers.ProviderDescription ?? (answers.Yes ? "" : Ask("Please enter a provider description: "));
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new ProviderCreate(name, description));
        var path = answers.ProviderInfo;
        if (path is null && !answers.Yes && AskYesNo("Do you want to save the provider information to a file? (y/n): "))
            path = Ask("Please specify a path to the provider information file: ");
        if (path is not null)
        {
            File.WriteAllText(path, SpJson.Serialize(new { name, description, address = ctx.Account.Address.ToString() }, indented: true) + "\n");
            Console.WriteLine($"Provider information was saved to {path}");
        }
        Console.WriteLine($"Provider '{name}' has been created");
    }

    private static string Ask(string question) => Prompt.Ask(question);

    private static bool AskYesNo(string question) => Prompt.AskYesNo(question);
}
