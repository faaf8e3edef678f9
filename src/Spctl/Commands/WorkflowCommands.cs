using Sp.Api;
using Sp.Cli;
using Sp.Cli.Operations;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core.Ids;
using Sp.Core.Model;
using Sp.Core;
using Sp.Ledger.Transactions;

namespace Spctl.Commands;

public static partial class WorkflowCommands
{
    public static async Task<int> CreateAsync(CommandLine cl, string configPath)
    {
        if (cl.Options("solution").Count > 1)
            throw new UserError("--solution: one solution resource file is supported, not several", "give --solution once (a base image plus a solution is not supported yet)");
        var solutionPath = cl.Required("solution", "solution resource file");
        // Each --data is an offer (OFFER[,SLOT], decimal ids) or the consumer's own resource file (anything else).
        var data = cl.Options("data").Select(ParseDataInput).ToList();
        var (teeOfferId, teeSlotId) = ParseOfferSlot(cl.Required("tee", "TEE offer id"));
        var deposit = cl.Option("deposit") is { } d ? TokenCommands.ParseAmount(d, "--deposit") : (TokenAmount?)null;
        var expectedHash = cl.Option("solution-hash") is { } sh ? ParseSha256(sh) : null;
        var minRentMinutes = cl.Option("min-rent-minutes") is { } m ? ParseCount(m, "--min-rent-minutes", allowZero: false) : (int?)null;
        if (cl.Option("tee-slot-count") is { } count && ParseCount(count, "--tee-slot-count", allowZero: true) > 1)
            throw new UserError($"--tee-slot-count {count}: an order runs in one slot of the TEE offer, it cannot take a slot several times",
                "choose a larger slot with --tee OFFER,SLOT (`spctl offers get tee OFFER` lists them), or leave --tee-slot-count out");
        if (cl.Options("tee-options").Count > 0 || cl.Options("tee-options-count").Count > 0)
            throw new UserError("--tee-options/--tee-options-count: TEE offers have no options on this network; a slot carries all its resources (slot-info.json's option: bandwidth, traffic, external port)",
                "choose the slot that has what you need with --tee OFFER,SLOT");
        cl.RejectUnknown();
        // --solution OFFER[,SLOT]: a solution offer, whose owner releases the image; its hash is not on the ledger, so
        // the consumer declares it (--solution-hash, as the owner published it). Anything else: her own resource file.
        var solutionOffer = OfferSlotForm().IsMatch(solutionPath) ? ParseOfferSlot(solutionPath) : ((long OfferId, long? SlotId)?)null;
        if (solutionOffer is not null && expectedHash is null)
            throw new UserError($"--solution {solutionPath} names a solution offer: --solution-hash is required with it (the ledger does not hold a solution offer's hash)",
                "ask the solution's owner for the hash `provider-tools register solution` printed, and pass --solution-hash H");
        var solution = solutionOffer is null ? FilesCommands.ReadResourceFile(solutionPath) : null;
        var solutionHash = solution?.Hash.Value.ToLowerInvariant() ?? expectedHash!;
        if (expectedHash is not null && expectedHash != solutionHash)
            throw new UserError($"--solution-hash {expectedHash} differs from the hash of the solution in {solutionPath}: {solutionHash}; no order was created",
                "check that this is the solution you verified (`spctl files calculate-hash` on the archive)");
        var request = new WorkflowRequest
        {
            Solution = solution,
            SolutionOffer = solutionOffer,
            SolutionHash = solutionHash,
            // Files are read in the order given, before the node is asked anything (as before the logic moved to Sp.Cli).
            Data = data.Select(d => d.File is { } f ? WorkflowInput.Own(f, FilesCommands.ReadResourceFile(f)) : WorkflowInput.Offer(d.Offer!.Value.OfferId, d.Offer.Value.SlotId)).ToList(),
            TeeOfferId = teeOfferId,
            TeeSlotId = teeSlotId,
            Deposit = deposit,
            MinRentMinutes = minRentMinutes,
        };
        using var ctx = new ClientContext(configPath);
        var plan = await Workflows.PlanAsync(ctx, request, Console.WriteLine);
        var (orderId, locked) = await Workflows.CreateAsync(ctx, plan);
        if (locked is { IsZero: false } l)
            Console.WriteLine($"Deposit locked: {l} tokens");
        Console.WriteLine($"Workflow was created, TEE order id: [\"{orderId}\"]");
        return 0;
    }

    /// <inheritdoc cref="Workflows.ChooseTeeSlot"/>
    public static Slot ChooseTeeSlot(OfferView tee, SlotResources needed) => Workflows.ChooseTeeSlot(tee, needed);

    /// <inheritdoc cref="Workflows.DepositFor"/>
    public static TokenAmount DepositFor(int minutes, TokenAmount? given, IReadOnlyList<SlotUsage?> usages) => Workflows.DepositFor(minutes, given, usages);

    private static string ParseSha256(string s)
    {
        var hash = s.Trim().ToLowerInvariant();
        return hash.Length == 64 && hash.All(Uri.IsHexDigit) ? hash : throw new UserError($"--solution-hash '{s}': expected 64 hex digits (SHA-256)");
    }

    private static int ParseCount(string s, string what, bool allowZero) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && (n > 0 || allowZero && n == 0)
            ? n
            : throw new UserError($"{what} '{s}': expected a {(allowZero ? "" : "positive ")}whole number");

    /// <summary>--data: OFFER[,SLOT] (decimal ids) names a data offer; anything else is the path of a resource file
    /// (`./5` reads a file named 5).</summary>
    private static (string? File, (long OfferId, long? SlotId)? Offer) ParseDataInput(string s) =>
        OfferSlotForm().IsMatch(s) ? (null, ParseOfferSlot(s)) : (s, null);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*[0-9]+\s*(,\s*[0-9]+\s*)?$")]
    private static partial System.Text.RegularExpressions.Regex OfferSlotForm();

    private static (long OfferId, long? SlotId) ParseOfferSlot(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !LedgerId.TryParse<OfferId>(parts[0], out var offer))
            throw new UserError($"'{s}' is not OFFER_ID or OFFER_ID,SLOT_ID (decimal ids)");
        long? slot = parts.Length == 2 ? LedgerId.Parse<SlotId>(parts[1], $"'{s}': slot id").Value : null;
        return (offer.Value, slot);
    }
}
