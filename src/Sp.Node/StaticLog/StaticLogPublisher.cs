using Sp.Ledger.Log;
using Sp.Tlog;

namespace Sp.Node.StaticLog;

/// <summary>
/// Publishes the node's log as static C2SP tlog-tiles files as it grows, so that any HTTP server, bucket or CDN
/// serves it and readers need not reach the node (`spctl ledger verify --log-url`, the Go check).
///
/// Each pass takes the node's current signed checkpoint and, when it is bigger than the one published, writes the
/// tiles and entry bundles the bigger tree adds (<see cref="TileMath.TilesAddedBetween"/>: tlog-tiles paths never
/// change once written), then the checkpoint: a reader of the target never sees a checkpoint whose tiles are
/// missing. After a crash the next start reads the target's checkpoint back and goes on from its size (tiles
/// written after it are written again with the same bytes).
///
/// The target's checkpoint must be one of this log's: signed by its key, no bigger than the tree, with the tree's
/// root at its size. Otherwise the target holds another history (another log, a node restored from an older
/// backup, a changed bucket) and the publisher refuses to write there, because overwriting it would show readers
/// a checkpoint inconsistent with one they may have seen.
/// </summary>
public sealed partial class StaticLogPublisher : IAsyncDisposable
{
    private readonly TransparencyLog _log;
    private readonly IStaticLogTarget _target;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<SignedCheckpoint, Task<byte[]>> _note;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _pass = new(1, 1);
    private Task? _loop;

    /// <param name="note">The note published for a checkpoint: the node's signature and, with witnesses, their
    /// cosignatures (what <c>/log/checkpoint</c> serves); the signed note alone when null.</param>
    public StaticLogPublisher(TransparencyLog log, IStaticLogTarget target, ILogger logger, TimeProvider time, Func<SignedCheckpoint, Task<byte[]>>? note = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(target);
        _log = log;
        _target = target;
        _logger = logger;
        _time = time;
        _note = note ?? (c => Task.FromResult(c.NoteBytes.ToArray()));
    }

    /// <summary>The tree size of the checkpoint on the target (-1 before <see cref="StartAsync"/>).</summary>
    public long PublishedSize { get; private set; } = -1;

    /// <summary>
    /// Reads the target's checkpoint, checks it is of this log (else <see cref="LogConsistencyException"/>: the node
    /// does not start), publishes up to the current checkpoint, and then keeps publishing every
    /// <paramref name="interval"/>. A target that cannot be reached is not fatal: the loop tries again (Warning).
    /// </summary>
    public async Task StartAsync(TimeSpan interval, CancellationToken ct)
    {
        try
        {
            await PublishAsync(ct);
        }
        catch (Exception e) when (IsTransient(e))
        {
            PublishFailed(_logger, _target.Description, 1, e.Message);
        }
        _loop = Task.Run(() => LoopAsync(interval), CancellationToken.None); // stopped by DisposeAsync, not by the start-up token
    }

    /// <summary>
    /// One pass: publishes the current checkpoint if it is bigger than the published one (checking the target's
    /// checkpoint first, on the first pass); returns the published size.
    /// </summary>
    public async Task<long> PublishAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            if (PublishedSize < 0)
            {
                PublishedSize = await CheckTargetAsync(ct);
                StartingFrom(_logger, _target.Description, PublishedSize);
            }
            var checkpoint = _log.CurrentCheckpoint();
            var size = checkpoint.Checkpoint.TreeSize;
            if (size <= PublishedSize) return PublishedSize;
            var tiles = 0;
            foreach (var tile in TileMath.TilesAddedBetween(PublishedSize, size))
            {
                var data = _log.ReadTile(tile) ?? throw new InvalidOperationException($"log: tile {tile.Path} of a tree of size {size} is not readable");
                await _target.PutTileAsync(tile, data, ct);
                tiles++;
            }
            await _target.PutCheckpointAsync(await _note(checkpoint), ct);
            Published(_logger, _target.Description, size, tiles);
            PublishedSize = size;
            return size;
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task<long> CheckTargetAsync(CancellationToken ct)
    {
        var note = await _target.ReadCheckpointAsync(ct);
        if (note is null) return 0;
        Checkpoint c;
        try
        {
            c = Checkpoint.Open(note, _log.Verifier).Checkpoint;
        }
        catch (TlogException e)
        {
            throw new LogConsistencyException($"{_target.Description}: its checkpoint is not this log's (signed by {_log.Verifier.VerifierKey}): {e.Message}; publish to an empty folder or bucket", e);
        }
        if (c.TreeSize > _log.Tree.Size)
            throw new LogConsistencyException($"{_target.Description}: its checkpoint is of tree size {c.TreeSize}, but this node's log has only {_log.Tree.Size} entries (restored from an older backup?); refusing to publish a smaller tree over it");
        if (_log.Tree.RootAt(c.TreeSize) != c.RootHash)
            throw new LogConsistencyException($"{_target.Description}: its checkpoint of tree size {c.TreeSize} has root {c.RootHash}, but this node's first {c.TreeSize} entries have root {_log.Tree.RootAt(c.TreeSize)}: the target shows another history; refusing to publish over it");
        return c.TreeSize;
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        var failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Longer waits after failures (a bucket that is down), back to the interval after a success.
                await Task.Delay(failures == 0 ? interval : TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(failures, 6))), _time, _stop.Token);
                await PublishAsync(_stop.Token);
                failures = 0;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (LogConsistencyException e)
            {
                // Another history on the target: writing on would show readers two; stop until an operator looks.
                PublishStopped(_logger, _target.Description, e.Message);
                return;
            }
            catch (Exception e) when (IsTransient(e))
            {
                failures++;
                PublishFailed(_logger, _target.Description, failures, e.Message);
            }
        }
    }

    /// <summary>Failures worth another try: the target's I/O, a changed tile in a folder (reported each time).</summary>
    private static bool IsTransient(Exception e) => e is IOException or InvalidDataException or HttpRequestException or TimeoutException;

    /// <summary>Stops the loop and makes one last pass, so the target ends with the node's final checkpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        if (PublishedSize >= 0)
        {
            try
            {
                using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await PublishAsync(last.Token);
            }
            catch (Exception e) when (IsTransient(e) || e is OperationCanceledException or LogConsistencyException)
            {
                PublishFailed(_logger, _target.Description, 1, e.Message);
            }
        }
        _target.Dispose();
        _stop.Dispose();
        _pass.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "publishing the log as static files to {Target} (published tree size {Size})")]
    private static partial void StartingFrom(ILogger logger, string target, long size);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "published the log to {Target} at tree size {Size} ({Tiles} new tiles and bundles)")]
    private static partial void Published(ILogger logger, string target, long size, int tiles);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "stopped publishing the log to {Target}: {Reason}")]
    private static partial void PublishStopped(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "could not publish the log to {Target} (attempt {Attempt}, retrying): {Reason}")]
    private static partial void PublishFailed(ILogger logger, string target, int attempt, string reason);
}
