using Sp.Core.Model;
using Sp.Ledger.State;

namespace Sp.Ledger.Tests;

/// <summary>Which TEE slot holds a workflow: the data slots' resources added up, plus the solution on disk.</summary>
public sealed class SlotFitTests
{
    private static Slot TeeSlot(long id, long cores, long ram, long disk, string price, long gpus = 0) => new()
    {
        Id = id,
        OfferId = 1,
        Info = new SlotInfo
        {
            Info = new SlotResources { CpuCores = cores, Ram = ram, DiskUsage = disk, GpuCores = gpus },
            Usage = new SlotUsage { Price = price, PriceType = SlotPricing.Fixed },
            Option = new SlotOption(),
        },
    };

    [Fact]
    public void Needs_add_up_the_data_slots_and_the_solution_on_disk()
    {
        var needs = SlotFit.Needs(1000, [new SlotResources { CpuCores = 2, Ram = 1 << 20, DiskUsage = 500 }, null, new SlotResources { CpuCores = 1, GpuCores = 1, DiskUsage = 10 }]);
        Assert.Equal(new SlotResources { CpuCores = 3, GpuCores = 1, Ram = 1 << 20, DiskUsage = 1510 }, needs);
    }

    [Fact]
    public void A_slot_fits_when_it_offers_at_least_each_needed_resource()
    {
        var needed = new SlotResources { CpuCores = 2, Ram = 2048, DiskUsage = 100 };
        Assert.Null(SlotFit.Shortfall(new SlotResources { CpuCores = 2, Ram = 4096, DiskUsage = 100, GpuCores = 0 }, needed));
        Assert.Equal("cpuCores 2 needed, 1 offered, ram 2048 bytes needed, 1024 bytes offered",
            SlotFit.Shortfall(new SlotResources { CpuCores = 1, Ram = 1024, DiskUsage = 100 }, needed));
        // What nobody needs is not compared: a slot with no GPU holds a workflow that needs none.
        Assert.Null(SlotFit.Shortfall(new SlotResources { DiskUsage = 1 }, new SlotResources()));
        Assert.NotNull(SlotFit.Shortfall(new SlotResources { CpuCores = 8 }, new SlotResources { GpuCores = 1 }));
    }

    [Fact]
    public void The_cheapest_fitting_slot_is_chosen_and_a_misfit_says_what_each_slot_lacks()
    {
        Slot[] slots = [TeeSlot(1, 1, 1024, 1 << 20, "1"), TeeSlot(2, 4, 8192, 1 << 30, "5"), TeeSlot(3, 8, 8192, 1 << 30, "3"), TeeSlot(4, 8, 8192, 1 << 30, "3")];
        Assert.Equal(1, SlotFit.Cheapest(slots, new SlotResources { DiskUsage = 1000 }).Chosen!.Id);     // the cheapest holds it
        Assert.Equal(3, SlotFit.Cheapest(slots, new SlotResources { CpuCores = 2 }).Chosen!.Id);         // 3 and 4 cost the same: lowest id
        var (none, why) = SlotFit.Cheapest(slots, new SlotResources { GpuCores = 1 });
        Assert.Null(none);
        Assert.Equal("slot 1: gpuCores 1 needed, 0 offered; slot 2: gpuCores 1 needed, 0 offered; slot 3: gpuCores 1 needed, 0 offered; slot 4: gpuCores 1 needed, 0 offered", why);
        Assert.Equal("it has no slot", SlotFit.Cheapest<Slot>([], new SlotResources()).WhyNone);
    }
}
