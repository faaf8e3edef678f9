using Microsoft.AspNetCore.Mvc;
using Sp.Api;
using Sp.Core.Model;

namespace Sp.Ui.Pages;

/// <summary>The offers on the ledger (as `spctl offers list tee|value`), each with its provider and slots.</summary>
public sealed class IndexModel(UiConfig config) : UiPage(config)
{
    public IReadOnlyList<OfferView> Tee { get; private set; } = [];
    public IReadOnlyList<OfferView> Data { get; private set; } = [];
    public IReadOnlyList<OfferView> Solution { get; private set; } = [];
    public string Account { get; private set; } = "";
    public string Network { get; private set; } = "";

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx =>
    {
        Account = ctx.Account.Address.ToString();
        Network = ctx.Network;
        Tee = await ctx.Node.ListOffersAsync("tee");
        var values = await ctx.Node.ListOffersAsync("value");
        Data = values.Where(v => v.Offer.Type == OfferType.Data).ToList();
        Solution = values.Where(v => v.Offer.Type == OfferType.Solution).ToList();
        return Page();
    });

    public static string Resources(SlotResources r) =>
        $"{r.CpuCores} CPU, {r.GpuCores} GPU, RAM {Mb(r.Ram)}, VRAM {Mb(r.Vram)}, disk {Mb(r.DiskUsage)}";

    private static string Mb(long bytes) => bytes == 0 ? "0" : $"{bytes / (1024.0 * 1024):0.#} MiB";
}
