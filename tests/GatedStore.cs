using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Testing;

/// <summary>
/// A real ledger store whose writes wait for <see cref="Open"/>: the sequencer stays busy with its first batch meanwhile,
/// so a test holds it without timing. Linked into the test projects that need it.
/// </summary>
internal sealed class GatedStore(ILedgerStore inner) : ILedgerStore
{
    private readonly ManualResetEventSlim _gate = new(false);
    public int Waiting;
    public void Open() => _gate.Set();
    public long Count => inner.Count;
    public IEnumerable<LedgerEntry> ReadAll() => inner.ReadAll();
    public LedgerEntry? Last() => inner.Last();
    public void Append(LedgerEntry entry) => AppendBatch([entry]);
    public void AppendBatch(IReadOnlyList<LedgerEntry> entries)
    {
        Interlocked.Increment(ref Waiting);
        _gate.Wait();
        inner.AppendBatch(entries);
    }
    public void Dispose()
    {
        inner.Dispose();
        _gate.Dispose();
    }
}
