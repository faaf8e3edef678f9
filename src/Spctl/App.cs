using Sp.Client.Cli;
using Sp.Client.Config;
using Spctl.Commands;

namespace Spctl;

public static class App
{
    private const string Usage = """
        usage: spctl <command> [options]   (every command takes --config <path>, default ./config.json)
          setup                                   create config.json (interactive, or --backend URL --private-key KEY)
          files upload <file|dir> --output r.json [--filename NAME] [--use-addon]
          files download r.json <dir> [--use-addon]
          files calculate-hash <path>
          workflows create --solution r.json --data OFFER,SLOT [--data ...] --tee OFFER[,SLOT]
          orders get ID [--suborders] [--suborders_fields id,type,status]
          orders list [--my-account] [--status S] [--type tee|data]
          orders complete SUB --result r.json --status done|error --solution-hash H
          orders download-result ID [--save-to FILE]
          orders get-report ID [--save-to report.json]
          orders validate-report --path report.json [--root-ca FILE]
          orders cancel ID
          offers list tee|value
          offers get tee|value ID
          ledger info [--log-url URL|DIR]        the newest verified checkpoint of the ledger's log
          ledger verify [--log-url URL|DIR]      audit the whole log, replay it, compare with the node's state
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var switches = new[] { "use-addon", "suborders", "my-account", "help", "generate-key", "json" };
        string? configPath = null;
        try
        {
            var cl = CommandLine.Parse(args, switches);
            configPath = cl.Option("config") ?? "config.json";
            var cmd = cl.Positionals.Count > 1 ? $"{cl.Positionals[0]} {cl.Positionals[1]}" : cl.Positionals[0];
            var rest = new Func<int, CommandLine>(skip => { cl.Positionals.RemoveRange(0, Math.Min(skip, cl.Positionals.Count)); return cl; });
            return cmd switch
            {
                "setup" or "setup " => await SetupCommand.RunAsync(rest(1), configPath),
                "files upload" => await FilesCommands.UploadAsync(rest(2), configPath),
                "files download" => await FilesCommands.DownloadAsync(rest(2), configPath),
                "files calculate-hash" => await FilesCommands.CalculateHashAsync(rest(2)),
                "files delete" => await FilesCommands.DeleteAsync(rest(2), configPath),
                "workflows create" => await WorkflowCommands.CreateAsync(rest(2), configPath),
                "orders get" => await OrderCommands.GetAsync(rest(2), configPath),
                "orders list" => await OrderCommands.ListAsync(rest(2), configPath),
                "orders complete" => await OrderCommands.CompleteAsync(rest(2), configPath),
                "orders download-result" => await OrderCommands.DownloadResultAsync(rest(2), configPath),
                "orders get-report" => await ReportCommands.GetReportAsync(rest(2), configPath),
                "orders validate-report" => ReportCommands.ValidateReport(rest(2), configPath),
                "orders cancel" => await OrderCommands.CancelAsync(rest(2), configPath),
                "offers list" => await OfferCommands.ListAsync(rest(2), configPath),
                "offers get" => await OfferCommands.GetAsync(rest(2), configPath),
                "ledger info" => await LedgerCommands.InfoAsync(rest(2), configPath),
                "ledger verify" => await LedgerCommands.VerifyAsync(rest(2), configPath),
                _ => throw new UserError($"unknown command '{string.Join(' ', cl.Positionals.Take(2))}'", "run `spctl --help` for the list of commands"),
            };
        }
        catch (UserError e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (e.Hint is not null) Console.Error.WriteLine($"hint: {e.Hint}");
            Log(configPath, e);
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
                                      or System.Security.Cryptography.CryptographicException or FormatException
                                      or System.Text.Json.JsonException or HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
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
                $"{DateTimeOffset.UtcNow:O} spctl {string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Where(a => !a.StartsWith("0x", StringComparison.Ordinal)))}\n{e}\n\n");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
