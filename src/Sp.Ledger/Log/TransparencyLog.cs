using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Tlog;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Log;

/// <summary>
/// The ledger as a C2SP transparency log. Entry n (Seq n + 1) is the leaf <see cref="LogEntryCodec.Encode"/>
/// of ledger entry Seq n + 1; the tree lives in memory (<see cref="MerkleLog"/>, rebuilt from the store at
/// start-up), entry bundles are read back from the store, and checkpoints are signed with the node's log key
/// on demand (when the tree has grown since the last one) and persisted before anyone sees them.
///
/// The node never signs two inconsistent checkpoints: every checkpoint is of the in-memory tree, which is a
/// prefix-growing function of an append-only store, and at start-up <see cref="CheckAgainstLatest"/> requires the
/// rebuilt tree to contain the last checkpoint signed before the restart (same root at its size).
/// </summary>
public sealed class TransparencyLog : IDisposable
{
    private readonly NoteSigner _key;
    private readonly CheckpointFile _checkpointFile;
    private readonly ILedgerStore? _entries;
    private readonly Lock _signLock = new();
    private SignedCheckpoint? _latest;
    private Timer? _timer;

    /// <param name="key">The log key; its name is the origin.</param>
    /// <param name="checkpointPath">File keeping the latest signed checkpoint.</param>
    /// <param name="entries">Where entry bundles are read from (the ledger store); null serves no bundles.</param>
    public TransparencyLog(NoteSigner key, string checkpointPath, ILedgerStore? entries)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _checkpointFile = new CheckpointFile(checkpointPath);
        _entries = entries;
    }

    public string Origin => _key.Name;
    public NoteVerifier Verifier => _key.Verifier;
    public MerkleLog Tree { get; } = new();

    /// <summary>Appends a ledger entry as the next leaf; its Seq must be the tree size + 1.</summary>
    public void Append(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var leaf = LogEntryCodec.Encode(entry);
        if (entry.Seq != Tree.Size + 1)
            throw new InvalidOperationException($"log: entry seq {entry.Seq} appended to a tree of size {Tree.Size} (want seq {Tree.Size + 1})");
        if (leaf.Length > LogEntryCodec.MaxEntrySize)
            throw new InvalidDataException($"log: entry {entry.Seq} is {leaf.Length} bytes, a log entry holds at most {LogEntryCodec.MaxEntrySize}");
        if (entry.Hash.Length > 0 && LogEntryCodec.HashOf(leaf) != entry.Hash)
            throw new InvalidDataException($"log: entry {entry.Seq}: its hash {entry.Hash} is not the SHA-256 of its log bytes");
        Tree.AppendEntry(leaf);
    }

    /// <summary>
    /// Follows a service: appends each committed entry. Call after the service replayed the store into this log
    /// (the service's <c>replayed</c> callback) and after <see cref="CheckAgainstLatest"/>.
    /// </summary>
    public void Follow(LedgerService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Height != Tree.Size)
            throw new InvalidOperationException($"log: the ledger is at height {service.Height} but the log tree has {Tree.Size} leaves");
        service.Committed += (entry, _) => Append(entry);
    }

    /// <summary>
    /// Start-up check: the latest persisted checkpoint must verify with this log's key, be no bigger than the
    /// rebuilt tree and have the same root at its size. Otherwise the store lost or changed entries that a signed
    /// checkpoint covered, and signing anything new could fork the log: <see cref="LogConsistencyException"/>.
    /// </summary>
    public void CheckAgainstLatest() => CheckAgainstLatest(aheadIsError: true);

    /// <summary>
    /// <see cref="CheckAgainstLatest()"/> for a reader beside a running node: a persisted checkpoint bigger than the tree
    /// read so far is not an error (the node went on) and is not taken; returns whether the latest was taken.
    /// </summary>
    public bool CheckAgainstLatest(bool aheadIsError)
    {
        var note = _checkpointFile.Read();
        if (note is null) return false;
        SignedCheckpoint signed;
        try
        {
            signed = Tlog.Checkpoint.Open(note, _key.Verifier);
        }
        catch (TlogException e)
        {
            throw new LogConsistencyException($"{_checkpointFile.Path}: the latest signed checkpoint does not verify with the log key {_key.Verifier.VerifierKey}: {e.Message}", e);
        }
        var c = signed.Checkpoint;
        var size = Tree.Size;
        if (c.TreeSize > size && !aheadIsError) return false;
        if (c.TreeSize > size)
            throw new LogConsistencyException($"the store holds {size} entries but checkpoint {c.TreeSize} was signed ({_checkpointFile.Path}): entries {size + 1}..{c.TreeSize} are missing");
        var root = Tree.RootAt(c.TreeSize);
        if (root != c.RootHash)
            throw new LogConsistencyException($"the store's first {c.TreeSize} entries have root {root}, but checkpoint {c.TreeSize} signed root {c.RootHash} ({_checkpointFile.Path}): entries were changed");
        lock (_signLock) _latest = signed;
        return true;
    }

    /// <summary>
    /// The latest signed checkpoint, of the current tree: signs (and persists) a new one when the tree has grown
    /// since the last.
    /// </summary>
    public SignedCheckpoint CurrentCheckpoint()
    {
        lock (_signLock)
        {
            var (size, root) = Tree.Head;
            if (_latest is { } l && l.Checkpoint.TreeSize == size) return l;
            if (_latest is { } prev && prev.Checkpoint.TreeSize > size)
                throw new LogConsistencyException($"the log shrank from the signed size {prev.Checkpoint.TreeSize} to {size}");
            var text = new Checkpoint(Origin, size, root).Sign(_key);
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            _checkpointFile.Write(bytes);
            _latest = Tlog.Checkpoint.Open(bytes, _key.Verifier);
            return _latest;
        }
    }

    /// <summary>The latest checkpoint signed so far, without signing a new one (null if none).</summary>
    public SignedCheckpoint? LatestSigned
    {
        get { lock (_signLock) return _latest; }
    }

    /// <summary>Signs a checkpoint every <paramref name="interval"/> when the tree has grown, so the persisted one stays fresh.</summary>
    public void StartSigning(TimeSpan interval)
    {
        _timer?.Dispose();
        _timer = new Timer(_ =>
        {
            try
            {
                CurrentCheckpoint();
            }
            catch (Exception e) when (e is IOException or LogConsistencyException)
            {
                // The next read of the checkpoint reports it; a timer has nobody to tell.
            }
        }, null, interval, interval);
    }

    /// <summary>
    /// The bytes of a hash tile or an entry bundle, or null when the tree is not big enough for it. Full tiles and
    /// bundles never change; a partial one of width W is the first W hashes or entries of its full tile.
    /// </summary>
    public byte[]? ReadTile(TileId tile)
    {
        if (!tile.IsEntryBundle) return Tree.ReadHashTile(tile);
        if (_entries is null) return null;
        var first = tile.Index * TileMath.Width;
        if (first + tile.Width > Tree.Size) return null;
        var leaves = new List<byte[]>(tile.Width);
        foreach (var e in _entries.ReadRange(first + 1, tile.Width)) leaves.Add(LogEntryCodec.Encode(e));
        if (leaves.Count != tile.Width)
            throw new InvalidDataException($"log: the store returned {leaves.Count} entries from seq {first + 1}, want {tile.Width}");
        // Read back from the store on every request, never cached: a row changed behind the node's back then shows
        // in the bundle, and an auditor recomputing the tiles from the bundles sees that the log disagrees.
        return TileMath.FormatEntryBundle(leaves);
    }

    /// <summary>An <see cref="ITileSource"/> over this log (what the node serves under its log URL).</summary>
    public ITileSource AsTileSource() => new Source(this);

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private sealed class Source(TransparencyLog log) : ITileSource
    {
        public Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken = default)
        {
            if (path == TileWriter.CheckpointPath) return Task.FromResult<byte[]?>(log.CurrentCheckpoint().NoteBytes.ToArray());
            return Task.FromResult(TileId.TryParsePath(path, out var tile) ? log.ReadTile(tile) : null);
        }
    }
}

/// <summary>The stored entries disagree with a checkpoint the node signed: it must not sign another.</summary>
public sealed class LogConsistencyException : Exception
{
    public LogConsistencyException(string message) : base(message)
    {
    }

    public LogConsistencyException(string message, Exception inner) : base(message, inner)
    {
    }
}
