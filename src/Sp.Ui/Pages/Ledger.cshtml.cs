using Microsoft.AspNetCore.Mvc;
using Sp.Cli;
using Sp.Cli.Operations;
using Sp.Ledger.Transactions;

namespace Sp.Ui.Pages;

/// <summary>`spctl ledger info` and `ledger verify`, and the newest entries, each proved in the log.</summary>
public sealed class LedgerModel(UiConfig config) : UiPage(config)
{
    private const int Shown = 10;

    public string? Origin { get; private set; }
    public long? TreeSize { get; private set; }
    public string? RootHash { get; private set; }
    public string? Location { get; private set; }
    public List<string> VerifyLines { get; } = [];
    public IReadOnlyList<LedgerEntry> Newest { get; private set; } = [];

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx => { await LoadAsync(ctx); return Page(); });

    public Task<IActionResult> OnPostVerifyAsync() => TryAsync(async ctx =>
    {
        try
        {
            await LedgerChecks.VerifyAsync(ctx, null, ctx.Time, VerifyLines.Add);
        }
        catch (Exception e) when (Orders.IsFailure(e))
        {
            Error = UiServer.Describe(e);
        }
        await LoadAsync(ctx);
        return Page();
    });

    private async Task LoadAsync(ClientContext ctx)
    {
        using var log = ctx.OpenLog();
        var c = (await log.CheckpointAsync()).Checkpoint;
        (Origin, TreeSize, RootHash, Location) = (c.Origin, c.TreeSize, c.RootHash.ToBase64(), log.Location);
        var newest = new List<LedgerEntry>();
        for (var seq = c.TreeSize; seq >= 1 && seq > c.TreeSize - Shown; seq--)
            newest.Add((await log.ProveEntryAsync(seq)).Entry);
        Newest = newest;
    }
}
