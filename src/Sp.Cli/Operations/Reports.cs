using Sp.Api;
using Sp.Client;
using Sp.Client.Config;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Core.Ids;
using Sp.Core.Model;

namespace Sp.Cli.Operations;

/// <summary>What a report's validation found: the lines `orders validate-report` prints, the errors, the sim flag.</summary>
public sealed record ReportCheck(IReadOnlyList<string> Lines, IReadOnlyList<string> Errors, bool Simulated);

/// <summary>The report's ledger entry proved in the log: the line printed, and whether it is this report's entry.</summary>
public sealed record ReportInclusion(bool Included, string Line);

/// <summary>
/// `orders get-report` and `orders validate-report` without the console: spctl prints what these return, the UI
/// shows it.
/// </summary>
public static class Reports
{
    public const string Success = "Order report validation successful!";
    public const string Failure = "Order report validation failed";
    public const string SimWarning =
        "WARNING: this report rests on the 'sim' attestation provider: no hardware isolation (TEE) was present, the evidence is simulated.";

    /// <summary>The order's report from the node, checked to be this order's (its certificate names the order).</summary>
    public static async Task<ReportView> FetchAsync(ClientContext ctx, long id)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var view = await ctx.Node.GetReportAsync(id)
            ?? throw new UserError($"order {id} has no report on the ledger yet", "a report is published once the TEE has taken the order");
        // The node serves the report; its signed content must be for the order asked (not another order's report).
        var certified = ctx.Trust.ValidateReport(view.Report).OrderId;
        if (view.OrderId != id || certified != id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new IntegrityError($"order {id}: the node served a report whose order certificate is for order '{certified ?? "unreadable"}'",
                "the node answered with another order's report; nothing was saved");
        return view;
    }

    /// <summary>Validates the report under <paramref name="trust"/>: chain, evidence, result statement.</summary>
    public static ReportCheck Check(OrderReport report, Trust trust)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(trust);
        var lines = new List<string>();
        var v = trust.ValidateReport(report);
        lines.AddRange(Chain(report.Certificate));
        foreach (var e in report.WorkloadInfo.RuntimeInfo)
            lines.Add($"runtime_info: {e.Type} {e.Hash.Algo}:{e.Hash.Value} size={e.Size}");
        if (v.Evidence is { } ev)
            lines.Add($"attestation: {ev.Type} measurement={ev.Measurement}{(ev.Debug ? " DEBUG" : "")}");
        var errors = v.Errors.ToList();
        if (report.ResultStatement is { } statement) errors.AddRange(ValidateResultStatement(report, statement, v.OrderId, trust, lines));
        else lines.Add("result_statement: none yet (the order has not ended)");
        return new ReportCheck(lines, errors, v.Simulated);
    }

    private static List<string> Chain(string pem)
    {
        var lines = new List<string>();
        try
        {
            var certs = Sp.Certification.Pem.ReadCertificates(pem);
            string[] roles = certs.Count == 3 ? ["order", "tee", "root"] : [.. certs.Select((_, i) => $"certificate {i}")];
            for (var i = 0; i < certs.Count; i++)
            {
                lines.Add($"certificate_chain: {roles[i]}: {certs[i].Subject} (serial {certs[i].SerialNumber}, issued {certs[i].NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ})");
                certs[i].Dispose();
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException) { }
        return lines;
    }

    /// <summary>
    /// The TEE's signed statement of how the order ended, served with its report: it must validate under the pinned
    /// root and name this report (docs/formats-result-statement.md). Adds its line; returns what fails.
    /// </summary>
    private static List<string> ValidateResultStatement(OrderReport report, ResultStatement statement, string? orderId, Trust trust, List<string> lines)
    {
        var v = trust.ValidateResultStatement(statement);
        var c = statement.Claims;
        lines.Add($"result_statement: {c?.Status} result={(c?.ResultSha256 is { } h ? $"sha256:{h} size={c.ResultSize}" : "none")} " +
                  $"report={c?.ReportSha256 ?? "none"} (signed by the TEE under its order certificate)");
        var errors = v.Errors.Select(e => $"result statement: {e}").ToList();
        var id = LedgerId.TryParse<OrderId>(orderId, out var parsed) ? parsed.Value : -1;
        errors.AddRange(Sp.Certification.ResultStatements.CheckAgainst(v, id, report.AsPublished()).Select(e => $"result statement: {e}"));
        return errors;
    }

    /// <summary>
    /// Proves the report's ledger entry is included under a verified checkpoint and is the <c>order.report</c>
    /// transaction of exactly this report. Not checked (and not failed) when config.json pins no log key.
    /// </summary>
    public static async Task<ReportInclusion> InclusionAsync(ClientContext ctx, ReportView view, string? logUrl = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(view);
        if (!ctx.LogPinned)
            return new ReportInclusion(true, "report_inclusion: not checked (config.json pins no ledger log key: trust.logKey)");
        using var log = ctx.OpenLog(logUrl);
        var (entry, checkpoint) = await log.ProveEntryAsync(view.Seq);
        if (!ClientLog.IsReportEntry(entry, view))
            return new ReportInclusion(false, $"error: ledger entry {view.Seq} (proved in the tree of size {checkpoint.TreeSize}) is a {entry.Signed.Tx.Type} transaction, not this report of order {view.OrderId}");
        // The log's leaf index is zero-based; the ledger's entry numbers (seq) start at 1.
        return new ReportInclusion(true, $"report_inclusion: leaf index {view.Seq - 1} (ledger entry {view.Seq}) of tree size {checkpoint.TreeSize} verified at {log.Location}");
    }
}
