using System.Security.Cryptography;
using System.Text.Json;
using Sp.Core;
using Sp.Core.Json;
using Sp.Crypto.Accounts;
using Sp.Ledger.Log;
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
/// Start-up replays the store: each entry's hash, the prev-hash chain, the signature and the state
/// machine's acceptance are checked again; the first entry that fails throws <see cref="LedgerCorruptedException"/>.
/// With snapshots (<see cref="LedgerSnapshotOptions"/>, a store that keeps them) it starts from the latest usable
/// snapshot and replays only the entries after it; the entries before it are audited in the background
/// (<see cref="PrefixAudit"/>). A snapshot that cannot be used means a full replay (<see cref="Start"/> says why).
///
/// Group commit: concurrent submissions are sequenced in batches. Signatures are checked by each submitter's
/// thread in parallel; one sequencer thread then numbers and applies a batch under the lock, appends it to the
/// store with one durable write (<see cref="ILedgerStore.AppendBatch"/>, one fsync), and only then answers the
/// submitters and raises <see cref="Committed"/>. The lock is held until the batch is on disk, so no query ever sees
/// an entry that is not durable; if the write fails, the state is rebuilt from the store and every transaction of
/// the batch fails with <see cref="LedgerStorageException"/>.
/// </summary>
public sealed class LedgerService : IDisposable
{
    /// <summary>Most transactions sequenced and written together.</summary>
    public const int MaxBatch = 1024;

    /// <summary>Default of <see cref="QueueLimit"/>.</summary>
    public const int DefaultQueueLimit = 8192;

    private readonly ILedgerStore _store;
    private readonly TimeProvider _time;
    private readonly Action<LedgerEntry>? _replayed;
    private readonly Lock _lock = new();
    private readonly Lock _queueLock = new();
    private readonly SemaphoreSlim _pending = new(0);
    private readonly Queue<Submission> _queue = new();
    private readonly Thread _sequencer;
    private MarketState _state;
    private long _lastTime;
    private bool _disposed;
    private bool _stopping;

    /// <param name="store">The entries; the service owns it and disposes it (also when the start-up replay fails).</param>
    /// <param name="network">Network name; transactions for another network are refused.</param>
    /// <param name="time">The clock, read once per accepted transaction (<see cref="TimeProvider.System"/> in sp-node).</param>
    /// <param name="replayed">Sees each stored entry as the start-up replay accepts it (e.g. to rebuild the
    /// transparency log's tree); its exceptions abort the start.</param>
    /// <param name="teeCertificates">How TEE certificates are checked (against the network's Root CA); without it no
    /// TEE certificate is accepted.</param>
    /// <param name="snapshots">Snapshots of the state (and of the log's tree): used at start-up and written every
    /// <see cref="LedgerSnapshotOptions.Every"/> entries and at <see cref="Dispose"/>, when the store keeps them
    /// (<see cref="ILedgerSnapshotStore"/>). Null: none.</param>
    public LedgerService(ILedgerStore store, string network, TimeProvider time, Action<LedgerEntry>? replayed = null,
        TeeCertificateReader? teeCertificates = null, LedgerSnapshotOptions? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(network);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _time = time;
        _replayed = replayed;
        _teeCertificates = teeCertificates ?? TeeCertificateReaders.None;
        _snapshots = snapshots is { Every: > 0 } && store is ILedgerSnapshotStore s ? (snapshots, s) : null;
        _state = NewState(network);
        // A shared store that another node may be writing: follow it until this node wins the lease (TryLead).
        _following = store is ILedgerLeaseStore { IsWriter: false };
        try
        {
            Start = StartUp();
        }
        catch
        {
            store.Dispose(); // the service owns the store: a refused start must not keep its database (or writer lock)
            throw;
        }
        _sequencer = new Thread(SequencerLoop) { IsBackground = true, Name = "ledger sequencer" };
        _sequencer.Start();
    }

    private readonly TeeCertificateReader _teeCertificates;
    private readonly (LedgerSnapshotOptions Options, ILedgerSnapshotStore Store)? _snapshots;
    private long _snapshotHeight;
    private volatile bool _auditFailed;
    private volatile bool _following;
    private volatile bool _deposed;

    /// <summary>
    /// Fail-over (docs/ledger.md, "Fail-over"): the service reads what another node's sequencer stores
    /// (<see cref="CatchUp"/>) and refuses submissions with <see cref="LedgerNotLeaderException"/>, until
    /// <see cref="TryLead"/> wins the store's lease. False for a store of one node.
    /// </summary>
    public bool Following => _following;

    /// <summary>Raised once when the store says this node lost the sequencer lease while leading (a newer writer
    /// took over): the service then refuses everything, and its host must stop.</summary>
    public event Action<Exception>? LeaseLost;

    /// <summary>
    /// A follower applies the entries another node's sequencer stored since the last call (each is checked as at
    /// start-up, then raises <see cref="Committed"/>); how many. Nothing for a leader.
    /// </summary>
    public long CatchUp()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return _following ? ApplyStored() : 0;
        }
    }

    /// <summary>
    /// A follower tries to take the store's lease (<see cref="ILedgerLeaseStore.TryAcquireLease"/>, recording
    /// <paramref name="leaderUrl"/>); once it holds it, it applies every entry the previous leader stored and starts
    /// sequencing. Until then it only catches up. Returns whether this service now leads.
    /// </summary>
    public bool TryLead(string? leaderUrl)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (!_following) return true;
            if (_store is not ILedgerLeaseStore lease || !lease.TryAcquireLease(leaderUrl))
            {
                ApplyStored();
                return false;
            }
            // The lease is ours: no other node appends any more, so the end of the store is the end of the ledger.
            ApplyStored();
            if (_store.Count != _state.Height)
                throw new LedgerCorruptedException(_state.Height + 1, $"the store counts {_store.Count} entries but {_state.Height} were applied");
            _following = false;
            return true;
        }
    }

    /// <summary>The store's lease: its fencing token and the leader's recorded address ((0, null) for a store of one node).</summary>
    public (long Epoch, string? LeaderUrl) ReadLease()
    {
        if (_store is not ILedgerLeaseStore lease) return (0, null);
        lock (_lock)
        {
            ThrowIfDisposed();
            return lease.ReadLease();
        }
    }

    /// <summary>The leader checks that it still holds the store's lease (raising <see cref="LeaseLost"/> if not).</summary>
    public void CheckLease()
    {
        if (_following || _store is not ILedgerLeaseStore lease) return;
        try
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                lease.CheckLease();
            }
        }
        catch (LedgerLeaseLostException e)
        {
            Depose(e);
        }
    }

    private void Depose(Exception e)
    {
        if (_deposed) return;
        _deposed = true;
        _following = true;
        LeaseLost?.Invoke(e);
    }

    private long ApplyStored()
    {
        long n = 0;
        foreach (var entry in Pages(_state.Height + 1))
        {
            var outcome = ReplayOne(entry, _state.Height + 1) with { Seq = entry.Seq, Hash = entry.Hash };
            Committed?.Invoke(entry, outcome);
            n++;
        }
        return n;
    }

    /// <summary>How this service started: from which snapshot, how many entries it replayed, why a snapshot was not used.</summary>
    public LedgerStart Start { get; }

    /// <summary>
    /// The background audit of the entries a snapshot stood in for (1 .. the snapshot's height): seq, prev-hash chain,
    /// each entry's hash, its leaf against the restored log tree, and the state they replay to against the snapshot's.
    /// Its result is how long it took (measured from the start, on the service's clock), null when the service was
    /// disposed before it ended; null at once after a full replay. Faults with <see cref="LedgerCorruptedException"/>
    /// naming the first entry that fails, or the two digests (the node then stops).
    /// </summary>
    public Task<TimeSpan?> PrefixAudit { get; private set; } = Task.FromResult<TimeSpan?>(null);

    /// <summary>Raised after each snapshot written while running (height; the exception when the write failed).
    /// A failed snapshot changes nothing else: the next one is tried <see cref="LedgerSnapshotOptions.Every"/> entries later.</summary>
    public event Action<long, Exception?>? SnapshotWritten;

    private MarketState NewState(string network) => new() { Network = network, TeeCertificates = _teeCertificates };

    private sealed class Submission(SignedTransaction tx)
    {
        public SignedTransaction Tx { get; } = tx;
        public TaskCompletionSource<TxOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Raised after an entry is on disk and applied, under the service's lock, in Seq order.
    /// Handlers must be quick and must not call back into <see cref="Submit"/>.</summary>
    public event Action<LedgerEntry, TxOutcome>? Committed;

    public string Network => _state.Network;

    /// <summary>
    /// Most transactions waiting for the sequencer. A submission past it is refused at once with
    /// <see cref="LedgerQueueFullException"/> instead of queuing without bound (memory, and answers that come
    /// ever later); the caller tells its client to come back (sp-node: 503 with Retry-After).
    /// </summary>
    public int QueueLimit
    {
        get => _queueLimit;
        set => _queueLimit = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the queue limit must be positive");
    }
    private volatile int _queueLimit = DefaultQueueLimit;

    /// <summary>Transactions queued and not yet taken by the sequencer.</summary>
    public int Queued
    {
        get { lock (_queueLock) return _queue.Count; }
    }

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
    public TxOutcome Submit(SignedTransaction tx) => SubmitAsync(tx).GetAwaiter().GetResult();

    /// <summary>
    /// <see cref="Submit"/> without blocking the caller's thread: the task completes once the entry is durable and
    /// applied (or refused). Concurrent submissions share one durable write.
    /// </summary>
    /// <exception cref="LedgerQueueFullException"><see cref="QueueLimit"/> transactions are already waiting.</exception>
    public Task<TxOutcome> SubmitAsync(SignedTransaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (tx.Tx is null) return Task.FromResult(TxOutcome.Refused("the signed transaction has no transaction body"));
        // Signature recovery is the costly part and needs no state: the submitter's thread does it, in parallel.
        if (CheckSignature(tx) is { } sigError) return Task.FromResult(TxOutcome.Refused(sigError));
        var submission = new Submission(tx);
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_following) throw new LedgerNotLeaderException();
            if (_queue.Count >= _queueLimit) throw new LedgerQueueFullException(_queueLimit);
            _queue.Enqueue(submission);
        }
        _pending.Release();
        return submission.Done.Task;
    }

    private void SequencerLoop()
    {
        var batch = new List<Submission>(MaxBatch);
        while (true)
        {
            _pending.Wait();
            lock (_queueLock)
            {
                if (_queue.Count == 0 && _stopping) return;
                while (_queue.Count > 0 && batch.Count < MaxBatch) batch.Add(_queue.Dequeue());
            }
            // Each Release stands for one submission; take the permits of those drained here beyond the first.
            for (var i = 1; i < batch.Count; i++) _pending.Wait();
            try
            {
                if (batch.Count > 0) Sequence(batch);
            }
            catch (Exception e)
            {
                // A store that cannot even be replayed, or a failing Committed handler: every waiting submitter hears it.
                foreach (var sub in batch) sub.Done.TrySetException(e);
            }
            batch.Clear();
        }
    }

    private void Sequence(List<Submission> batch)
    {
        StoredSnapshot? pending = null;
        lock (_lock)
        {
            if (_disposed)
            {
                foreach (var s in batch) s.Done.TrySetException(new ObjectDisposedException(nameof(LedgerService)));
                return;
            }
            if (_following)
            {
                foreach (var s in batch) s.Done.TrySetException(new LedgerNotLeaderException());
                return;
            }
            var accepted = new List<(Submission Sub, LedgerEntry Entry, TxOutcome Outcome)>(batch.Count);
            var refused = new List<(Submission Sub, TxOutcome Outcome)>();
            var heightBefore = _state.Height;
            var timeBefore = _lastTime;
            try
            {
                foreach (var sub in batch)
                {
                    // The clock never goes backwards on the ledger, whatever the host's clock does.
                    var time = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), _lastTime);
                    var entry = new LedgerEntry
                    {
                        Seq = _state.Height + 1,
                        Time = time,
                        PrevHash = _state.LastHash,
                        Signed = sub.Tx,
                    };
                    var leaf = LogEntryCodec.Encode(entry);
                    if (leaf.Length > LogEntryCodec.MaxEntrySize)
                    {
                        refused.Add((sub, TxOutcome.Refused($"transaction too large: its ledger entry is {leaf.Length} bytes, at most {LogEntryCodec.MaxEntrySize} (keep large payloads in storage and reference them by hash)")));
                        continue;
                    }
                    entry = entry with { Hash = LogEntryCodec.HashOf(leaf) };
                    var prepared = MarketMachine.Prepare(_state, entry);
                    if (!prepared.Accepted)
                    {
                        refused.Add((sub, prepared.Outcome));
                        continue;
                    }
                    var outcome = prepared.Commit() with { Seq = entry.Seq, Hash = entry.Hash };
                    _lastTime = time;
                    accepted.Add((sub, entry, outcome));
                }
                if (accepted.Count > 0) _store.AppendBatch(accepted.ConvertAll(a => a.Entry));
            }
            catch (LedgerLeaseLostException e)
            {
                // Deposed: another node sequences now. This state holds entries that are not stored: refuse all reads.
                foreach (var sub in batch) sub.Done.TrySetException(new LedgerStorageException(heightBefore + 1, e));
                Depose(e);
                return;
            }
            catch (Exception e) when (e is not ObjectDisposedException)
            {
                // Entries of this batch may be in the state but are not on disk: rebuild the state from the store.
                RestoreFromStore(heightBefore, timeBefore);
                foreach (var sub in batch)
                {
                    var seq = accepted.FirstOrDefault(a => a.Sub == sub).Entry?.Seq ?? heightBefore + 1;
                    sub.Done.TrySetException(new LedgerStorageException(seq, e));
                }
                return;
            }
            foreach (var (sub, entry, outcome) in accepted)
            {
                Committed?.Invoke(entry, outcome);
                sub.Done.TrySetResult(outcome);
            }
            foreach (var (sub, outcome) in refused) sub.Done.TrySetResult(outcome);
            if (_snapshots is { } snap && _state.Height - _snapshotHeight >= snap.Options.Every) pending = Capture();
        }
        // Written by the sequencer outside the lock: queries go on; submissions wait in the queue meanwhile.
        if (pending is not null) WriteSnapshot(pending, raise: true);
    }

    /// <summary>The snapshot of the current state and tree; under the lock.</summary>
    private StoredSnapshot? Capture()
    {
        if (_snapshots is not { } snap || _state.Height == 0 || _auditFailed) return null;
        var tree = snap.Options.Tree;
        if (tree is not null && tree.Size != _state.Height) return null; // the tree is not following this service
        var body = LedgerSnapshot.Encode(_state, tree);
        var digest = ComputeDigest(_state);
        _snapshotHeight = _state.Height;
        return new StoredSnapshot(_state.Height, digest, body,
            LedgerSnapshot.Sign(snap.Options.Key, _state.Network, _state.Height, digest, _state.LastHash, body));
    }

    private void WriteSnapshot(StoredSnapshot snapshot, bool raise)
    {
        try
        {
            _snapshots!.Value.Store.WriteSnapshot(snapshot);
            if (raise) SnapshotWritten?.Invoke(snapshot.Height, null);
        }
        catch (Exception e) when (raise && e is not ObjectDisposedException)
        {
            SnapshotWritten?.Invoke(snapshot.Height, e);
        }
    }

    private void RestoreFromStore(long heightBefore, long timeBefore)
    {
        if (_state.Height == heightBefore) return;
        _state = NewState(_state.Network);
        _lastTime = 0;
        Replay(notify: false);
        _snapshotHeight = Math.Min(_snapshotHeight, _state.Height);
        if (_state.Height != heightBefore)
            throw new LedgerCorruptedException(_state.Height, $"after a failed write the store replays to height {_state.Height}, expected {heightBefore}");
        _lastTime = timeBefore;
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
    public static string ComputeDigest(MarketState state) => Hex.Lower(SHA256.HashData(LedgerSnapshot.StateBytes(state)));

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

    private LedgerStart StartUp()
    {
        if (_snapshots is not { } snap) return new LedgerStart(Replay(), 0, null, SnapshotsOn: false);
        string? reason = null;
        try
        {
            var (from, digest) = LoadSnapshot(snap.Store, snap.Options.Tree);
            if (from > 0)
            {
                _snapshotHeight = from;
                var replayed = Replay(from + 1);
                var tree = snap.Options.Tree;
                var network = _state.Network;
                var started = _time.GetTimestamp();
                PrefixAudit = Task.Factory.StartNew(
                    () => AuditPrefix(from, digest!, network, tree) ? _time.GetElapsedTime(started) : (TimeSpan?)null, CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default);
                return new LedgerStart(replayed, from, null, SnapshotsOn: true);
            }
        }
        catch (SnapshotUnusableException e)
        {
            reason = e.Message;
            _state = NewState(_state.Network);
            _lastTime = 0;
            snap.Options.Tree?.Clear();
        }
        return new LedgerStart(Replay(), 0, reason, SnapshotsOn: true);
    }

    /// <summary>Loads the stored snapshot into the state (and tree); its height and state digest, or (0, null) when there is none.</summary>
    private (long Height, string? Digest) LoadSnapshot(ILedgerSnapshotStore snapshots, MerkleLog? tree)
    {
        StoredSnapshot? stored;
        try
        {
            stored = snapshots.ReadSnapshot();
        }
        catch (InvalidDataException e)
        {
            throw new SnapshotUnusableException($"it does not read: {e.Message}", e);
        }
        if (stored is null) return (0, null);
        var h = stored.Height;
        if (h < 1 || h > _store.Count)
            throw new SnapshotUnusableException($"it is recorded at height {h} but the store holds {_store.Count} entries");
        LedgerEntry entry;
        byte[] leaf;
        try
        {
            entry = _store.ReadRange(h, 1).Single();
            leaf = LogEntryCodec.Encode(entry);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or JsonException)
        {
            throw new SnapshotUnusableException($"ledger entry {h} does not read: {e.Message}", e);
        }
        // Authenticated before it is parsed: the digest is stored beside the body, so whoever can write the store can
        // rewrite both; only the node's key binds them to this network, this height and the entry there.
        var key = _snapshots!.Value.Options.Key.Verifier;
        if (stored.Signature is null)
            throw new SnapshotUnusableException("it is not signed (written by a build from before signed snapshots)");
        if (!LedgerSnapshot.VerifySignature(key, _state.Network, h, stored.StateDigest, entry.Hash, stored.Body, stored.Signature))
            throw new SnapshotUnusableException($"its signature does not verify under the node's log key {key.VerifierKey} for network {_state.Network}, " +
                $"height {h}, state digest {stored.StateDigest} and ledger entry {h}'s hash {entry.Hash}: the snapshot was changed after the node wrote it, or another key wrote it");
        var decoded = LedgerSnapshot.Decode(stored.Body, _teeCertificates);
        if (decoded.Height != h) throw new SnapshotUnusableException($"it is recorded at height {h} but holds the state at height {decoded.Height}");
        var state = decoded.State;
        if (state.Network != _state.Network) throw new SnapshotUnusableException($"it is of network {state.Network}, not {_state.Network}");
        var digest = ComputeDigest(state);
        if (digest != stored.StateDigest)
            throw new SnapshotUnusableException($"its state's digest {digest} is not the digest {stored.StateDigest} recorded for height {h}");
        if (entry.Seq != h || LogEntryCodec.HashOf(leaf) != entry.Hash || entry.Hash != state.LastHash)
            throw new SnapshotUnusableException($"its last hash {state.LastHash} is not the hash of ledger entry {h} ({entry.Hash})");
        if (tree is not null)
        {
            decoded.RestoreTree(tree);
            if (tree.NodeHashOf(new Tlog.NodeId(0, h - 1)) != Tlog.MerkleHash.Leaf(leaf))
            {
                tree.Clear();
                throw new SnapshotUnusableException($"its log tree's leaf {h - 1} is not ledger entry {h}");
            }
        }
        _state = state;
        _lastTime = entry.Time;
        return (h, digest);
    }

    /// <summary>Replays the stored entries from <paramref name="firstSeq"/> on; returns how many.</summary>
    private long Replay(long firstSeq = 1, bool notify = true)
    {
        var expectedSeq = firstSeq;
        IEnumerator<LedgerEntry> rows;
        try
        {
            rows = (firstSeq == 1 ? _store.ReadAll() : Pages(firstSeq)).GetEnumerator();
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
                if (notify) _replayed?.Invoke(entry);
                expectedSeq++;
            }
        }
        // A follower's leader may have appended meanwhile: the store grew, CatchUp takes the rest.
        var stored = _store.Count;
        if (stored != _state.Height && !(_following && stored > _state.Height))
            throw new LedgerCorruptedException(_state.Height + 1, $"the store counts {stored} entries but {_state.Height} replayed");
        return expectedSeq - firstSeq;
    }

    private IEnumerable<LedgerEntry> Pages(long firstSeq)
    {
        const int page = 1024;
        for (var seq = firstSeq; ; seq += page)
        {
            var n = 0;
            foreach (var e in _store.ReadRange(seq, page))
            {
                n++;
                yield return e;
            }
            if (n < page) yield break;
        }
    }

    /// <summary>
    /// Checks entries 1..<paramref name="height"/> (which a snapshot stood in for) against the chain and the tree, and
    /// replays them into a scratch state (the state machine alone: no lock, no I/O but the reads) whose digest must be
    /// <paramref name="digest"/>, the digest of the snapshot's state: a snapshot signed by the node's key but holding
    /// another state (a bug, or a stolen key) is caught too.
    /// </summary>
    private bool AuditPrefix(long height, string digest, string network, MerkleLog? tree)
    {
        var prev = LedgerEntry.GenesisPrevHash;
        var scratch = NewState(network);
        long seq = 1;
        try
        {
            foreach (var e in _store.ReadAll())
            {
                if (_stopping) return false;
                if (seq > height) break;
                if (e.Seq != seq) throw new LedgerCorruptedException(seq, $"found seq {e.Seq} where {seq} was expected (missing entry)");
                if (e.PrevHash != prev)
                    throw new LedgerCorruptedException(seq, $"prevHash is {e.PrevHash}, expected the hash of entry {seq - 1}: {prev}");
                var leaf = LogEntryCodec.Encode(e);
                if (LogEntryCodec.HashOf(leaf) != e.Hash)
                    throw new LedgerCorruptedException(seq, $"stored hash {e.Hash} does not match its content (computed {LogEntryCodec.HashOf(leaf)})");
                if (tree is not null && tree.NodeHashOf(new Tlog.NodeId(0, seq - 1)) != Tlog.MerkleHash.Leaf(leaf))
                    throw new LedgerCorruptedException(seq, "its bytes are not the leaf the log's tree holds for it (the row changed after it was logged)");
                // Transaction signatures are not recovered again (the costly part of a replay): the leaf is the one
                // the signed snapshot's tree holds, which this node's sequencer checked; `spctl ledger verify` does.
                if (e.Signed?.Tx is null) throw new LedgerCorruptedException(seq, "no transaction");
                var outcome = MarketMachine.Apply(scratch, e);
                if (!outcome.Accepted) throw new LedgerCorruptedException(seq, $"the state machine refuses it: {outcome.Error}");
                prev = e.Hash;
                seq++;
            }
            if (seq > height && ComputeDigest(scratch) is var replayed && replayed != digest)
                throw new LedgerCorruptedException(height,
                    $"replaying entries 1..{height} gives state digest {replayed}, but the snapshot the node started from holds a state of digest {digest}: " +
                    "the snapshot is not the ledger's state although it carries the node's signature (a bug, or the log key is known to someone else)");
        }
        catch (InvalidDataException e)
        {
            _auditFailed = true;
            throw new LedgerCorruptedException(seq, e.Message, e);
        }
        catch (LedgerCorruptedException)
        {
            _auditFailed = true;
            throw;
        }
        catch (ObjectDisposedException)
        {
            return false; // stopped meanwhile
        }
        if (seq <= height)
        {
            _auditFailed = true;
            throw new LedgerCorruptedException(seq, $"the store ends at entry {seq - 1}, before the snapshot's height {height}");
        }
        return true;
    }

    private TxOutcome ReplayOne(LedgerEntry entry, long expectedSeq)
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
        return outcome;
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_deposed) throw new LedgerLeaseLostException("this node lost the sequencer lease: its state may hold entries that were never stored");
    }

    public void Dispose()
    {
        lock (_queueLock)
        {
            if (_stopping) return;
            _stopping = true;
        }
        // The sequencer finishes what was queued, then exits.
        _pending.Release();
        if (Thread.CurrentThread != _sequencer) _sequencer.Join();
        lock (_lock)
        {
            // Graceful shutdown: the next start replays nothing (a failed write only costs that start a longer replay).
            if (_snapshots is not null && _state.Height > _snapshotHeight && Capture() is { } last)
            {
                try { WriteSnapshot(last, raise: false); }
                catch (Exception e) when (e is IOException or InvalidOperationException or System.Data.Common.DbException) { }
            }
            _disposed = true;
            _store.Dispose();
        }
        _pending.Dispose();
    }
}
