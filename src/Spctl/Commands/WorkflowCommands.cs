using Sp.Api;
using Sp.Cli;
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
        using var ctx = new ClientContext(configPath);

        var tee = await ctx.Node.GetOfferAsync(teeOfferId) ?? throw new UserError($"TEE offer {teeOfferId} does not exist", "list them with `spctl offers list tee`");
        if (tee.Offer.Type != OfferType.TeeOffer) throw new UserError($"offer {teeOfferId} is a {tee.Offer.Type} offer, not a TEE offer");
        if (tee.Offer.TeeCertificate is null) throw new UserError($"TEE offer {teeOfferId} has no certificate yet (its loader has not started)");
        // Each --data offer becomes a sub-order, each file a sealed input of the order itself; the TEE mounts them all
        // as input-0001, input-0002, ... in the order given (a file's place is its position, the sub-orders fill the rest).
        var inputs = new List<DataInput>();
        var dataSlots = new List<SlotResources?>();
        var usages = new List<SlotUsage?>();
        var files = new List<(int Position, string Path, ResourceFile Resource)>();
        for (var position = 0; position < data.Count; position++)
        {
            if (data[position].File is { } file)
            {
                files.Add((position, file, FilesCommands.ReadResourceFile(file)));
                continue;
            }
            var (offerId, slotId) = data[position].Offer!.Value;
            var offer = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"data offer {offerId} does not exist");
            if (slotId is { } s && !offer.Offer.SlotIds.Contains(s)) throw new UserError($"slot {s} does not belong to offer {offerId}");
            var slot = slotId ?? (offer.Offer.SlotIds.Count > 0 ? offer.Offer.SlotIds[0] : throw new UserError($"offer {offerId} has no slot"));
            dataSlots.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Info);
            usages.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Usage);
            inputs.Add(new DataInput(offerId, slot));
        }
        DataInput? solutionInput = null;
        if (solutionOffer is { } named)
        {
            var (solutionOfferId, solutionSlotId) = named;
            var offer = await ctx.Node.GetOfferAsync(solutionOfferId) ?? throw new UserError($"solution offer {solutionOfferId} does not exist", "list them with `spctl offers list value`");
            if (offer.Offer.Type != OfferType.Solution) throw new UserError($"offer {solutionOfferId} is a {offer.Offer.Type} offer, not a Solution offer");
            if (solutionSlotId is { } s && !offer.Offer.SlotIds.Contains(s)) throw new UserError($"slot {s} does not belong to offer {solutionOfferId}");
            var slot = solutionSlotId ?? (offer.Offer.SlotIds.Count > 0 ? offer.Offer.SlotIds[0] : throw new UserError($"offer {solutionOfferId} has no slot"));
            // The image's size is unknown here: the solution slot's declared resources (its diskUsage) count in the fit.
            dataSlots.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Info);
            usages.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Usage);
            solutionInput = new DataInput(solutionOfferId, slot);
        }
        if (teeSlotId is null)
        {
            var chosen = ChooseTeeSlot(tee, SlotFit.Needs((solution?.Size ?? 0) + files.Sum(f => f.Resource.Size), dataSlots));
            teeSlotId = chosen.Id;
            Console.WriteLine($"TEE slot {chosen.Id} of offer {teeOfferId} was chosen (the cheapest that fits): {SlotPricing.Describe(chosen.Info.Usage)}");
        }
        if (minRentMinutes is { } minutes)
            deposit = DepositFor(minutes, deposit, usages.Prepend(tee.Slots.FirstOrDefault(x => x.Id == teeSlotId)?.Info.Usage).ToList());
        // Seal the solution's location and key to the TEE, only after its chain and evidence validate.
        var validated = ctx.Trust.ValidateTee(tee.Offer.TeeCertificate, ctx.Time.GetUtcNow());
        var consumer = ctx.Account.Address.Lower;
        var resultKey = Convert.ToBase64String(ctx.ResultKey.PublicKey);
        // A solution offer's image is sealed by its owner at `orders complete`: the order carries only its declared hash.
        var sealedSolution = solution is null ? "" : Sealed.Seal(validated.EncryptionPublicKey, Sealed.SolutionInfo, Sealed.SolutionAad(teeOfferId, consumer, resultKey), solution);
        // Null, never an empty list, without files: the entry then has no consumerData field, as before it existed.
        var consumerData = files.Count == 0 ? null : files.Select(f =>
        {
            var hash = f.Resource.Hash.Value.ToLowerInvariant();
            return new ConsumerInput(f.Position, hash, f.Resource.Size, Sealed.Seal(validated.EncryptionPublicKey, Sealed.DataInfo,
                Sealed.ConsumerDataAad(teeOfferId, consumer, resultKey, solutionHash, f.Position, hash), f.Resource));
        }).ToList();
        var payload = new WorkflowCreate(
            teeOfferId, teeSlotId,
            new SolutionInput(solutionHash, solution?.Size ?? 0, sealedSolution),
            inputs,
            resultKey,
            deposit,
            consumerData,
            solutionInput);
        var result = await ctx.Node.SendAsync(ctx.Account, ctx.Network, payload);
        var orderId = result.Ids.OrderId?.Value ?? throw new UserError("the node did not return an order id");
        if ((await ctx.Node.GetOrderAsync(orderId))?.Order.Deposit is { IsZero: false } locked)
            Console.WriteLine($"Deposit locked: {locked} tokens");
        Console.WriteLine($"Workflow was created, TEE order id: [\"{orderId}\"]");
        return 0;
    }

    /// <summary>
    /// The cheapest slot (minimum cost, then lowest id) of the TEE offer that holds what the workflow needs: the
    /// solution's size plus the data slots' declared resources (CPU and GPU cores, RAM, VRAM, disk; see
    /// <see cref="SlotFit"/>); the error says, slot by slot, what is short when none fits.
    /// </summary>
    public static Slot ChooseTeeSlot(OfferView tee, SlotResources needed)
    {
        var (chosen, whyNone) = SlotFit.Cheapest(tee.Slots, needed);
        return chosen ?? throw new UserError($"no slot of TEE offer {tee.Offer.Id} holds what the workflow needs: {whyNone}",
            "name a slot with --tee OFFER,SLOT, or choose another TEE offer (`spctl offers list tee`)");
    }

    /// <summary>
    /// --min-rent-minutes: the deposit that pays every slot of the order (TEE and data, at their prices) for that many
    /// minutes of running; a slot's own minimum rent still counts when it is longer (<see cref="SlotPricing.Cost(SlotUsage, long)"/>).
    /// A --deposit given too must cover it.
    /// </summary>
    public static TokenAmount DepositFor(int minutes, TokenAmount? given, IReadOnlyList<SlotUsage?> usages)
    {
        var needed = SlotPricing.Cost(usages, minutes * SlotPricing.MillisPerMinute);
        if (given is { } g && g < needed)
            throw new UserError($"--deposit {g} is less than the {needed} tokens that {minutes} minutes of this workflow cost (--min-rent-minutes {minutes})",
                "raise --deposit, or leave it out to lock exactly what the minutes cost");
        return given ?? needed;
    }

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
