namespace Sp.Tee.Loader;

/// <summary>
/// Which waiting order may start: at most <see cref="Capacity"/> at once, and only while the CPU cores and memory
/// of the running orders' slots, with the next one's, stay within the machine's. First come, first served: the
/// caller offers orders oldest first and stops at the first that must wait, so a small late order never overtakes
/// a large early one. An order alone on the loader always starts, whatever its slot asks (it gets what its
/// container limits say). Pure bookkeeping, no I/O; not thread-safe (the loader's poll loop owns it).
/// </summary>
public sealed class OrderAdmission(int capacity, long totalCores, long totalMemoryBytes)
{
    private readonly Dictionary<long, (long Cores, long Memory)> _running = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "capacity must be > 0");
    public int Running => _running.Count;

    /// <summary>Admits the order (and counts its resources) when it fits; false: it waits.</summary>
    public bool TryAdmit(long orderId, long cores, long memoryBytes)
    {
        if (_running.ContainsKey(orderId)) return true;
        if (_running.Count > 0)
        {
            if (_running.Count >= Capacity) return false;
            if (totalCores > 0 && _running.Values.Sum(r => r.Cores) + cores > totalCores) return false;
            if (totalMemoryBytes > 0 && _running.Values.Sum(r => r.Memory) + memoryBytes > totalMemoryBytes) return false;
        }
        _running[orderId] = (Math.Max(0, cores), Math.Max(0, memoryBytes));
        return true;
    }

    /// <summary>The order ended (or was never run): its resources are free again.</summary>
    public void Release(long orderId) => _running.Remove(orderId);
}
