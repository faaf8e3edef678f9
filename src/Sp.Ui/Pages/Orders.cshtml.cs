using Microsoft.AspNetCore.Mvc;
using Sp.Api;
using Sp.Core.Model;

namespace Sp.Ui.Pages;

/// <summary>The account's workflows (`spctl orders list --my-account`, parents only), polled by the page.</summary>
public sealed class OrdersModel(UiConfig config) : UiPage(config)
{
    public IReadOnlyList<Order> List { get; private set; } = [];

    /// <summary>Some order has not ended: the page keeps its statuses live.</summary>
    public bool Running => List.Any(o => !o.Status.IsFinal());

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx =>
    {
        List = (await ctx.Node.ListOrdersAsync("consumer=" + ctx.Account.Address.Lower)).Where(o => o.ParentId is null).OrderByDescending(o => o.Id).ToList();
        return Page();
    });
}
