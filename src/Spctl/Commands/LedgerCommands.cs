using System.Globalization;
using Sp.Api;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Tlog;

namespace Spctl.Commands;

/// <summary>
/// <c>spctl ledger info|verify</c> and the ledger half of <c>orders get-report</c>: every answer rests on a checkpoint
/// that verifies with the pinned log key and is consistent with the newest one this config folder has seen.
/// </summary>
public static class LedgerCommands
{
    public const string VerifySuccess = Sp.Cli.Operations.LedgerChecks.VerifySuccess;

    public static async Task<int> InfoAsync(CommandLine cl, string configPath)
    {
        var logUrl = cl.Option("log-url");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        using var log = ctx.OpenLog(logUrl);
        var c = (await log.CheckpointAsync()).Checkpoint;
        Console.Write(Output.KeyValues([
            ("network", ctx.Network),
            ("origin", c.Origin),
            ("log_url", log.Location),
            ("verifier_key", log.Key.VerifierKey),
            ("tree_size", c.TreeSize.ToString(CultureInfo.InvariantCulture)),
            ("root_hash", c.RootHash.ToBase64()),
            ("checkpoint_file", log.Tracker.CheckpointPath),
        ]));
        return 0;
    }

    public static async Task<int> VerifyAsync(CommandLine cl, string configPath)
    {
        var logUrl = cl.Option("log-url");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        await Sp.Cli.Operations.LedgerChecks.VerifyAsync(ctx, logUrl, App.Time, Console.WriteLine);
        return 0;
    }

    /// <summary>
    /// For <c>orders get-report</c>: proves the report's ledger entry is included under a verified checkpoint and is
    /// the <c>order.report</c> transaction of exactly this report. Prints one line; false when it fails.
    /// </summary>
    public static async Task<bool> PrintReportInclusionAsync(ClientContext ctx, ReportView view, string? logUrl = null)
    {
        var inclusion = await Sp.Cli.Operations.Reports.InclusionAsync(ctx, view, logUrl);
        if (inclusion.Included) Console.WriteLine(inclusion.Line);
        else Console.Error.WriteLine(inclusion.Line);
        return inclusion.Included;
    }
}
