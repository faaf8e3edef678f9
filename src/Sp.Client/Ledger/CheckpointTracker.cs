using System.Globalization;
using System.Text;
using Sp.Client.Config;
using Sp.Core;
using Sp.Tlog;

namespace Sp.Client.Ledger;

/// <summary>
/// The newest verified checkpoint of a network's log, kept in the client's config folder
/// (<c>ledger/NETWORK/checkpoint</c>, the signed note as received). Each new checkpoint must verify with the
/// pinned log key, be no smaller than the kept one and be consistent with it (RFC 9162 consistency proof computed
/// from the log's tiles); otherwise the command stops with an error naming both tree sizes, and the conflicting
/// checkpoint is kept as evidence under <c>ledger/NETWORK/evidence/</c>.
/// </summary>
public sealed class CheckpointTracker
{
    public const string FolderName = "ledger";

    private readonly NoteVerifier _key;
    private readonly TimeProvider _time;

    /// <param name="time">Names the evidence files by when the conflict was seen.</param>
    /// <param name="witnesses">When set, a new checkpoint must also carry the cosignatures this policy requires.</param>
    public CheckpointTracker(string configDir, string network, NoteVerifier logKey, TimeProvider time, WitnessPolicy? witnesses = null)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        _key = logKey;
        _time = time;
        Witnesses = witnesses;
        Folder = Path.Combine(configDir, FolderName, SafeName(network));
    }

    public string Folder { get; }
    /// <summary>The witness policy a new checkpoint must satisfy (null: none).</summary>
    public WitnessPolicy? Witnesses { get; }
    public string CheckpointPath => Path.Combine(Folder, "checkpoint");
    public string EvidenceFolder => Path.Combine(Folder, "evidence");

    /// <summary>The kept checkpoint (verified again with the pinned key), or null if none yet.</summary>
    public SignedCheckpoint? Latest()
    {
        if (!File.Exists(CheckpointPath)) return null;
        try
        {
            return Checkpoint.Open(File.ReadAllBytes(CheckpointPath), _key);
        }
        catch (TlogException e)
        {
            throw new LogIntegrityError($"{CheckpointPath}: the kept checkpoint does not verify with the pinned log key {_key.VerifierKey}: {e.Message}",
                "the pinned key or the file was changed; remove the file only if you know why");
        }
    }

    /// <summary>
    /// Reads the log's checkpoint, verifies it and its consistency with the kept one, keeps it if newer and returns
    /// it. Throws <see cref="UserError"/> on any failure, after saving the conflicting checkpoint as evidence.
    /// </summary>
    public async Task<SignedCheckpoint> UpdateAsync(TileReader reader, ITileSource source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(source);
        // One update at a time in this process (a loader proves several orders' entries at once): each reads the kept
        // checkpoint, then keeps a newer one.
        await _updating.WaitAsync(ct).ConfigureAwait(false);
        try { return await UpdateCoreAsync(reader, source, ct).ConfigureAwait(false); }
        finally { _updating.Release(); }
    }

    private readonly SemaphoreSlim _updating = new(1, 1);

    private async Task<SignedCheckpoint> UpdateCoreAsync(TileReader reader, ITileSource source, CancellationToken ct)
    {
        // The kept checkpoint first: read after the fetch, another process's newer one could pass for a rollback.
        var old = Latest();
        var raw = await source.ReadAsync(TileWriter.CheckpointPath, ct).ConfigureAwait(false)
            ?? throw new UserError("the log has no checkpoint (404)", "check --log-url, or backend.url in config.json");
        var oldSize = old?.Checkpoint.TreeSize ?? 0;
        SignedCheckpoint fresh;
        try
        {
            fresh = Witnesses is null ? Checkpoint.Open(raw, _key) : Witnesses.Open(raw, _key);
        }
        catch (MissingCosignaturesException e)
        {
            // Signed by the log but not seen by enough witnesses: maybe a history shown to this client alone (a split view).
            var evidence = KeepEvidence(raw, ClaimedSize(raw));
            throw new LogIntegrityError($"the log's checkpoint is not cosigned as the witness policy requires: {e.Message}; " +
                                        $"the newest verified checkpoint has tree size {oldSize}; evidence kept in {evidence}",
                "the node may be showing you a history its witnesses never saw, or a witness is down; retry later, and compare with other clients if it persists");
        }
        catch (TlogException e)
        {
            var evidence = KeepEvidence(raw, ClaimedSize(raw));
            throw new LogIntegrityError($"the log's checkpoint (claimed tree size {ClaimedSize(raw)?.ToString(CultureInfo.InvariantCulture) ?? "unreadable"}) does not verify with the pinned log key {_key.VerifierKey}: {e.Message}; " +
                                $"the newest verified checkpoint has tree size {oldSize}; evidence kept in {evidence}");
        }
        var newSize = fresh.Checkpoint.TreeSize;
        if (old is null)
        {
            Save(fresh);
            return fresh;
        }
        if (newSize < oldSize)
        {
            var evidence = KeepEvidence(raw, newSize);
            throw new LogIntegrityError($"the log's checkpoint has tree size {newSize}, smaller than tree size {oldSize} seen before (a rollback); evidence kept in {evidence}");
        }
        if (newSize == oldSize)
        {
            if (fresh.Checkpoint.RootHash == old.Checkpoint.RootHash) return old;
            var evidence = KeepEvidence(raw, newSize);
            throw new LogIntegrityError($"the log's checkpoint of tree size {newSize} has root {fresh.Checkpoint.RootHash}, but the checkpoint of tree size {oldSize} seen before has root {old.Checkpoint.RootHash} (a fork); evidence kept in {evidence}");
        }
        try
        {
            var proof = await reader.ConsistencyProofAsync(oldSize, newSize, ct).ConfigureAwait(false);
            ProofVerifier.VerifyConsistency(oldSize, newSize, proof, old.Checkpoint.RootHash, fresh.Checkpoint.RootHash);
        }
        catch (TlogException e)
        {
            var evidence = KeepEvidence(raw, newSize);
            throw new LogIntegrityError($"the log's checkpoint of tree size {newSize} is not consistent with the checkpoint of tree size {oldSize} seen before " +
                                $"(a fork or a rewritten history): {e.Message}; evidence kept in {evidence}");
        }
        Save(fresh);
        return fresh;
    }

    private void Save(SignedCheckpoint checkpoint)
    {
        Directory.CreateDirectory(Folder);
        // Another process may have kept a newer one meanwhile: never replace a bigger checkpoint with a smaller one.
        if (File.Exists(CheckpointPath) && Latest() is { } current && current.Checkpoint.TreeSize >= checkpoint.Checkpoint.TreeSize) return;
        var tmp = CheckpointPath + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllBytes(tmp, checkpoint.NoteBytes.ToArray());
        File.Move(tmp, CheckpointPath, overwrite: true);
    }

    private string KeepEvidence(byte[] raw, long? size)
    {
        Directory.CreateDirectory(EvidenceFolder);
        var name = $"{_time.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}-size-{size?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}.checkpoint";
        var path = Path.Combine(EvidenceFolder, name);
        File.WriteAllBytes(path, raw);
        return path;
    }

    private static long? ClaimedSize(byte[] raw)
    {
        try
        {
            var (text, _) = Note.ParseUnverified(raw);
            return Checkpoint.Parse(text).TreeSize;
        }
        catch (TlogException)
        {
            return null;
        }
    }

    private static string SafeName(string network)
    {
        var sb = new StringBuilder();
        foreach (var c in network) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return sb.Length == 0 || sb.ToString() is "." or ".." ? "_" : sb.ToString();
    }
}
