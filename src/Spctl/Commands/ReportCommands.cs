using Sp.Client;
using Sp.Cli;
using Sp.Cli.Operations;
using Sp.Client.Config;
using Sp.Core.Ids;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Core;

namespace Spctl.Commands;

public static class ReportCommands
{
    public const string Success = Reports.Success;
    public const string SimWarning = Reports.SimWarning;

    public static async Task<int> GetReportAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var saveTo = cl.Option("save-to");
        var logUrl = cl.Option("log-url");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var view = await Reports.FetchAsync(ctx, id);
        Console.WriteLine($"Order report of order {id} (ledger entry {view.Seq})");
        var check = Check(view.Report, ctx.Trust);
        var included = await LedgerCommands.PrintReportInclusionAsync(ctx, view, logUrl); // the report is the one on the ledger's log
        // As the original: the report itself (indented JSON), then where it was saved, then the validation's verdict.
        var json = SpJson.Serialize(view.Report, indented: true);
        Console.WriteLine(json);
        if (saveTo is not null)
        {
            File.WriteAllText(saveTo, json + "\n");
            Console.WriteLine($"Report was saved to {saveTo}");
        }
        return Conclude(check, included) ? 0 : 1;
    }

    public static int ValidateReport(CommandLine cl, string configPath)
    {
        var path = cl.Required("path", "report.json");
        var rootCa = cl.Option("root-ca");
        var policy = cl.Option("policy");
        cl.RejectUnknown();
        if (!File.Exists(path)) throw new UserError($"{path}: no such report file");
        OrderReport report;
        try { report = SpJson.Deserialize<OrderReport>(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new UserError($"{path}: not an order report ({e.Message.Split(" Path:")[0]})"); }
        Trust trust;
        if (rootCa is not null)
        {
            // Offline with an explicit root: the policy comes from --policy, else the config's, else production rules.
            var cfgPolicy = File.Exists(configPath) ? PolicyPathOf(configPath) : null;
            trust = Trust.Load(rootCa, policy ?? cfgPolicy);
        }
        else
        {
            if (!File.Exists(configPath))
                throw new UserError($"no configuration at {configPath} to take the pinned Root CA from", "pass --root-ca FILE, or run from a folder with config.json");
            var cfg = ClientConfig.Load(configPath);
            var dir = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
            trust = Trust.Load(Path.Combine(dir, cfg.Trust.RootCa), policy ?? Path.Combine(dir, cfg.Trust.AttestationPolicy));
        }
        return Conclude(Check(report, trust), true) ? 0 : 1;
    }

    private static string PolicyPathOf(string configPath)
    {
        var cfg = ClientConfig.Load(configPath);
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, cfg.Trust.AttestationPolicy);
    }

    /// <summary>Prints what the report says; returns what fails and whether it rests on simulated evidence.</summary>
    private static (List<string> Errors, bool Simulated) Check(OrderReport report, Trust trust)
    {
        var check = Reports.Check(report, trust);
        foreach (var line in check.Lines) Console.WriteLine(line);
        return ([.. check.Errors], check.Simulated);
    }

    /// <summary>The verdict, last: the errors and the failure line on stderr, or the sim warning and the success line; true when valid.</summary>
    private static bool Conclude((List<string> Errors, bool Simulated) check, bool included)
    {
        if (check.Errors.Count > 0 || !included)
        {
            foreach (var e in check.Errors) Console.Error.WriteLine($"error: {e}");
            Console.Error.WriteLine(Reports.Failure);
            return false;
        }
        if (check.Simulated) Console.WriteLine(SimWarning);
        Console.WriteLine(Success);
        return true;
    }
}
