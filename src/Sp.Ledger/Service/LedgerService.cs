using System.Security.Cryptography;
using System.Text.Json;
using Sp.Core;
using Sp.Core.Json;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.State;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Service;

/// <summary>
/// The sequencer: verifies signed transactions, numbers them, persists them and folds them into the
/// marketplace state. One lock serialises submissions and queries, so every query sees a state that equals the
/// replay of exactly the entries on disk.
///
/// Start-up replays the whole store: each entry's hash, the prev-hash chain, the signature and the state
/// machine's acceptance are checked again; the first entry that fails throws <see cref="LedgerCorruptedException"/>.
/// </summary>
public sealed class LedgerService : IDisposable
{
    private readonly ILedgerStore _store;
    private readonly Func<long> _clockMillis;
    private readonly Lock _lock = new();
    private readonly MarketState _state;
    private long _lastTime;
    private bool _disposed;

    /// <param name="store">The entries; the service owns it and disposes it.</param>
    /// <param name="network">Network name; transactions for another network are refused.</param>
    /// <param name="clockMillis">Unix time in milliseconds, read once per accepted transaction.</param>
    public LedgerService(ILedgerStore store, string network, Func<long> clockMillis)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(network);
        ArgumentNullException.ThrowIfNull(clockMillis);
        _store = store;
        _clockMillis = clockMillis;
        _state = new MarketState { Network = network };
        Replay();
    }

    /// <summary>Raised after an entry is on disk and applied, under the service's lock, in Seq order.
    /// Handlers must be quick and must not call back into <see cref="Submit"/>.</summary>
    public event Action<LedgerEntry, TxOutcome>? Committed;

    public string Network => _state.Network;

    public long Height
    {
        get { lock (_lock) return _state.Height; }
    }

    /// <summary>
    /// The live state. Read it only inside <see cref="Read{T}"/> (or on a thread that otherwise excludes
    /// <see cref="Submit"/>): it changes under the lock.
    /// </summary>
    public MarketState State => _state;

    /// <summary>Runs a query against the state under the lock. Do not keep references to mutable records
    /// beyond the query; copy what you need.</summary>
    public T Read<T>(Func<MarketState, T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            ThrowIfDisposed();
            return query(_state);
        }
    }

    /// <summary>
    /// Verifies, sequences, persists and applies a transaction. Returns once the entry is on disk and in the
    /// state (accepted; Seq and Hash set), or with the reason it was refused (nothing stored, nothing changed).
    /// Throws <see cref="LedgerStorageException"/> if the store fails: the state is then unchanged.
    /// </summary>
    public TxOutcome Submit(SignedTransaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (tx.Tx is null) return TxOutcome.Refused("the signed transaction has no transaction body");
        // Signature recovery is the costly part and needs no state: do it outside the lock.
        if (CheckSignature(tx) is { } sigError) return TxOutcome.Refused(sigError);

        lock (_lock)
        {
            ThrowIfDisposed();
            // The clock never goes backwards on the ledger, whatever the host's clock does.
            var time = Math.Max(_clockMillis(), _lastTime);
            var entry = new LedgerEntry
            {
                Seq = _state.Height + 1,
                Time = time,
                PrevHash = _state.LastHash,
                Signed = tx,
            }.WithHash();

            var prepared = MarketMachine.Prepare(_state, entry);
            if (!prepared.Accepted) return prepared.Outcome;
            try
            {
                _store.Append(entry);
            }
            catch (Exception e) when (e is not ObjectDisposedException)
            {
                throw new LedgerStorageException(entry.Seq, e);
            }
            var outcome = prepared.Commit() with { Seq = entry.Seq, Hash = entry.Hash };
            _lastTime = time;
            Committed?.Invoke(entry, outcome);
            return outcome;
        }
    }

    /// <summary>
    /// SHA-256 (lowercase hex) over the RFC 8785 canonical JSON of the whole state: two nodes that replayed the
    /// same entries report the same digest.
    /// </summary>
    public string StateDigest()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return ComputeDigest(_state);
        }
    }

    /// <summary>The digest of any state (see <see cref="StateDigest"/>); the caller excludes concurrent changes.</summary>
    public static string ComputeDigest(MarketState state) =>
        Hex.Lower(SHA256.HashData(Jcs.Canonicalize(JsonSerializer.SerializeToNode(state, SpJson.Options))));

    /// <summary>Null when the signature recovers to <see cref="Transaction.From"/>, else the reason.</summary>
    public static string? CheckSignature(SignedTransaction tx)
    {
        byte[] sig;
        try
        {
            sig = Hex.Parse(tx.Signature ?? "", AccountKey.SignatureSize, "signature");
        }
        catch (FormatException e)
        {
            return $"bad signature: {e.Message}";
        }
        Address? signer;
        try
        {
            signer = AccountKey.Recover(tx.Tx.SigningDigest(), sig);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return $"bad transaction: cannot compute its signing digest: {e.Message}";
        }
        if (signer is not { } a) return $"bad signature: it recovers to no key, expected {tx.Tx.From}";
        if (!Address.TryParse(tx.Tx.From, out var from) || a != from)
            return $"bad signature: recovers to {a.Lower}, expected {tx.Tx.From}";
        return null;
    }

    private void Replay()
    {
        long expectedSeq = 1;
        IEnumerator<LedgerEntry> rows;
        try
        {
            rows = _store.ReadAll().GetEnumerator();
        }
        catch (InvalidDataException e)
        {
            throw new LedgerCorruptedException(expectedSeq, e.Message, e);
        }
        using (rows)
        {
            while (true)
            {
                LedgerEntry entry;
                try
                {
                    if (!rows.MoveNext()) break;
                    entry = rows.Current;
                }
                catch (InvalidDataException e)
                {
                    throw new LedgerCorruptedException(expectedSeq, e.Message, e);
                }
                ReplayOne(entry, expectedSeq);
                expectedSeq++;
            }
        }
        if (_store.Count != _state.Height)
            throw new LedgerCorruptedException(_state.Height + 1, $"the store counts {_store.Count} entries but {_state.Height} replayed");
    }

    private void ReplayOne(LedgerEntry entry, long expectedSeq)
    {
        if (entry.Seq != expectedSeq) throw new LedgerCorruptedException(expectedSeq, $"found seq {entry.Seq} where {expectedSeq} was expected (missing entry)");
        if (entry.PrevHash != _state.LastHash)
            throw new LedgerCorruptedException(entry.Seq, $"prevHash is {entry.PrevHash}, expected the hash of entry {entry.Seq - 1}: {_state.LastHash}");
        string computed;
        try
        {
            computed = entry.ComputeHash();
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new LedgerCorruptedException(entry.Seq, $"cannot hash the entry: {e.Message}", e);
        }
        if (computed != entry.Hash)
            throw new LedgerCorruptedException(entry.Seq, $"stored hash {entry.Hash} does not match its content (computed {computed})");
        if (entry.Time < _lastTime)
            throw new LedgerCorruptedException(entry.Seq, $"time {entry.Time} is before the previous entry's time {_lastTime}");
        if (entry.Signed?.Tx is null) throw new LedgerCorruptedException(entry.Seq, "no transaction");
        if (CheckSignature(entry.Signed) is { } sigError) throw new LedgerCorruptedException(entry.Seq, sigError);
        var outcome = MarketMachine.Apply(_state, entry);
        if (!outcome.Accepted) throw new LedgerCorruptedException(entry.Seq, $"the state machine refuses it: {outcome.Error}");
        _lastTime = entry.Time;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _store.Dispose();
        }
    }
}
