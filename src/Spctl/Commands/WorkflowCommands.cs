using Sp.Api;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core.Ids;
using Sp.Core.Model;
using Sp.Core;
using Sp.Ledger.Transactions;

namespace Spctl.Commands;

public static class WorkflowCommands
{
    public static async Task<int> CreateAsync(CommandLine cl, string configPath)
    {
        if (cl.Options("solution").Count > 1)
            throw new UserError("--solution: one solution resource file is supported, not several", "give --solution once (a base image plus a solution is not supported yet)");
        var solutionPath = cl.Required("solution", "solution resource file");
        var data = cl.Options("data").Select(ParseOfferSlot).ToList();
        var (teeOfferId, teeSlotId) = ParseOfferSlot(cl.Required("tee", "TEE offer id"));
        var deposit = cl.Option("deposit") is { } d ? TokenCommands.ParseAmount(d, "--deposit") : (TokenAmount?)null;
        cl.RejectUnknown();
        var solution = FilesCommands.ReadResourceFile(solutionPath);
        using var ctx = new ClientContext(configPath);

        var tee = await ctx.Node.GetOfferAsync(teeOfferId) ?? throw new UserError($"TEE offer {teeOfferId} does not exist", "list them with `spctl offers list tee`");
        if (tee.Offer.Type != OfferType.TeeOffer) throw new UserError($"offer {teeOfferId} is a {tee.Offer.Type} offer, not a TEE offer");
        if (tee.Offer.TeeCertificate is null) throw new UserError($"TEE offer {teeOfferId} has no certificate yet (its loader has not started)");
        // Each --data becomes a sub-order, in the order given: the TEE mounts them as input-0001, input-0002, ...
        var inputs = new List<DataInput>();
        var dataSlots = new List<SlotResources?>();
        foreach (var (offerId, slotId) in data)
        {
            var offer = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"data offer {offerId} does not exist");
            if (slotId is { } s && !offer.Offer.SlotIds.Contains(s)) throw new UserError($"slot {s} does not belong to offer {offerId}");
            var slot = slotId ?? (offer.Offer.SlotIds.Count > 0 ? offer.Offer.SlotIds[0] : throw new UserError($"offer {offerId} has no slot"));
            dataSlots.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Info);
            inputs.Add(new DataInput(offerId, slot));
        }
        if (teeSlotId is null)
        {
            var chosen = ChooseTeeSlot(tee, SlotFit.Needs(solution.Size, dataSlots));
            teeSlotId = chosen.Id;
            Console.WriteLine($"TEE slot {chosen.Id} of offer {teeOfferId} was chosen (the cheapest that fits): {SlotPricing.Describe(chosen.Info.Usage)}");
        }
        // Seal the solution's location and key to the TEE, only after its chain and evidence validate.
        var validated = ctx.Trust.ValidateTee(tee.Offer.TeeCertificate, ctx.Time.GetUtcNow());
        var consumer = ctx.Account.Address.Lower;
        var resultKey = Convert.ToBase64String(ctx.ResultKey.PublicKey);
        var sealedSolution = Sealed.Seal(validated.EncryptionPublicKey, Sealed.SolutionInfo, Sealed.SolutionAad(teeOfferId, consumer, resultKey), solution);
        var payload = new WorkflowCreate(
            teeOfferId, teeSlotId,
            new SolutionInput(solution.Hash.Value.ToLowerInvariant(), solution.Size, sealedSolution),
            inputs,
            resultKey,
            deposit);
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

    private static (long OfferId, long? SlotId) ParseOfferSlot(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !LedgerId.TryParse<OfferId>(parts[0], out var offer))
            throw new UserError($"'{s}' is not OFFER_ID or OFFER_ID,SLOT_ID (decimal ids)");
        long? slot = parts.Length == 2 ? LedgerId.Parse<SlotId>(parts[1], $"'{s}': slot id").Value : null;
        return (offer.Value, slot);
    }
}
