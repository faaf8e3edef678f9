using Sp.Client;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core.Ids;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Core;

namespace Spctl.Commands;

public static class ReportCommands
{
    public const string Success = "Order report validation successful!";
    public const string SimWarning =
        "WARNING: this report rests on the 'sim' attestation provider: no hardware isolation (TEE) was present, the evidence is simulated.";

    public static async Task<int> GetReportAsync(CommandLine cl, string configPath)
    {
        var id = cl.PositionalId<OrderId>(0, "order id").Value;
        var saveTo = cl.Option("save-to");
        var logUrl = cl.Option("log-url");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var view = await ctx.Node.GetReportAsync(id)
            ?? throw new UserError($"order {id} has no report on the ledger yet", "a report is published once the TEE has taken the order");
        // The node serves the report; its signed content must be for the order asked (not another order's report).
        var certified = ctx.Trust.ValidateReport(view.Report).OrderId;
        if (view.OrderId != id || certified != id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new IntegrityError($"order {id}: the node served a report whose order certificate is for order '{certified ?? "unreadable"}'",
                "the node answered with another order's report; nothing was saved");
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

    private static void PrintChain(string pem)
    {
        try
        {
            var certs = Sp.Certification.Pem.ReadCertificates(pem);
            string[] roles = certs.Count == 3 ? ["order", "tee", "root"] : [.. certs.Select((_, i) => $"certificate {i}")];
            for (var i = 0; i < certs.Count; i++)
            {
                Console.WriteLine($"certificate_chain: {roles[i]}: {certs[i].Subject} (serial {certs[i].SerialNumber}, issued {certs[i].NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ})");
                certs[i].Dispose();
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException) { }
    }

    /// <summary>
    /// The TEE's signed statement of how the order ended, served with its report: it must validate under the pinned
    /// root and name this report (docs/formats-result-statement.md). Prints it; returns what fails.
    /// </summary>
    private static List<string> ValidateResultStatement(OrderReport report, ResultStatement statement, string? orderId, Trust trust)
    {
        var v = trust.ValidateResultStatement(statement);
        var c = statement.Claims;
        Console.WriteLine($"result_statement: {c?.Status} result={(c?.ResultSha256 is { } h ? $"sha256:{h} size={c.ResultSize}" : "none")} " +
                          $"report={c?.ReportSha256 ?? "none"} (signed by the TEE under its order certificate)");
        var errors = v.Errors.Select(e => $"result statement: {e}").ToList();
        var id = LedgerId.TryParse<OrderId>(orderId, out var parsed) ? parsed.Value : -1;
        errors.AddRange(Sp.Certification.ResultStatements.CheckAgainst(v, id, report.AsPublished()).Select(e => $"result statement: {e}"));
        return errors;
    }

    /// <summary>Prints what the report says; returns what fails and whether it rests on simulated evidence.</summary>
    private static (List<string> Errors, bool Simulated) Check(OrderReport report, Trust trust)
    {
        var v = trust.ValidateReport(report);
        PrintChain(report.Certificate);
        foreach (var e in report.WorkloadInfo.RuntimeInfo)
            Console.WriteLine($"runtime_info: {e.Type} {e.Hash.Algo}:{e.Hash.Value} size={e.Size}");
        if (v.Evidence is { } ev)
            Console.WriteLine($"attestation: {ev.Type} measurement={ev.Measurement}{(ev.Debug ? " DEBUG" : "")}");
        var errors = v.Errors.ToList();
        if (report.ResultStatement is { } statement) errors.AddRange(ValidateResultStatement(report, statement, v.OrderId, trust));
        else Console.WriteLine("result_statement: none yet (the order has not ended)");
        return (errors, v.Simulated);
    }

    /// <summary>The verdict, last: the errors and the failure line on stderr, or the sim warning and the success line; true when valid.</summary>
    private static bool Conclude((List<string> Errors, bool Simulated) check, bool included)
    {
        if (check.Errors.Count > 0 || !included)
        {
            foreach (var e in check.Errors) Console.Error.WriteLine($"error: {e}");
            Console.Error.WriteLine("Order report validation failed");
            return false;
        }
        if (check.Simulated) Console.WriteLine(SimWarning);
        Console.WriteLine(Success);
        return true;
    }
}
