using System.Net.Http.Json;
using System.Text.Json;
using Sp.Api;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core;
using Sp.Ledger.Log;
using Sp.Tlog;
using Sp.Ledger.Transactions;

namespace Sp.Client.Ledger;

/// <summary>
/// A client's view of its network's transparency log: the pinned verifier key (config.json <c>trust.logKey</c>),
/// where the log is read (the node's <c>/log</c>, or <c>--log-url URL|DIR</c>), and the newest verified checkpoint
/// kept in the config folder.
/// </summary>
public sealed class ClientLog : IDisposable
{
    private ClientLog(NoteVerifier key, string location, ITileSource source, CheckpointTracker tracker)
    {
        Key = key;
        Location = location;
        Source = source;
        Reader = new TileReader(source);
        Tracker = tracker;
    }

    public NoteVerifier Key { get; }
    /// <summary>The log URL or folder read.</summary>
    public string Location { get; }
    public ITileSource Source { get; }
    public TileReader Reader { get; }
    public CheckpointTracker Tracker { get; }

    /// <summary>A log read at <paramref name="location"/> (URL or folder), its checkpoints kept under <paramref name="stateDir"/>
    /// (evidence files named by <paramref name="time"/>).</summary>
    /// <param name="witnesses">The witness policy every new checkpoint must satisfy; null: the log key's signature suffices.</param>
    public static ClientLog Open(NoteVerifier key, string location, string stateDir, string network, TimeProvider time, WitnessPolicy? witnesses = null) =>
        new(key, location, LogLocation.Open(location), new CheckpointTracker(stateDir, network, key, time, witnesses));

    /// <summary>
    /// Proves that a transaction the node acknowledged (<paramref name="receipt"/>: its entry's seq and hash) is in
    /// the log: under a new checkpoint, verified and consistent with every one seen before, the entry at that
    /// position has that hash and carries exactly <paramref name="tx"/>. A node that answers "accepted" without
    /// logging the transaction, or logs another one, is caught here. Throws <see cref="LogIntegrityError"/>.
    /// </summary>
    public async Task<Checkpoint> ProveSubmittedAsync(SignedTransaction tx, SubmitResponse receipt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(receipt);
        var checkpoint = (await CheckpointAsync(ct)).Checkpoint;
        var what = $"the node accepted the {tx.Tx.Type} transaction (nonce {tx.Tx.Nonce} of {tx.Tx.From}) as ledger entry {receipt.Seq}";
        if (receipt.Seq < 1 || receipt.Seq > checkpoint.TreeSize)
            throw new LogIntegrityError($"{what}, but the log's verified checkpoint has tree size {checkpoint.TreeSize}");
        LedgerEntry entry;
        try
        {
            entry = LogEntryCodec.Decode(await Reader.ReadProvedEntryAsync(receipt.Seq - 1, checkpoint, ct), receipt.Seq - 1);
        }
        catch (Exception e) when (e is TlogException or InvalidDataException)
        {
            throw new LogIntegrityError($"{what}, but that entry is not proved in the checkpoint of tree size {checkpoint.TreeSize}: {e.Message}");
        }
        if (entry.Seq != receipt.Seq || !string.Equals(entry.Hash, receipt.Hash, StringComparison.Ordinal)
            || !Jcs.Canonicalize(entry.Signed).AsSpan().SequenceEqual(Jcs.Canonicalize(tx)))
            throw new LogIntegrityError($"{what} with hash {receipt.Hash}, but log entry {receipt.Seq} (tree size {checkpoint.TreeSize}) is another: " +
                                        $"a {entry.Signed.Tx.Type} transaction of {entry.Signed.Tx.From}, hash {entry.Hash}");
        return checkpoint;
    }

    /// <summary>Reads, verifies and keeps the log's newest checkpoint (see <see cref="CheckpointTracker.UpdateAsync"/>).</summary>
    public Task<SignedCheckpoint> CheckpointAsync(CancellationToken ct = default) => Tracker.UpdateAsync(Reader, Source, ct);

    /// <summary>
    /// Proves that ledger entry <paramref name="seq"/> is included under a newly verified checkpoint, and returns
    /// the entry and that checkpoint.
    /// </summary>
    public async Task<(LedgerEntry Entry, Checkpoint Checkpoint)> ProveEntryAsync(long seq, CancellationToken ct = default)
    {
        var checkpoint = (await CheckpointAsync(ct)).Checkpoint;
        if (seq < 1 || seq > checkpoint.TreeSize)
            throw new UserError($"ledger entry {seq} is not in the log's verified checkpoint of tree size {checkpoint.TreeSize}");
        byte[] leaf;
        try
        {
            leaf = await Reader.ReadProvedEntryAsync(seq - 1, checkpoint, ct);
        }
        catch (TlogException e)
        {
            throw new UserError($"ledger entry {seq} is not proved included in the checkpoint of tree size {checkpoint.TreeSize}: {e.Message}");
        }
        try
        {
            return (LogEntryCodec.Decode(leaf, seq - 1), checkpoint);
        }
        catch (InvalidDataException e)
        {
            throw new UserError(e.Message);
        }
    }

    /// <summary>The node's state digest (<c>GET /api/state/digest</c>).</summary>
    public static async Task<StateDigest> NodeDigestAsync(NodeClient node, CancellationToken ct = default)
    {
        using var resp = await node.SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/state/digest"), ct);
        await NodeClient.EnsureOkAsync(resp, node.Time, ct);
        return await resp.Content.ReadFromJsonAsync<StateDigest>(SpJson.Options, ct)
            ?? throw new UserError($"{node.BaseUrl}/api/state/digest: empty answer");
    }

    /// <summary>The node's log identity (<c>GET /api/log</c>), for pinning at setup.</summary>
    public static async Task<LogInfo?> NodeLogInfoAsync(NodeClient node, CancellationToken ct = default)
    {
        using var resp = await node.SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/log"), ct);
        if (resp.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        await NodeClient.EnsureOkAsync(resp, node.Time, ct);
        return await resp.Content.ReadFromJsonAsync<LogInfo>(SpJson.Options, ct);
    }

    /// <summary>True when <paramref name="entry"/> is the <c>order.report</c> transaction publishing exactly <paramref name="view"/>'s report.</summary>
    public static bool IsReportEntry(LedgerEntry entry, ReportView view)
    {
        if (entry.Signed.Tx.Payload is not OrderReportPublish payload) return false;
        try
        {
            return payload.OrderId == view.OrderId
                   && Jcs.Canonicalize(payload.Report).AsSpan().SequenceEqual(Jcs.Canonicalize(view.Report.AsPublished()));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public void Dispose() => (Source as IDisposable)?.Dispose();
}
