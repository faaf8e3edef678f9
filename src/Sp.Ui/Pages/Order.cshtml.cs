using Microsoft.AspNetCore.Mvc;
using Sp.Api;
using Sp.Cli.Operations;

namespace Sp.Ui.Pages;

/// <summary>One workflow (`spctl orders get ID --suborders`), polled until it ends; its result's download
/// (`spctl orders download-result`).</summary>
public sealed class OrderModel(UiConfig config) : UiPage(config)
{
    [BindProperty(SupportsGet = true)] public long Id { get; set; }
    [BindProperty(SupportsGet = true)] public int Created { get; set; }

    public OrderView? View { get; private set; }

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx =>
    {
        View = await ctx.Node.GetOrderAsync(Id) ?? throw new Sp.Core.UserError($"order {Id} does not exist");
        if (Created == 1) Notice = $"Workflow was created, TEE order id: [\"{Id}\"]";
        return Page();
    });

    /// <summary>
    /// The result, verified as the command verifies it (the TEE's signed statement, then the archive's hash) into a
    /// file beside the config, then streamed from that file: the browser gets only a complete, verified archive.
    /// </summary>
    public Task<IActionResult> OnGetResultAsync() => TryAsync(async ctx =>
    {
        var dir = Directory.CreateDirectory(Path.Combine(Config.ConfigDir, "ui-results")).FullName;
        var path = Path.Combine(dir, $"result-{Id}.tar.gz");
        await Orders.SaveResultAsync(ctx, Id, path, noClobber: false, ct: HttpContext.RequestAborted);
        return PhysicalFile(path, "application/gzip", $"result-{Id}.tar.gz");
    });
}
