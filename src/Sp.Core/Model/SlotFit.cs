using System.Globalization;

namespace Sp.Core.Model;

/// <summary>
/// Whether a TEE slot holds what a workflow needs: the data slots' declared resources added up (CPU cores, GPU
/// cores, RAM, VRAM, disk), plus the solution archive's size on disk. A TEE slot fits when it offers at least each
/// resource that is needed (a resource nobody needs is not compared). Pure: used by <c>workflow.create</c> when no
/// TEE slot is named (on the ledger's state records), and by <c>spctl workflows create</c> to print its choice (on the
/// node's answers, Sp.Api's DTOs).
/// </summary>
public static class SlotFit
{
    /// <summary>What the workflow needs of its TEE slot.</summary>
    public static SlotResources Needs(long solutionBytes, IEnumerable<SlotResources?> dataSlots)
    {
        ArgumentNullException.ThrowIfNull(dataSlots);
        var slots = dataSlots.OfType<SlotResources>().ToList();
        return new SlotResources
        {
            CpuCores = slots.Sum(s => Math.Max(0, s.CpuCores)),
            GpuCores = slots.Sum(s => Math.Max(0, s.GpuCores)),
            Ram = slots.Sum(s => Math.Max(0, s.Ram)),
            Vram = slots.Sum(s => Math.Max(0, s.Vram)),
            DiskUsage = Math.Max(0, solutionBytes) + slots.Sum(s => Math.Max(0, s.DiskUsage)),
        };
    }

    /// <summary>Null when <paramref name="offered"/> holds <paramref name="needed"/>; else what is short, e.g.
    /// "ram 2147483648 bytes needed, 1073741824 offered".</summary>
    public static string? Shortfall(SlotResources offered, SlotResources needed)
    {
        ArgumentNullException.ThrowIfNull(offered);
        ArgumentNullException.ThrowIfNull(needed);
        var shorts = new List<string>();
        void Check(string what, long need, long have, string unit)
        {
            if (need > 0 && have < need) shorts.Add($"{what} {need.ToString(CultureInfo.InvariantCulture)}{unit} needed, {have.ToString(CultureInfo.InvariantCulture)}{unit} offered");
        }
        Check("cpuCores", needed.CpuCores, offered.CpuCores, "");
        Check("gpuCores", needed.GpuCores, offered.GpuCores, "");
        Check("ram", needed.Ram, offered.Ram, " bytes");
        Check("vram", needed.Vram, offered.Vram, " bytes");
        Check("diskUsage", needed.DiskUsage, offered.DiskUsage, " bytes");
        return shorts.Count == 0 ? null : string.Join(", ", shorts);
    }

    /// <summary>The cheapest slot that fits (lowest minimum cost, then lowest id), or null with why each one does not.</summary>
    public static (TSlot? Chosen, string WhyNone) Cheapest<TSlot>(IEnumerable<TSlot> slots, SlotResources needed) where TSlot : class, IOfferedSlot
    {
        ArgumentNullException.ThrowIfNull(slots);
        var all = slots.ToList();
        var chosen = all.Where(s => Shortfall(s.Info.Info, needed) is null)
            .OrderBy(s => SlotPricing.MinimumCost(s.Info.Usage)).ThenBy(s => s.Id).FirstOrDefault();
        var why = all.Count == 0 ? "it has no slot" : string.Join("; ", all.Select(s => $"slot {s.Id}: {Shortfall(s.Info.Info, needed)}"));
        return (chosen, why);
    }
}

/// <summary>A slot as <see cref="SlotFit.Cheapest"/> reads it: its id and its slot-info.json. Both the ledger's state
/// record and the node's answer (Sp.Api) are one.</summary>
public interface IOfferedSlot
{
    long Id { get; }
    SlotInfo Info { get; }
}
