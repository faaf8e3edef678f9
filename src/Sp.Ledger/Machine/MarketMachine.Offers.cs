using System.Globalization;
using Sp.Core.Ids;
using Sp.Core.Model;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Machine;

// Providers, offers, slots and TEE certificates.
public static partial class MarketMachine
{
    /// <summary>Largest offer group value ("0" Input, "1" Processing, "2" Output).</summary>
    private const int MaxOfferGroup = (int)OfferGroup.Output;

    private static Step ProviderCreate(Ctx c, ProviderCreate p)
    {
        if (c.State.Providers.ContainsKey(c.From))
            return Refuse($"provider {c.From} already exists (use provider.update to change its name or description)");
        if (IsBlank(p.Name)) return Refuse("provider name: must not be empty");
        return Accept(TxOutcome.Ok(), () => c.State.Providers[c.From] = new Provider
        {
            Address = c.From,
            Name = p.Name,
            Description = p.Description ?? "",
            Created = c.Time,
        });
    }

    private static Step ProviderUpdate(Ctx c, ProviderUpdate p)
    {
        if (!c.State.Providers.TryGetValue(c.From, out var provider))
            return Refuse($"account {c.From} is not a provider: create the provider first (provider.create)");
        if (IsBlank(p.Name)) return Refuse("provider name: must not be empty");
        return Accept(TxOutcome.Ok(), () =>
        {
            provider.Name = p.Name;
            provider.Description = p.Description ?? "";
        });
    }

    private static Step OfferCreate(Ctx c, OfferCreate p)
    {
        if (!c.State.Providers.ContainsKey(c.From))
            return Refuse($"account {c.From} is not a provider: create a provider first: provider-tools register ... (or spctl providers create)");
        if (!Enum.IsDefined(p.OfferType)) return Refuse($"offerType: {(int)p.OfferType} is not an offer type");
        if (ValidateOfferInfo(p.OfferType, p.Info) is { } infoError) return Refuse(infoError);
        if (p.OfferType == OfferType.TeeOffer)
        {
            // A TEE offer may be registered before its loader runs (provider-tools register tee): the loader then
            // publishes its certificate with tee.certificate, and no workflow can use the offer until it has.
            if (p.TeeCertificate is not null && IsBlank(p.TeeCertificate))
                return Refuse("teeCertificate: must not be empty (leave it out until the loader publishes its chain)");
        }
        else if (p.TeeCertificate is not null)
        {
            return Refuse($"teeCertificate: only a TeeOffer carries one, this offer is {p.OfferType}");
        }

        string? teeAccount = null;
        if (p.TeeCertificate is not null && ReadTeeAccount(c, p.TeeCertificate, out teeAccount) is { } refusal) return refusal;

        var id = c.State.NextOfferId;
        return Accept(TxOutcome.Ok(new CreatedIds { OfferId = new OfferId(id) }), () =>
        {
            c.State.Offers[id] = new Offer
            {
                Id = id,
                Type = p.OfferType,
                Owner = c.From,
                Info = p.Info,
                TeeCertificate = p.TeeCertificate,
                TeeAccount = teeAccount,
                Enabled = true,
                Created = c.Time,
            };
            c.State.NextOfferId = id + 1;
        });
    }

    /// <summary>Checks offer-info.json's fields that the ledger relies on; null when valid.</summary>
    private static string? ValidateOfferInfo(OfferType type, OfferInfo? info)
    {
        if (info is null) return "offer info: missing";
        if (IsBlank(info.Name)) return "offer info: name must not be empty";
        var expectedType = ((int)type).ToString(CultureInfo.InvariantCulture);
        if (info.OfferType != expectedType)
            return $"offer info: offerType is \"{info.OfferType}\" but the offer is created as {type}: expected \"{expectedType}\"";
        if (info.Group is not { Length: 1 } g || g[0] < '0' || g[0] > '0' + MaxOfferGroup)
            return $"offer info: group must be \"0\" (Input), \"1\" (Processing) or \"2\" (Output), got \"{info.Group}\"";
        var accounts = info.AllowedAccounts ?? [];
        for (var i = 0; i < accounts.Count; i++)
            if (!Sp.Crypto.Accounts.Address.TryParse(accounts[i], out _))
                return $"offer info: allowedAccounts[{i}] '{accounts[i]}' is not an account address (expected 0x followed by 40 hex digits)";
        var restrictions = info.Restrictions ?? new OfferRestrictions();
        var offers = restrictions.Offers ?? [];
        for (var i = 0; i < offers.Count; i++)
            if (ParseId(offers[i]) is null)
                return $"offer info: restrictions.offers[{i}] '{offers[i]}' is not an offer id (a positive decimal integer)";
        var types = restrictions.Types ?? [];
        for (var i = 0; i < types.Count; i++)
            if (ParseOfferType(types[i]) is null)
                return $"offer info: restrictions.types[{i}] '{types[i]}' is not an offer type (\"0\" TeeOffer, \"1\" Storage, \"2\" Solution, \"3\" Data)";
        return null;
    }

    /// <summary>A positive decimal id, or null.</summary>
    public static long? ParseId(string? s) => LedgerId.TryParseValue(s);

    /// <summary>An offer type written as in offer-info.json ("0".."3"), or null.</summary>
    public static OfferType? ParseOfferType(string? s) =>
        s is { Length: 1 } && s[0] >= '0' && s[0] <= '0' + (int)OfferType.Data ? (OfferType)(s[0] - '0') : null;

    private static Step OfferSetEnabled(Ctx c, OfferSetEnabled p)
    {
        if (!c.State.Offers.TryGetValue(p.OfferId, out var offer)) return Refuse($"offer {p.OfferId} does not exist");
        if (offer.Owner != c.From)
            return Refuse($"only the owner of offer {offer.Id} ({offer.Owner}) can {(p.Enabled ? "enable" : "disable")} it; sender is {c.From}");
        return Accept(TxOutcome.Ok(), () => offer.Enabled = p.Enabled);
    }

    private static Step SlotAdd(Ctx c, SlotAdd p)
    {
        if (!c.State.Offers.TryGetValue(p.OfferId, out var offer)) return Refuse($"offer {p.OfferId} does not exist");
        if (offer.Owner != c.From)
            return Refuse($"only the owner of offer {offer.Id} ({offer.Owner}) can add a slot to it; sender is {c.From}");
        if (p.Info is null) return Refuse("slot info: missing");
        if (ValidateSlotInfo(p.Info) is { } slotError) return Refuse(slotError);

        var id = c.State.NextSlotId;
        return Accept(TxOutcome.Ok(new CreatedIds { SlotId = new SlotId(id) }), () =>
        {
            c.State.Slots[id] = new Slot { Id = id, OfferId = offer.Id, Info = p.Info };
            offer.SlotIds.Add(id);
            c.State.NextSlotId = id + 1;
        });
    }

    private static string? ValidateSlotInfo(SlotInfo? info)
    {
        if (info is null) return "slot info: missing";
        if (info.Info is null || info.Usage is null || info.Option is null)
            return "slot info: needs the objects info, usage and option";
        var r = info.Info;
        if (r.CpuCores < 0 || r.GpuCores < 0 || r.DiskUsage < 0 || r.Ram < 0 || r.Vram < 0)
            return $"slot info: info.cpuCores, gpuCores, diskUsage, ram and vram must be >= 0, got {r.CpuCores}, {r.GpuCores}, {r.DiskUsage}, {r.Ram}, {r.Vram}";
        return SlotPricing.Validate(info.Usage);
    }

    /// <summary>Finds a slot of an offer owned by the sender.</summary>
    private static bool TryOwnSlot(Ctx c, long offerId, long slotId, string action, out Offer offer, out Step refusal)
    {
        refusal = default;
        if (!c.State.Offers.TryGetValue(offerId, out offer!))
        {
            refusal = Refuse($"offer {offerId} does not exist");
            return false;
        }
        if (offer.Owner != c.From)
        {
            refusal = Refuse($"only the owner of offer {offer.Id} ({offer.Owner}) can {action} its slots; sender is {c.From}");
            return false;
        }
        if (!offer.SlotIds.Contains(slotId))
        {
            refusal = Refuse($"slot {slotId} is not a slot of offer {offer.Id} (its slots: {(offer.SlotIds.Count == 0 ? "none" : string.Join(",", offer.SlotIds))})");
            return false;
        }
        return true;
    }

    private static Step SlotUpdate(Ctx c, SlotUpdate p)
    {
        if (!TryOwnSlot(c, p.OfferId, p.SlotId, "update", out _, out var refusal)) return refusal;
        if (ValidateSlotInfo(p.Info) is { } slotError) return Refuse(slotError);
        return Accept(TxOutcome.Ok(new CreatedIds { SlotId = new SlotId(p.SlotId) }), () =>
            c.State.Slots[p.SlotId] = c.State.Slots[p.SlotId] with { Info = p.Info });
    }

    private static Step SlotDelete(Ctx c, SlotDelete p)
    {
        if (!TryOwnSlot(c, p.OfferId, p.SlotId, "delete", out var offer, out var refusal)) return refusal;
        return Accept(TxOutcome.Ok(new CreatedIds { SlotId = new SlotId(p.SlotId) }), () =>
        {
            offer.SlotIds.Remove(p.SlotId);
            c.State.Slots.Remove(p.SlotId);
        });
    }

    private static Step TeeCertificate(Ctx c, TeeCertificateUpdate p)
    {
        if (!c.State.Offers.TryGetValue(p.OfferId, out var offer)) return Refuse($"offer {p.OfferId} does not exist");
        if (offer.Type != OfferType.TeeOffer)
            return Refuse($"offer {offer.Id} is a {offer.Type} offer: only a TeeOffer has a TEE certificate");
        if (offer.Owner != c.From)
            return Refuse($"only the owner of offer {offer.Id} ({offer.Owner}) can publish its TEE certificate; sender is {c.From}");
        if (IsBlank(p.TeeCertificate)) return Refuse("teeCertificate: must not be empty");
        if (ReadTeeAccount(c, p.TeeCertificate, out var teeAccount) is { } refusal) return refusal;
        return Accept(TxOutcome.Ok(), () =>
        {
            offer.TeeCertificate = p.TeeCertificate;
            offer.TeeAccount = teeAccount;
        });
    }

    /// <summary>The account a TEE certificate chain names, checked against the network's root at the entry's time.</summary>
    private static Step? ReadTeeAccount(Ctx c, string chainPem, out string? account)
    {
        var reading = c.State.TeeCertificates(chainPem, c.Time);
        account = reading.Account;
        if (reading.Refusal is { } why || !IsCanonicalAddress(reading.Account))
            return Refuse($"teeCertificate: refused: {reading.Refusal ?? $"it names no TEE account ('{reading.Account}')"}");
        return null;
    }
}
