using Microsoft.AspNetCore.Mvc;
using Sp.Api;
using Sp.Cli;
using Sp.Cli.Operations;
using Sp.Core;
using Sp.Core.Model;

namespace Sp.Ui.Pages;

/// <summary>
/// `spctl workflows create` as a form: the same request (<see cref="WorkflowRequest"/>), planned by the same code
/// (<see cref="Workflows.PlanAsync"/>) to show the cost, then created by <see cref="Workflows.CreateAsync"/>.
/// </summary>
public sealed class WorkflowModel(UiConfig config) : UiPage(config)
{
    [BindProperty] public string? Solution { get; set; }
    [BindProperty] public string? SolutionHash { get; set; }
    [BindProperty] public List<string> Data { get; set; } = [];
    [BindProperty] public string? Tee { get; set; }
    [BindProperty] public string? Deposit { get; set; }
    [BindProperty] public string? MinRentMinutes { get; set; }

    public IReadOnlyList<OfferView> TeeOffers { get; private set; } = [];
    public IReadOnlyList<OfferView> DataOffers { get; private set; } = [];
    public IReadOnlyList<OfferView> SolutionOffers { get; private set; } = [];
    public WorkflowPlan? Plan { get; private set; }

    public Task<IActionResult> OnGetAsync() => TryAsync(async ctx => { await LoadAsync(ctx); return Page(); });

    public Task<IActionResult> OnPostPreviewAsync() => TryAsync(async ctx =>
    {
        await LoadAsync(ctx);
        Plan = await Workflows.PlanAsync(ctx, BuildRequest());
        return Page();
    });

    /// <summary>The fingerprint of the plan the page showed (<see cref="Fingerprint"/>), posted back with Create.</summary>
    [BindProperty] public string? PlanShown { get; set; }

    /// <summary>
    /// Creates the workflow only if it is the one whose cost the page showed: the form could have been edited, or an
    /// offer changed its terms, since "Show the cost". Otherwise nothing is created and the new cost is shown.
    /// </summary>
    public Task<IActionResult> OnPostCreateAsync() => TryAsync(async ctx =>
    {
        await LoadAsync(ctx);
        Plan = await Workflows.PlanAsync(ctx, BuildRequest());
        if (PlanShown != Fingerprint(Plan))
        {
            Error = "the workflow differs from the one whose cost was shown (the form or an offer changed since); no order was created (hint: check the cost below, then Create)";
            return Page();
        }
        var (orderId, locked) = await Workflows.CreateAsync(ctx, Plan);
        return RedirectToPage("/Order", new { id = orderId, created = 1 });
    });

    /// <summary>What the cost section shows, as a SHA-256: slots and their terms, own files, cost, deposit, declared hash.</summary>
    public static string Fingerprint(WorkflowPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var lines = new List<string> { $"tee {plan.Request.TeeOfferId},{plan.TeeSlotId} {SlotPricing.Describe(plan.TeeUsage)}" };
        lines.AddRange(plan.Inputs.Select((d, i) => $"data {d.OfferId},{d.SlotId} {SlotPricing.Describe(plan.Usages[i])}"));
        if (plan.SolutionInput is { } si) lines.Add($"solution {si.OfferId},{si.SlotId} {SlotPricing.Describe(plan.Usages[^1])}");
        lines.AddRange(plan.Files.Select(f => $"file {f.Position} {f.Path} {f.Resource.Hash.Value}"));
        lines.Add($"cost {plan.MinimumCost} deposit {plan.Deposit} hash {plan.Request.SolutionHash}");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    private async Task LoadAsync(ClientContext ctx)
    {
        TeeOffers = (await ctx.Node.ListOffersAsync("tee")).Where(o => o.Offer.Enabled).ToList();
        var values = await ctx.Node.ListOffersAsync("value");
        DataOffers = values.Where(v => v.Offer.Type == OfferType.Data && v.Offer.Enabled).ToList();
        SolutionOffers = values.Where(v => v.Offer.Type == OfferType.Solution && v.Offer.Enabled).ToList();
    }

    /// <summary>The form as `workflows create` would read its options, with the same checks and messages.</summary>
    private WorkflowRequest BuildRequest()
    {
        var expected = string.IsNullOrWhiteSpace(SolutionHash) ? null : Sha256(SolutionHash);
        ResourceFile? solution = null;
        (long, long?)? solutionOffer = null;
        string shown;
        if (Solution?.StartsWith("offer:", StringComparison.Ordinal) == true)
        {
            solutionOffer = OfferSlot(Solution["offer:".Length..]);
            shown = Solution["offer:".Length..];
            if (expected is null)
                throw new UserError($"solution offer {shown}: the solution hash is required with it (the ledger does not hold a solution offer's hash)",
                    "ask the solution's owner for the hash `provider-tools register solution` printed");
        }
        else if (Solution?.StartsWith("file:", StringComparison.Ordinal) == true)
        {
            shown = Solution["file:".Length..];
            solution = Workflows.ReadResourceFile(ResourcePath(shown));
        }
        else throw new UserError("no solution chosen", "choose your solution's resource file or a solution offer");
        var hash = solution?.Hash.Value.ToLowerInvariant() ?? expected!;
        if (expected is not null && expected != hash)
            throw new UserError($"solution hash {expected} differs from the hash of the solution in {shown}: {hash}; no order was created",
                "check that this is the solution you verified (`spctl files calculate-hash` on the archive)");
        var data = Data.Select(d => d.StartsWith("file:", StringComparison.Ordinal)
            ? WorkflowInput.Own(d["file:".Length..], Workflows.ReadResourceFile(ResourcePath(d["file:".Length..])))
            : OfferSlot(d.StartsWith("offer:", StringComparison.Ordinal) ? d["offer:".Length..] : d) is var (o, s) ? WorkflowInput.Offer(o, s) : null!).ToList();
        if (string.IsNullOrWhiteSpace(Tee)) throw new UserError("no TEE chosen", "choose a TEE offer");
        var (teeOffer, teeSlot) = OfferSlot(Tee);
        return new WorkflowRequest
        {
            Solution = solution,
            SolutionOffer = solutionOffer,
            SolutionHash = hash,
            Data = data,
            TeeOfferId = teeOffer,
            TeeSlotId = teeSlot,
            Deposit = string.IsNullOrWhiteSpace(Deposit) ? null : TokenAmount.ParseTokens(Deposit.Trim(), "deposit"),
            MinRentMinutes = string.IsNullOrWhiteSpace(MinRentMinutes) ? null
                : int.TryParse(MinRentMinutes.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0 ? m
                : throw new UserError($"minutes '{MinRentMinutes}': expected a positive whole number"),
        };
    }

    private static string Sha256(string s)
    {
        var hash = s.Trim().ToLowerInvariant();
        return hash.Length == 64 && hash.All(Uri.IsHexDigit) ? hash : throw new UserError($"solution hash '{s}': expected 64 hex digits (SHA-256)");
    }

    private static (long OfferId, long? SlotId) OfferSlot(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offer))
            throw new UserError($"'{s}' is not OFFER_ID or OFFER_ID,SLOT_ID (decimal ids)");
        long? slot = parts.Length == 2 && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sl) ? sl
            : parts.Length == 2 ? throw new UserError($"'{s}': slot id is not a decimal id") : null;
        return (offer, slot);
    }
}
