using Sp.Client.Api;
using Sp.Client.Cli;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core.Model;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Spctl.Commands;

public static class WorkflowCommands
{
    public static async Task<int> CreateAsync(CommandLine cl, string configPath)
    {
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
        long dataDisk = 0;
        foreach (var (offerId, slotId) in data)
        {
            var offer = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"data offer {offerId} does not exist");
            if (slotId is { } s && !offer.Offer.SlotIds.Contains(s)) throw new UserError($"slot {s} does not belong to offer {offerId}");
            var slot = slotId ?? (offer.Offer.SlotIds.Count > 0 ? offer.Offer.SlotIds[0] : throw new UserError($"offer {offerId} has no slot"));
            dataDisk += offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Info.DiskUsage ?? 0;
            inputs.Add(new DataInput(offerId, slot));
        }
        if (teeSlotId is null)
        {
            var chosen = ChooseTeeSlot(tee, solution.Size + dataDisk);
            teeSlotId = chosen.Id;
            Console.WriteLine($"TEE slot {chosen.Id} of offer {teeOfferId} was chosen (the cheapest that fits): {SlotPricing.Describe(chosen.Info.Usage)}");
        }
        // Seal the solution's location and key to the TEE, only after its chain and evidence validate.
        var validated = ctx.Trust.ValidateTee(tee.Offer.TeeCertificate, DateTimeOffset.UtcNow);
        var consumer = ctx.Account.Address.Lower;
        var sealedSolution = Sealed.Seal(validated.EncryptionPublicKey, Sealed.SolutionInfo, Sealed.SolutionAad(teeOfferId, consumer), solution);
        var payload = new WorkflowCreate(
            teeOfferId, teeSlotId,
            new SolutionInput(solution.Hash.Value.ToLowerInvariant(), solution.Size, sealedSolution),
            inputs,
            Convert.ToBase64String(ctx.ResultKey.PublicKey),
            deposit);
        var result = await ctx.Node.SendAsync(ctx.Account, ctx.Network, TxTypes.WorkflowCreate, payload);
        var orderId = result.Ids.TryGetValue("orderId", out var id) ? id : throw new UserError("the node did not return an order id");
        if ((await ctx.Node.GetOrderAsync(orderId))?.Order.Deposit is { IsZero: false } locked)
            Console.WriteLine($"Deposit locked: {locked} tokens");
        Console.WriteLine($"Workflow was created, TEE order id: [\"{orderId}\"]");
        return 0;
    }

    /// <summary>
    /// The cheapest slot (minimum cost, then lowest id) of the TEE offer whose disk holds the solution and the
    /// datasets (their slots' declared diskUsage); the error lists the slots when none fits.
    /// </summary>
    public static Slot ChooseTeeSlot(OfferView tee, long diskNeeded)
    {
        if (tee.Slots.Count == 0) throw new UserError($"TEE offer {tee.Offer.Id} has no slot");
        var fitting = tee.Slots.Where(s => s.Info.Info.DiskUsage >= diskNeeded).ToList();
        if (fitting.Count == 0)
            throw new UserError($"no slot of TEE offer {tee.Offer.Id} fits: the solution and data need {diskNeeded} bytes of disk; slots: "
                                + string.Join(", ", tee.Slots.Select(s => $"{s.Id} ({s.Info.Info.DiskUsage} bytes)")));
        return fitting.OrderBy(s => SlotPricing.MinimumCost(s.Info.Usage)).ThenBy(s => s.Id).First();
    }

    private static (long OfferId, long? SlotId) ParseOfferSlot(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !long.TryParse(parts[0], out var offer) || offer <= 0)
            throw new UserError($"'{s}' is not OFFER_ID or OFFER_ID,SLOT_ID (decimal ids)");
        long? slot = null;
        if (parts.Length == 2)
        {
            if (!long.TryParse(parts[1], out var sl) || sl <= 0) throw new UserError($"'{s}': slot id '{parts[1]}' is not a decimal id");
            slot = sl;
        }
        return (offer, slot);
    }
}
