using System.CommandLine;
using Sp.Cli;
using Sp.Cmdline;
using Sp.Client.Config;
using Spctl.Commands;
using Sp.Core;

namespace Spctl;

public static class App
{
    private delegate Task<int> Handler(CommandLine cl, string configPath);

    private const string OfferFieldsHelp = "id, name, description, type, group, provider (provider_name), provider_address, cancelable, enabled, slots, min_price, allowed_accounts, restrictions_offers (depends_on_offers), restrictions_types, tee_certificate, created (modified_date), total_cores, free_cores, orders_in_queue (TEE offers)";

    private const string ConfigHelp = "Path to the configuration file (`spctl setup` writes one)";

    /// <summary>
    /// The whole command surface (cli-reference.md; docs/cli-compat.md compares it with the original). Each command
    /// names its handler; a handler reads its arguments through <see cref="CommandLine"/>. To add a command: a line here.
    /// </summary>
    public static Command Tree() => Tree(_ => { });

    private static Command Tree(Action<string> configChosen)
    {
        // The handler gets the parsed line and the config path (--config, default config.json; recursive).
        Func<ParseResult, CancellationToken, Task<int>> Run(Handler handler) => (parse, _) =>
        {
            var cl = CommandLine.From(parse);
            var config = cl.Option("config") ?? "config.json";
            configChosen(config);
            return handler(cl, config);
        };
        Argument<string> Kind() => Cli.Arg("kind", "tee (TEE offers) or value (data, solution and storage offers)", only: ["tee", "value"]);
        Option<string> LogUrl() => Cli.Option("--log-url", "URL|DIR", "Read the ledger's log from this mirror or exported folder instead of the node");
        Option<string> SaveTo(string what) => Cli.Option("--save-to", "FILE", what);

        return Cli.Root("spctl", "The command-line client of the network: files, offers, orders, reports, the ledger.",
            [
                Cli.Option("--config", "FILE", ConfigHelp, defaultValue: "config.json"),
                Cli.Accepted("--debug", "Accepted for compatibility; the details of an error always go to spctl.log beside the config"),
            ],
            Cli.Command("setup", "Create config.json, or update it keeping what is not changed: interactive on a terminal, otherwise from --backend and --private-key or --generate-key", Run(SetupCommand.RunAsync),
                ClientSetup.Options()),
            Cli.Group("files", "Encrypt and upload files or folders, download and decrypt them, hash them",
                Cli.Command("upload", "Hash, encrypt and upload a file or a folder (archived first); writes a resource file", Run(FilesCommands.UploadAsync),
                    Cli.Arg("path", "The file or folder to upload"),
                    Cli.Option("--output", "FILE", "The resource file to write (it holds the content key: keep it secret); an existing one is replaced", defaultValue: FilesCommands.DefaultResourceFile),
                    Cli.Option("--filename", "NAME", "The name `files download` gives back (default: the file's or folder's own name)"),
                    Cli.Option("--metadata", "FILE", "A JSON object whose hardwareContext and signatureKeyHash are added to the resource file (a hash in it must be the file's SHA-256)"),
                    Cli.Option("--maximum-concurrent", "N", "Parts in flight at once, 1 to 1000 (S3 storage, at most 64 there; the node's and local storage take one stream)"),
                    Cli.Flag("--use-addon", "Accepted for compatibility, no effect: uploads always stream and handle folders"),
                    Cli.Accepted("--skip-encryption", "Accepted, but the upload is still encrypted on purpose (authenticated AES-256-GCM): nothing is ever stored in clear")),
                Cli.Command("download", "Download and decrypt a resource, check its hash, save it under its original name", Run(FilesCommands.DownloadAsync),
                    Cli.Arg("resource", "The resource file written by `files upload`"),
                    Cli.Arg("dir", "The existing folder to save into (default: the current folder); nothing there is overwritten", optional: true),
                    Cli.Flag("--use-addon", "Accepted for compatibility, no effect")),
                Cli.Command("calculate-hash", "Print the SHA-256 that `files upload` records for a file or folder", Run((cl, _) => FilesCommands.CalculateHashAsync(cl)),
                    Cli.Arg("path", "The file or folder to hash")),
                Cli.Command("delete", "Delete the stored object of a resource file", Run(FilesCommands.DeleteAsync),
                    Cli.Arg("resource", "The resource file written by `files upload`"),
                    Cli.Accepted("--use-addon", "Accepted for compatibility, no effect"))),
            Cli.Group("workflows", "Place orders: a TEE order with its solution and data sub-orders",
                Cli.Command("create", "Create the TEE order and its sub-orders; prints the TEE order id", Run(WorkflowCommands.CreateAsync),
                    Cli.Many("--solution", "FILE|OFFER[,SLOT]", "The solution's resource file, or a solution offer and slot (default: its first slot; needs --solution-hash), whose owner releases the image with `orders complete` (repeatable in the original; one is supported)", required: true),
                    Cli.Many("--data", "OFFER[,SLOT]|FILE", "A data offer and slot (default: its first slot), released by its offer's owner; or your own dataset's resource file (anything that is not decimal ids), sealed to the TEE in the order itself. Repeat for several inputs, offers and files mixed: mounted as /sp/inputs/input-0001, input-0002, … in the order given"),
                    Cli.Option("--tee", "OFFER[,SLOT]", "The TEE offer and slot (default: the cheapest slot that fits)", required: true),
                    Cli.Option("--solution-hash", "HASH", "The SHA-256 you expect the solution to have (64 hex digits); nothing is created when the resource file's hash differs. Required with a solution offer: the hash its owner published, which the ledger and the TEE then hold the image to"),
                    Cli.Option("--deposit", "TOKENS", "Tokens to lock (default: the minimum the chosen slots need)"),
                    Cli.Option("--min-rent-minutes", "MINUTES", "Lock the deposit that pays every slot of the order for this many minutes (a --deposit given too must cover it)"),
                    Cli.Option("--tee-slot-count", "N", "0 (default) or 1: an order runs in one TEE slot; a larger count is refused (choose a larger slot)"),
                    Cli.Many("--tee-options", "ID", "Refused: TEE offers have no options here, a slot carries all its resources"),
                    Cli.Many("--tee-options-count", "N", "Refused, as --tee-options"),
                    Cli.Accepted("--yes", "Accepted for compatibility, no effect: workflows create asks no question")),
                Cli.Command("replenish-deposit", "Add tokens to a New, Blocked or Processing workflow's deposit, by tokens or by minutes of its hourly rate", Run(OrderCommands.WorkflowReplenishDepositAsync),
                    Cli.Arg("orderId", "The workflow's (TEE) order id"),
                    Cli.Option("--sppi", "TOKENS", "Tokens to add, e.g. 10 or 0.5 (the original's SPPI)"),
                    Cli.Option("--minutes", "MINUTES", "Minutes to extend the order by: the tokens are its hourly rate for that time (taken before --sppi)"),
                    Cli.Flag("--yes", "Do not ask `Confirm?`"))),
            Cli.Group("orders", "Show, complete, cancel orders; download their results and reports",
                Cli.Command("get", "Show an order (key: value lines), and its sub-orders with --suborders", Run(OrderCommands.GetAsync),
                    Cli.Arg("id", "The order id"),
                    Cli.Option("--fields", "F,F", $"Keys to print, in this order (default: id, type, status, offer_id, parent_order_id, consumer, solution_hash, created, modified, status_message, report, and the deposit lines of a parent order): {string.Join(", ", OrderCommands.GetFields)}"),
                    Cli.Flag("--suborders", "Also print a table of the sub-orders"),
                    Cli.Option("--suborders_fields", "F,F", $"Columns of the sub-order table: {string.Join(", ", OrderCommands.SubOrderFields)}", defaultValue: "id,type,status")),
                Cli.Command("list", "List orders (newest first)", Run(OrderCommands.ListAsync),
                    Cli.Option("--fields", "F,F", $"Columns: {string.Join(", ", OrderCommands.ListFields)}", defaultValue: string.Join(',', OrderCommands.DefaultListFields)),
                    Cli.Flag("--my-account", "Only the orders of this config's account"),
                    OrderCommands.StatusesOption(),
                    Cli.Option("--type", "TYPE", "Only orders of this type: tee, data, solution, storage"),
                    Cli.Option("--offers", "ID,ID", "Only orders for these offers"),
                    Cli.Option("--limit", "N", "At most N orders (default: all); then prints `Last pagination cursor: ID`"),
                    Cli.Option("--cursor", "ID", "Start after this order (the last pagination cursor of the previous page)"),
                    SaveTo("Also save the page (JSON: list and cursor) to this file")),
                Cli.Command("complete", "Complete Data or Solution sub-orders: release the dataset (or a solution offer's image) to the TEE for that solution hash only", Run(OrderCommands.CompleteAsync),
                    Cli.Args("ids", "The Data or Solution sub-order ids (each reported on its own line; exit 1 if any failed)"),
                    Cli.Option("--status", "done|error|canceled", "How the sub-orders end: done releases the data (or image); error (could not provide it) and canceled (declined) refuse it, so the workflow ends without running and its deposit goes back", defaultValue: "done"),
                    Cli.Option("--result", "FILE", "The dataset's resource file, or the solution's for a Solution sub-order (needed with --status done)"),
                    Cli.Option("--solution-hash", "HASH", "The SHA-256 of the solution you verified, 64 hex digits (needed with --status done)")),
                Cli.Command("download-result", "Download the result archive once the TEE's signed statement validates", Run(OrderCommands.DownloadResultAsync),
                    Cli.Arg("id", "The TEE order id"),
                    Cli.Option("--save-to", "FILE", "Where to save the archive (an existing file is replaced once the new one verified)", defaultValue: "result.tar.gz"),
                    Cli.Flag("--no-clobber", "Refuse to overwrite an existing file at --save-to")),
                Cli.Command("get-report", "Fetch the order's report from the ledger, validate it, prove its inclusion in the log", Run(ReportCommands.GetReportAsync),
                    Cli.Arg("id", "The TEE order id"),
                    SaveTo("Also save the report (JSON) to this file"),
                    LogUrl()),
                Cli.Command("validate-report", "Validate a saved report offline, against the pinned Root CA", Run((cl, config) => Task.FromResult(ReportCommands.ValidateReport(cl, config))),
                    Cli.Option("--path", "FILE", "The report file (from `orders get-report --save-to`)", required: true),
                    Cli.Option("--root-ca", "FILE", "A Root CA (PEM) instead of the one pinned in the config"),
                    Cli.Option("--policy", "FILE", "An attestation policy instead of the config's")),
                Cli.Command("cancel", "Cancel orders, one after the other (each reported on its own line; exit 1 if any failed)", Run(OrderCommands.CancelAsync),
                    Cli.Args("ids", "The order ids")),
                Cli.Command("replenish-deposit", "Add tokens to an order's deposit", Run(OrderCommands.ReplenishDepositAsync),
                    Cli.Arg("id", "The order id"),
                    Cli.Arg("amount", "Tokens to add, e.g. 10 or 0.5"))),
            Cli.Group("offers", "List, show, create and manage offers and their slots",
                Cli.Command("list", "List offers of a kind (a table whose first column is the offer id)", Run(OfferCommands.ListAsync),
                    Kind(),
                    Cli.Option("--fields", "F,F", $"Columns: {OfferFieldsHelp}", defaultValue: "id,name,type,provider,slots,enabled"),
                    new Option<string[]>("--ids") { Description = "Only these offers: --ids 3 5, --ids 3 --ids 5 or --ids 3,5 (each must exist and be of this kind)", HelpName = "ID...", AllowMultipleArgumentsPerToken = true },
                    Cli.Option("--limit", "N", "At most N offers (default: all); prints next_cursor when more follow"),
                    Cli.Option("--cursor", "ID", "Start after this offer id (a next_cursor)"),
                    SaveTo("Save the offers (JSON) to this file instead of printing a table")),
                Cli.Command("get", "Show one offer (key: value lines) and its slots", Run(OfferCommands.GetAsync),
                    Kind(),
                    Cli.Arg("id", "The offer id"),
                    Cli.Option("--fields", "F,F", "Keys to print (the names of `offers list --fields`); without it the slot table follows", defaultValue: "id,name,description,type,provider,provider_address,cancelable,enabled,slots,tee_certificate,created"),
                    SaveTo("Save the offer (JSON) to this file instead of printing it")),
                Cli.Command("get-info", "Show an offer's info (the fields of offer-info.json)", Run(OfferCommands.GetInfoAsync),
                    Kind(),
                    Cli.Arg("id", "The offer id"),
                    SaveTo("Also save the info (JSON) to this file")),
                Cli.Command("get-slot", "Show one slot of an offer", Run(OfferCommands.GetSlotAsync),
                    Kind(),
                    Cli.Option("--offer", "ID", "The offer id", required: true),
                    Cli.Option("--slot", "ID", "The slot id", required: true),
                    SaveTo("Also save the slot (JSON) to this file")),
                Cli.Command("update", "Refused here: an offer's info never changes on this ledger (use update-slot, or a new offer)", Run(OfferCommands.UpdateAsync),
                    Kind(),
                    Cli.Args("ids", "The offer ids"),
                    Cli.Option("--path", "FILE", "The original's offer info file (refused with the command)"),
                    Cli.Option("--configuration", "FILE", "The original's configuration file (refused with the command)")),
                Cli.Command("download-content", "Refused here: offers carry no downloadable content (data is released per order)", Run(OfferCommands.DownloadContentAsync),
                    Cli.Arg("id", "The offer id"),
                    Cli.Option("--save-to", "DIR", "The original's target folder (refused with the command)", defaultValue: "./")),
                Cli.Command("create", "Create an offer from offer-info.json", Run(OfferCommands.CreateAsync),
                    Kind(),
                    Cli.Option("--path", "FILE", "The offer info file (offer-info.json; unknown fields are refused)", required: true),
                    Cli.Option("--tee-certificate", "FILE", "For a TEE offer: its certificate chain (PEM); without it the loader publishes one at start-up"),
                    Cli.Accepted("--yes", "Accepted for compatibility, no effect: there is no security deposit to refill")),
                Cli.Command("add-slot", "Add a slot to one of your offers", Run(OfferCommands.AddSlotAsync),
                    Kind(),
                    Cli.Option("--offer", "ID", "The offer id", required: true),
                    Cli.Option("--path", "FILE", "The slot info file (slot-info.json)", required: true)),
                Cli.Command("update-slot", "Replace a slot of one of your offers", Run(OfferCommands.UpdateSlotAsync),
                    Kind(),
                    Cli.Option("--offer", "ID", "The offer id", required: true),
                    Cli.Option("--slot", "ID", "The slot id", required: true),
                    Cli.Option("--path", "FILE", "The slot info file (slot-info.json)", required: true)),
                Cli.Command("delete-slot", "Delete a slot of one of your offers", Run(OfferCommands.DeleteSlotAsync),
                    Kind(),
                    Cli.Option("--offer", "ID", "The offer id", required: true),
                    Cli.Option("--slot", "ID", "The slot id", required: true)),
                Cli.Command("enable", "Enable one of your offers: `offers enable ID` (the kind comes from the ledger) or `offers enable tee|value ID`", Run((cl, config) => OfferCommands.SetEnabledAsync(cl, config, true)),
                    Cli.Arg("offer", "The offer id, or tee|value followed by the id"),
                    Cli.Arg("id", "The offer id when the kind comes first", optional: true),
                    Cli.Accepted("--yes", "Accepted for compatibility, no effect: there is no security deposit to refill")),
                Cli.Command("disable", "Disable one of your offers: `offers disable ID` (the kind comes from the ledger) or `offers disable tee|value ID`", Run((cl, config) => OfferCommands.SetEnabledAsync(cl, config, false)),
                    Cli.Arg("offer", "The offer id, or tee|value followed by the id"),
                    Cli.Arg("id", "The offer id when the kind comes first", optional: true))),
            Cli.Group("providers", "List, show, create and update provider records",
                Cli.Command("list", "List providers (a table in address order; next_cursor when more follow)", Run(ProviderCommands.ListAsync),
                    Cli.Option("--fields", "F,F", $"Columns: {string.Join(", ", ProviderCommands.Fields)} (the three accounts are the provider's one account)", defaultValue: ProviderCommands.DefaultListFields),
                    Cli.Option("--limit", "N", "At most N providers", defaultValue: "10"),
                    Cli.Option("--cursor", "ADDRESS", "Start after this provider (a next_cursor)")),
                Cli.Command("get", "Show a provider", Run(ProviderCommands.GetAsync),
                    Cli.Arg("address", "The provider's account address (default: this config's account)", optional: true),
                    Cli.Option("--fields", "F,F", $"Keys to print: {string.Join(", ", ProviderCommands.Fields)}", defaultValue: ProviderCommands.DefaultGetFields),
                    SaveTo("Also save the provider info (JSON, the original's providerInfo fields) to this file")),
                Cli.Command("create", "Make this config's account a provider", Run(ProviderCommands.CreateAsync),
                    Cli.Option("--name", "NAME", "The provider's name (or --path)"),
                    Cli.Option("--description", "TEXT", "The provider's description"),
                    Cli.Option("--path", "FILE", "A provider file (name, description, address) instead of --name and --description; the original's providerInfo.json is taken too (tokenReceiver, actionAccount and metadata are ignored with a note)"),
                    Cli.Accepted("--yes", "Accepted for compatibility, no effect: there is no security deposit to refill")),
                Cli.Command("update", "Update this account's provider record", Run(ProviderCommands.UpdateAsync),
                    Cli.Option("--name", "NAME", "The new name (default: unchanged)"),
                    Cli.Option("--description", "TEXT", "The new description (default: unchanged)"),
                    Cli.Option("--path", "FILE", "A provider file instead of --name and --description"))),
            Cli.Group("tokens", "Request devnet tokens, show balances",
                Cli.Command("request", "Request tokens from the devnet faucet (credited at once)", Run(TokenCommands.RequestAsync),
                    Cli.Option("--amount", "TOKENS", "How many tokens", defaultValue: TokenCommands.DefaultRequestTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    Cli.Flag("--tee", "Request the network's token, the original's TEE tokens (also requested without --tee and --bnb)"),
                    Cli.Flag("--bnb", "The original's opBNB gas tokens: this ledger has no gas token, so --bnb alone requests nothing and says so")),
                Cli.Command("balance", "Show an account's balance and locked tokens", Run(TokenCommands.BalanceAsync),
                    Cli.Arg("address", "The account address (default: this config's account)", optional: true))),
            Cli.Group("quotes", "Check attestation evidence offline",
                Cli.Command("validate", "Verify a quote or report offline with the built-in vendor roots (no config, no network)", Run((cl, _) => Task.FromResult(QuoteCommands.Validate(cl))),
                    Cli.Arg("file", "The evidence file"),
                    Cli.Option("--type", "TYPE", "The evidence type (default: detected)", only: ["tdx", "sev-snp", "sim"]),
                    Cli.Option("--vcek", "FILE", "SEV-SNP: the VCEK certificate"),
                    Cli.Option("--at", "TIME", "Validate at this ISO-8601 UTC time, e.g. 2025-06-01T00:00:00Z (default: now)"),
                    Cli.Option("--collateral", "DIR", "A folder of collateral to evaluate the TCB status"))),
            Cli.Group("ledger", "Check the ledger's transparency log",
                Cli.Command("info", "The newest verified checkpoint of the ledger's log", Run(LedgerCommands.InfoAsync), LogUrl()),
                Cli.Command("verify", "Audit the whole log, replay it, compare with the node's state", Run(LedgerCommands.VerifyAsync), LogUrl())),
            Cli.Command("ui", "Serve the marketplace in a browser on this machine, with this config and its keys; prints the address to open (with its access token)", Run(UiCommand.RunAsync),
                Cli.Option("--port", "PORT", "The port to listen on (default: any free port)"),
                Cli.Option("--listen", "ADDR", "The address to listen on (default 127.0.0.1; anything else is reachable from other machines, with a warning)")));
    }

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        string? configPath = null;
        try
        {
            return await CliRunner.InvokeAsync(Tree(c => configPath = c), args, output, error);
        }
        catch (SpError e) // bad input, a refusal, a transient failure not (or no longer) retried, an integrity failure
        {
            error.WriteLine($"error: {e.OneLine}");
            Log(configPath, e);
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
                                      or System.Security.Cryptography.CryptographicException or FormatException
                                      or System.Text.Json.JsonException or HttpRequestException or TaskCanceledException)
        {
            error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            Log(configPath, e);
            return 1;
        }
        catch (Exception e)
        {
            // A bug of ours: still one line on screen, the stack trace in the log.
            error.WriteLine($"error: internal error ({e.GetType().Name}: {e.Message}); details in spctl.log");
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
