using Sp.Api;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Ledger.Transactions;

namespace Sp.Cli.Operations;

/// <summary>One input of a workflow: a data offer (and slot), or the consumer's own resource file.</summary>
public sealed record WorkflowInput(string? File, ResourceFile? Resource, long? OfferId, long? SlotId)
{
    public static WorkflowInput Offer(long offerId, long? slotId) => new(null, null, offerId, slotId);
    public static WorkflowInput Own(string path, ResourceFile resource) => new(path, resource, null, null);
}

/// <summary>What `workflows create` (and the UI's builder) asks for, parsed.</summary>
public sealed record WorkflowRequest
{
    /// <summary>The consumer's own solution (a resource file), or null with <see cref="SolutionOffer"/>.</summary>
    public ResourceFile? Solution { get; init; }
    public (long OfferId, long? SlotId)? SolutionOffer { get; init; }
    /// <summary>The hash the consumer declares: the resource file's, or a solution offer's as its owner published it.</summary>
    public required string SolutionHash { get; init; }
    public IReadOnlyList<WorkflowInput> Data { get; init; } = [];
    public required long TeeOfferId { get; init; }
    public long? TeeSlotId { get; init; }
    public TokenAmount? Deposit { get; init; }
    public int? MinRentMinutes { get; init; }
}

/// <summary>A workflow resolved against the ledger, before anything is created: the TEE slot, the inputs, the deposit.</summary>
public sealed record WorkflowPlan(
    WorkflowRequest Request,
    OfferView Tee,
    long TeeSlotId,
    SlotUsage? TeeUsage,
    bool SlotChosen,
    IReadOnlyList<DataInput> Inputs,
    DataInput? SolutionInput,
    IReadOnlyList<(int Position, string Path, ResourceFile Resource)> Files,
    IReadOnlyList<SlotUsage?> Usages,
    TokenAmount? Deposit)
{
    /// <summary>Every slot of the order (TEE first), with its terms.</summary>
    public IReadOnlyList<SlotUsage?> AllUsages => [TeeUsage, .. Usages];

    /// <summary>The least the order costs (each slot's fixed price, or its hourly price for its minimum rent).</summary>
    public TokenAmount MinimumCost => SlotPricing.Cost(AllUsages, 0);
}

/// <summary>
/// `workflows create` without the console: resolve the offers and slots (<see cref="PlanAsync"/>), then seal and
/// send (<see cref="CreateAsync"/>). spctl and the UI both call these.
/// </summary>
public static class Workflows
{
    /// <summary>Reads a resource file (`files upload` writes them); a UserError names the file.</summary>
    public static ResourceFile ReadResourceFile(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: no such resource file");
        try { return SpJson.Deserialize<ResourceFile>(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new UserError($"{path}: not a resource file ({e.Message.Split(" Path:")[0]})"); }
    }

    /// <param name="note">Told the line `workflows create` prints when it chose the TEE slot.</param>
    public static async Task<WorkflowPlan> PlanAsync(ClientContext ctx, WorkflowRequest r, Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(r);
        var teeOfferId = r.TeeOfferId;
        var tee = await ctx.Node.GetOfferAsync(teeOfferId) ?? throw new UserError($"TEE offer {teeOfferId} does not exist", "list them with `spctl offers list tee`");
        if (tee.Offer.Type != OfferType.TeeOffer) throw new UserError($"offer {teeOfferId} is a {tee.Offer.Type} offer, not a TEE offer");
        if (tee.Offer.TeeCertificate is null) throw new UserError($"TEE offer {teeOfferId} has no certificate yet (its loader has not started)");
        // Each data offer becomes a sub-order, each file a sealed input of the order itself; the TEE mounts them all
        // as input-0001, input-0002, ... in the order given (a file's place is its position, the sub-orders fill the rest).
        var inputs = new List<DataInput>();
        var dataSlots = new List<SlotResources?>();
        var usages = new List<SlotUsage?>();
        var files = new List<(int Position, string Path, ResourceFile Resource)>();
        for (var position = 0; position < r.Data.Count; position++)
        {
            if (r.Data[position] is { File: { } file, Resource: { } resource })
            {
                files.Add((position, file, resource));
                continue;
            }
            var offerId = r.Data[position].OfferId!.Value;
            var slotId = r.Data[position].SlotId;
            var offer = await ctx.Node.GetOfferAsync(offerId) ?? throw new UserError($"data offer {offerId} does not exist");
            if (slotId is { } s && !offer.Offer.SlotIds.Contains(s)) throw new UserError($"slot {s} does not belong to offer {offerId}");
            var slot = slotId ?? (offer.Offer.SlotIds.Count > 0 ? offer.Offer.SlotIds[0] : throw new UserError($"offer {offerId} has no slot"));
            dataSlots.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Info);
            usages.Add(offer.Slots.FirstOrDefault(x => x.Id == slot)?.Info.Usage);
            inputs.Add(new DataInput(offerId, slot));
        }
        DataInput? solutionInput = null;
        if (r.SolutionOffer is { } named)
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
        // A slot the offer does not have is the ledger's to refuse, as from the command line.
        var teeSlotId = r.TeeSlotId;
        if (teeSlotId is null)
        {
            var chosen = ChooseTeeSlot(tee, SlotFit.Needs((r.Solution?.Size ?? 0) + files.Sum(f => f.Resource.Size), dataSlots));
            teeSlotId = chosen.Id;
            note?.Invoke($"TEE slot {chosen.Id} of offer {teeOfferId} was chosen (the cheapest that fits): {SlotPricing.Describe(chosen.Info.Usage)}");
        }
        var teeUsage = tee.Slots.FirstOrDefault(x => x.Id == teeSlotId)?.Info.Usage;
        var deposit = r.Deposit;
        if (r.MinRentMinutes is { } minutes)
            deposit = DepositFor(minutes, deposit, usages.Prepend(teeUsage).ToList());
        return new WorkflowPlan(r, tee, teeSlotId.Value, teeUsage, r.TeeSlotId is null, inputs, solutionInput, files, usages, deposit);
    }

    /// <summary>Seals the solution (and the consumer's own files) to the TEE, after its chain and evidence validate,
    /// and sends workflow.create; returns the TEE order id and the deposit the ledger locked.</summary>
    public static async Task<(long OrderId, TokenAmount? Locked)> CreateAsync(ClientContext ctx, WorkflowPlan plan)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(plan);
        var r = plan.Request;
        var teeOfferId = r.TeeOfferId;
        var validated = ctx.Trust.ValidateTee(plan.Tee.Offer.TeeCertificate!, ctx.Time.GetUtcNow());
        var consumer = ctx.Account.Address.Lower;
        var resultKey = Convert.ToBase64String(ctx.ResultKey.PublicKey);
        var solution = r.Solution;
        // A solution offer's image is sealed by its owner at `orders complete`: the order carries only its declared hash.
        var sealedSolution = solution is null ? "" : Sealed.Seal(validated.EncryptionPublicKey, Sealed.SolutionInfo, Sealed.SolutionAad(teeOfferId, consumer, resultKey), solution);
        // Null, never an empty list, without files: the entry then has no consumerData field, as before it existed.
        var consumerData = plan.Files.Count == 0 ? null : plan.Files.Select(f =>
        {
            var hash = f.Resource.Hash.Value.ToLowerInvariant();
            return new ConsumerInput(f.Position, hash, f.Resource.Size, Sealed.Seal(validated.EncryptionPublicKey, Sealed.DataInfo,
                Sealed.ConsumerDataAad(teeOfferId, consumer, resultKey, r.SolutionHash, f.Position, hash), f.Resource));
        }).ToList();
        var payload = new WorkflowCreate(
            teeOfferId, plan.TeeSlotId,
            new SolutionInput(r.SolutionHash, solution?.Size ?? 0, sealedSolution),
            [.. plan.Inputs],
            resultKey,
            plan.Deposit,
            consumerData,
            plan.SolutionInput);
        var result = await ctx.Node.SendAsync(ctx.Account, ctx.Network, payload);
        var orderId = result.Ids.OrderId?.Value ?? throw new UserError("the node did not return an order id");
        return (orderId, (await ctx.Node.GetOrderAsync(orderId))?.Order.Deposit);
    }

    /// <summary>
    /// The cheapest slot (minimum cost, then lowest id) of the TEE offer that holds what the workflow needs: the
    /// solution's size plus the data slots' declared resources (CPU and GPU cores, RAM, VRAM, disk; see
    /// <see cref="SlotFit"/>); the error says, slot by slot, what is short when none fits.
    /// </summary>
    public static Slot ChooseTeeSlot(OfferView tee, SlotResources needed)
    {
        ArgumentNullException.ThrowIfNull(tee);
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
}
