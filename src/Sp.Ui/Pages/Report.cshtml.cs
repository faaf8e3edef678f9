using Microsoft.AspNetCore.Mvc;
using Sp.Api;
using Sp.Cli.Operations;

namespace Sp.Ui.Pages;

/// <summary>The order's report, validated by the command's code (<see cref="Reports"/>): chain, evidence (with the
/// sim warning), result statement, the runtime hashes, and the report's inclusion in the log.</summary>
public sealed class ReportModel(UiConfig config) : UiPage(config)
{
    [BindProperty(SupportsGet = true)] public long Id { get; set; }

    public ReportView? View { get; private set; }
    public ReportCheck? Check { get; private set; }
    public ReportInclusion? Inclusion { get; private set; }
    public bool Valid => Check is { Errors.Count: 0 } && Inclusion is { Included: true };

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx =>
    {
        View = await Reports.FetchAsync(ctx, Id);
        Check = Reports.Check(View.Report, ctx.Trust);
        Inclusion = await Reports.InclusionAsync(ctx, View);
        return Page();
    });
}
