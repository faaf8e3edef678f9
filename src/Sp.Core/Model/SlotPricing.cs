using System.Numerics;

namespace Sp.Core.Model;

/// <summary>
/// The price terms of a slot (slot-info.json's usage): <c>price</c> is a whole number of base units
/// (1 token = 10^18), <c>priceType</c> "0" per hour or "1" fixed, <c>minTimeMinutes</c> the minimum rent.
/// <list type="bullet">
/// <item>minimum cost (what a workflow must lock): fixed: price; per hour: price x minTimeMinutes / 60;</item>
/// <item>cost of a run that lasted T ms: fixed: price; per hour: price x max(T, minimum rent) / 1 hour.</item>
/// </list>
/// Divisions round up to the next base unit (the provider is never paid less than the rate).
/// </summary>
public static class SlotPricing
{
    public const long MillisPerMinute = 60_000;
    public const long MillisPerHour = 3_600_000;
    public const string PerHour = "0";
    public const string Fixed = "1";

    /// <summary>Checks price and priceType; null when valid, else what is wrong (naming the field).</summary>
    public static string? Validate(SlotUsage? usage)
    {
        if (usage is null) return "slot info: usage is missing";
        if (!TokenAmount.TryParseUnits(usage.Price, out _))
            return $"slot info: usage.price must be a whole number of base units (1 token = 10^{TokenAmount.Decimals}), got '{usage.Price}'";
        if (usage.PriceType is not (PerHour or Fixed))
            return $"slot info: usage.priceType must be \"0\" (per hour) or \"1\" (fixed), got '{usage.PriceType}'";
        if (usage.MinTimeMinutes < 0) return $"slot info: usage.minTimeMinutes must be >= 0, got {usage.MinTimeMinutes}";
        if (usage.MaxTimeMinutes < 0) return $"slot info: usage.maxTimeMinutes must be >= 0, got {usage.MaxTimeMinutes}";
        return null;
    }

    /// <summary>The price; zero for terms that do not validate (they never enter the ledger).</summary>
    public static TokenAmount Price(SlotUsage? usage) =>
        usage is not null && TokenAmount.TryParseUnits(usage.Price, out var p) ? p : TokenAmount.Zero;

    public static bool IsPerHour(SlotUsage? usage) => usage?.PriceType == PerHour;

    /// <summary>What a workflow locks for this slot: the fixed price, or the hourly price for the minimum rent.</summary>
    public static TokenAmount MinimumCost(SlotUsage? usage)
    {
        if (usage is null) return TokenAmount.Zero;
        return IsPerHour(usage) ? PerHourCost(Price(usage), Math.Max(0, usage.MinTimeMinutes) * MillisPerMinute) : Price(usage);
    }

    /// <summary>What a run of <paramref name="usedMillis"/> costs (never less than the minimum rent).</summary>
    public static TokenAmount Cost(SlotUsage? usage, long usedMillis)
    {
        if (usage is null) return TokenAmount.Zero;
        if (!IsPerHour(usage)) return Price(usage);
        var billed = Math.Max(Math.Max(0, usedMillis), Math.Max(0, usage.MinTimeMinutes) * MillisPerMinute);
        return PerHourCost(Price(usage), billed);
    }

    private static TokenAmount PerHourCost(TokenAmount hourly, long millis)
    {
        var q = BigInteger.DivRem(hourly.Units * millis, MillisPerHour, out var rem);
        return TokenAmount.FromUnits(rem.IsZero ? q : q + 1);
    }

    /// <summary>What a run of <paramref name="usedMillis"/> costs over all the slots of an order (TEE and data).</summary>
    public static TokenAmount Cost(IEnumerable<SlotUsage?> usages, long usedMillis) =>
        TokenAmount.Sum(usages.Select(u => Cost(u, usedMillis)));

    /// <summary>
    /// How long a run may last before its cost over <paramref name="usages"/> (the order's TEE slot and data slots)
    /// exceeds <paramref name="deposit"/>: the largest T in milliseconds with <see cref="Cost(IEnumerable{SlotUsage}, long)"/>
    /// of T at most the deposit; 0 when not even the minimum is covered; null when no slot is priced per hour
    /// (the cost never grows with time, so the deposit never runs out).
    /// </summary>
    public static long? FundedMillis(IReadOnlyCollection<SlotUsage?> usages, TokenAmount deposit)
    {
        ArgumentNullException.ThrowIfNull(usages);
        var hourly = TokenAmount.Sum(usages.Where(IsPerHour).Select(Price));
        if (hourly.IsZero) return null;
        if (Cost(usages, 0) > deposit) return 0;
        // Cost is non-decreasing in time; beyond every minimum rent it grows by `hourly` an hour. Binary search.
        var longestMinimum = usages.Where(IsPerHour).Max(u => Math.Max(0, u!.MinTimeMinutes) * MillisPerMinute);
        var byRate = deposit.Units * MillisPerHour / hourly.Units + 1;
        long lo = 0, hi = (long)BigInteger.Min(long.MaxValue / 2, byRate + longestMinimum);
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (Cost(usages, mid) <= deposit) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>"0.5 per hour, minimum 15000 min" or "2 fixed".</summary>
    public static string Describe(SlotUsage? usage) =>
        usage is null ? "free"
        : IsPerHour(usage) ? $"{Price(usage)} per hour, minimum {usage.MinTimeMinutes} min"
        : $"{Price(usage)} fixed";
}
