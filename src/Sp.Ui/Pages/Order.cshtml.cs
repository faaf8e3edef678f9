using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Hosting;
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
    /// The result, verified as the command verifies it (the TEE's signed statement before a byte is fetched, then the
    /// archive's hash) into a file beside the config, as a transfer whose page shows its progress and then offers the
    /// file: the browser gets only a complete, verified archive.
    /// </summary>
    public IActionResult OnPostResult([FromServices] Transfers transfers, [FromServices] IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(lifetime);
        var id = Id;
        var transfer = transfers.Start($"Result of order {id}", async (progress, ct) =>
        {
            var dir = Sp.Core.SecretFile.PrivateDirectory(Path.Combine(Config.ConfigDir, "ui-results")); // decrypted results: the owner's alone
            var name = $"result-{id}.tar.gz";
            var path = Path.Combine(dir, name);
            using var ctx = Config.Open();
            await Orders.SaveResultAsync(ctx, id, path, noClobber: false, progress: progress, ct: ct);
            return new TransferOutcome($"Order result was saved to {Path.GetRelativePath(Config.ConfigDir, path)}", File: path, FileName: name);
        }, lifetime.ApplicationStopping);
        return RedirectToPage("/Transfer", new { id = transfer.Id });
    }
}
