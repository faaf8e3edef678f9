using Microsoft.AspNetCore.Mvc;
using Sp.Api;
using Sp.Cli;
using Sp.Cli.Operations;
using Sp.Core;
using Sp.Core.Model;

namespace Sp.Ui.Pages;

/// <summary>
/// For a data (or solution) owner: the Blocked (or New) sub-orders of their offers, approved with the solution hash they verified
/// as `spctl orders complete SUB --status done --solution-hash H --result FILE` does (<see cref="Orders.CompleteAsync"/>),
/// or declined as `--status canceled` does.
/// </summary>
public sealed class ApprovalsModel(UiConfig config) : UiPage(config)
{
    [BindProperty] public long SubId { get; set; }
    [BindProperty] public string? SolutionHash { get; set; }
    [BindProperty] public string? Resource { get; set; }

    public IReadOnlyList<(Order Sub, Order Parent)> Waiting { get; private set; } = [];

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx => { await LoadAsync(ctx); return Page(); });

    public Task<IActionResult> OnPostApproveAsync() => TryAsync(async ctx =>
    {
        try
        {
            var hash = (SolutionHash ?? "").Trim().ToLowerInvariant();
            if (hash.Length != 64 || !hash.All(Uri.IsHexDigit)) throw new UserError($"solution hash '{SolutionHash}': expected 64 hex digits (SHA-256)");
            var resource = Workflows.ReadResourceFile(ResourcePath(Resource));
            await Orders.CompleteAsync(ctx, SubId, OrderStatus.Done, hash, resource);
            Notice = $"Order {SubId} has been completed successfully: status={OrderStatus.Done}";
        }
        catch (Exception e) when (Orders.IsFailure(e))
        {
            // As the command prints it on stderr.
            Error = $"Order {SubId} was not completed: {Orders.Reason(e)}";
        }
        await LoadAsync(ctx);
        return Page();
    });

    /// <summary>
    /// The owner declines: `spctl orders complete SUB --status canceled`. Nothing is released; the workflow ends
    /// Canceled without running and its deposit is refunded whole (docs/ledger.md).
    /// </summary>
    public Task<IActionResult> OnPostDeclineAsync() => TryAsync(async ctx =>
    {
        try
        {
            await Orders.CompleteAsync(ctx, SubId, OrderStatus.Canceled, "", resource: null);
            Notice = $"Order {SubId} has been completed successfully: status={OrderStatus.Canceled}";
        }
        catch (Exception e) when (Orders.IsFailure(e))
        {
            Error = $"Order {SubId} was not completed: {Orders.Reason(e)}";
        }
        await LoadAsync(ctx);
        return Page();
    });

    private async Task LoadAsync(ClientContext ctx)
    {
        var me = ctx.Account.Address.Lower;
        var mine = (await ctx.Node.ListOffersAsync("value")).Where(v => string.Equals(v.Offer.Owner, me, StringComparison.OrdinalIgnoreCase)).Select(v => v.Offer.Id).ToList();
        if (mine.Count == 0) { Waiting = []; return; }
        var subs = await ctx.Node.ListOrdersAsync("offers=" + string.Join(',', mine) + "&status=Blocked,New");
        var waiting = new List<(Order, Order)>();
        foreach (var sub in subs.Where(s => s.ParentId is not null && s.Type is OfferType.Data or OfferType.Solution))
            if (await ctx.Node.GetOrderAsync(sub.ParentId!.Value) is { } parent) waiting.Add((sub, parent.Order));
        Waiting = waiting;
    }
}
