using System.Text.Json.Nodes;

namespace Sp.Core.Model;

// offer-info.json and slot-info.json: exactly the fields of the guide (section 7). Numbers that the original
// writes as strings ("group": "0") stay strings here so the files round-trip unchanged.

public sealed record OfferInfo
{
    public required string Name { get; init; }
    public string Group { get; init; } = "0";
    public string OfferType { get; init; } = "3";
    public bool Cancelable { get; init; }
    public string Description { get; init; } = "";
    public OfferRestrictions Restrictions { get; init; } = new();
    public string Input { get; init; } = "";
    public string Output { get; init; } = "";
    public string AllowedArgs { get; init; } = "";
    public List<string> AllowedAccounts { get; init; } = new();
    public string ArgsPublicKey { get; init; } = "";
    public string ResultResource { get; init; } = "";
    public string SubType { get; init; } = "0";
    public OfferVersion? Version { get; init; }
}

public sealed record OfferRestrictions
{
    public List<string> Offers { get; init; } = new();
    public List<string> Types { get; init; } = new();
}

public sealed record OfferVersion
{
    public long Version { get; init; }
    public string Status { get; init; } = "0";
    public JsonObject? Info { get; init; }
}

public sealed record SlotInfo
{
    public required SlotResources Info { get; init; }
    public required SlotUsage Usage { get; init; }
    public required SlotOption Option { get; init; }
}

public sealed record SlotResources
{
    public long CpuCores { get; init; }
    public long GpuCores { get; init; }
    public long DiskUsage { get; init; }
    public long Ram { get; init; }
    public long Vram { get; init; }
}

public sealed record SlotUsage
{
    public long MaxTimeMinutes { get; init; }
    public long MinTimeMinutes { get; init; }
    public string Price { get; init; } = "0";
    public string PriceType { get; init; } = "1";
}

public sealed record SlotOption
{
    public long Bandwidth { get; init; }
    public long ExternalPort { get; init; }
    public long Traffic { get; init; }
}
