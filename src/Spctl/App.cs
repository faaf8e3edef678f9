using Sp.Cli;
using Sp.Client.Config;
using Spctl.Commands;
using Sp.Core;

namespace Spctl;

public static class App
{
    private const string Usage = """
        usage: spctl <command> [options]   (every command takes --config <path>, default ./config.json)
          setup                                   create config.json (interactive, or --backend URL --private-key KEY)
          files upload <file|dir> --output r.json [--filename NAME] [--use-addon]
          files download r.json <dir> [--use-addon]
          files calculate-hash <path>
          files delete r.json
          workflows create --solution r.json --data OFFER[,SLOT] [--data ...] --tee OFFER[,SLOT] [--deposit TOKENS]
          orders get ID [--suborders] [--suborders_fields id,type,status]
          orders list [--my-account] [--status S] [--type tee|data|solution|storage] [--offers ID,ID]
          orders complete SUB --result r.json --status done|error --solution-hash H
          orders download-result ID [--save-to FILE]
          orders get-report ID [--save-to report.json] [--log-url URL|DIR]
          orders validate-report --path report.json [--root-ca FILE]
          orders cancel ID [ID ...]
          orders replenish-deposit ID TOKENS
          offers list tee|value [--fields F,F] [--limit N] [--cursor ID] [--save-to FILE]
          offers get tee|value ID [--fields F,F] [--save-to FILE]
          offers create tee|value --path offer-info.json [--tee-certificate chain.pem]
          offers add-slot tee|value --offer ID --path slot-info.json
          offers update-slot tee|value --offer ID --slot ID --path slot-info.json
          offers delete-slot tee|value --offer ID --slot ID
          offers enable|disable tee|value ID
          providers get [ADDRESS]
          providers create --name NAME [--description TEXT] | --path provider.json
          providers update [--name NAME] [--description TEXT] | --path provider.json
          tokens request [--amount TOKENS]        devnet faucet
          tokens balance [ADDRESS]
          quotes validate FILE [--type tdx|sev-snp|sim] [--vcek FILE] [--at TIME] [--collateral DIR]
          ledger info [--log-url URL|DIR]        the newest verified checkpoint of the ledger's log
          ledger verify [--log-url URL|DIR]      audit the whole log, replay it, compare with the node's state
        """;

    private delegate Task<int> Command(CommandLine cl, string configPath);

    /// <summary>
    /// Every command by its words ("orders get"; one word for "setup"). A command receives the command line with
    /// its words removed and the config path. To add one: a line here and a line in <see cref="Usage"/>.
    /// </summary>
    private static readonly Dictionary<string, Command> Commands = new(StringComparer.Ordinal)
    {
        ["setup"] = SetupCommand.RunAsync,
        ["files upload"] = FilesCommands.UploadAsync,
        ["files download"] = FilesCommands.DownloadAsync,
        ["files calculate-hash"] = (cl, _) => FilesCommands.CalculateHashAsync(cl),
        ["files delete"] = FilesCommands.DeleteAsync,
        ["workflows create"] = WorkflowCommands.CreateAsync,
        ["orders get"] = OrderCommands.GetAsync,
        ["orders list"] = OrderCommands.ListAsync,
        ["orders complete"] = OrderCommands.CompleteAsync,
        ["orders download-result"] = OrderCommands.DownloadResultAsync,
        ["orders get-report"] = ReportCommands.GetReportAsync,
        ["orders validate-report"] = (cl, config) => Task.FromResult(ReportCommands.ValidateReport(cl, config)),
        ["orders cancel"] = OrderCommands.CancelAsync,
        ["orders replenish-deposit"] = OrderCommands.ReplenishDepositAsync,
        ["offers list"] = OfferCommands.ListAsync,
        ["offers get"] = OfferCommands.GetAsync,
        ["offers create"] = OfferCommands.CreateAsync,
        ["offers add-slot"] = OfferCommands.AddSlotAsync,
        ["offers update-slot"] = OfferCommands.UpdateSlotAsync,
        ["offers delete-slot"] = OfferCommands.DeleteSlotAsync,
        ["offers enable"] = (cl, config) => OfferCommands.SetEnabledAsync(cl, config, true),
        ["offers disable"] = (cl, config) => OfferCommands.SetEnabledAsync(cl, config, false),
        ["providers get"] = ProviderCommands.GetAsync,
        ["providers create"] = ProviderCommands.CreateAsync,
        ["providers update"] = ProviderCommands.UpdateAsync,
        ["tokens request"] = TokenCommands.RequestAsync,
        ["tokens balance"] = TokenCommands.BalanceAsync,
        ["quotes validate"] = (cl, _) => Task.FromResult(QuoteCommands.Validate(cl)),
        ["ledger info"] = LedgerCommands.InfoAsync,
        ["ledger verify"] = LedgerCommands.VerifyAsync,
    };

    /// <summary>Flags that take no value (any command may read them; the others refuse them as unknown).</summary>
    private static readonly string[] Switches = ["use-addon", "suborders", "my-account", "help", "generate-key", "json"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        string? configPath = null;
        try
        {
            var cl = CommandLine.Parse(args, Switches);
            configPath = cl.Option("config") ?? "config.json";
            var words = cl.Positionals.Count > 1 && Commands.ContainsKey($"{cl.Positionals[0]} {cl.Positionals[1]}") ? 2
                : cl.Positionals.Count > 0 && Commands.ContainsKey(cl.Positionals[0]) ? 1
                : 0;
            if (words == 0)
                throw new UserError($"unknown command '{string.Join(' ', cl.Positionals.Take(2))}'", "run `spctl --help` for the list of commands");
            var command = Commands[string.Join(' ', cl.Positionals.Take(words))];
            cl.Positionals.RemoveRange(0, words);
            return await command(cl, configPath);
        }
        catch (SpError e) // bad input, a refusal, a transient failure not (or no longer) retried, an integrity failure
        {
            Console.Error.WriteLine($"error: {e.OneLine}");
            Log(configPath, e);
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
                                      or System.Security.Cryptography.CryptographicException or FormatException
                                      or System.Text.Json.JsonException or HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            Log(configPath, e);
            return 1;
        }
        catch (Exception e)
        {
            // A bug of ours: still one line on screen, the stack trace in the log.
            Console.Error.WriteLine($"error: internal error ({e.GetType().Name}: {e.Message}); details in spctl.log");
            Log(configPath, e);
            return 1;
        }
    }

    /// <summary>Details go to a log file beside the config, never to the screen (and never secrets).</summary>
    private static void Log(string? configPath, Exception e)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(configPath ?? "config.json"))!;
            if (!Directory.Exists(dir)) return;
            File.AppendAllText(Path.Combine(dir, "spctl.log"),
                $"{Time.GetUtcNow():O} spctl {string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Where(a => !a.StartsWith("0x", StringComparison.Ordinal)))}\n{e}\n\n");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>spctl's clock, chosen here at its composition root: commands without a config context read it.</summary>
    internal static TimeProvider Time { get; } = TimeProvider.System;
}
