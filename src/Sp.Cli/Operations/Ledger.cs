using System.Globalization;
using Sp.Api;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Tlog;

namespace Sp.Cli.Operations;

/// <summary>`spctl ledger verify` without the console: each line goes to <c>line</c> as it is known (spctl prints it,
/// the UI shows it); a failure is a <see cref="UserError"/> with the command's message.</summary>
public static class LedgerChecks
{
    public const string VerifySuccess = "Ledger verification successful!";

    public static async Task VerifyAsync(ClientContext ctx, string? logUrl, TimeProvider time, Action<string> line)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(line);
        var started = time.GetTimestamp();
        using var log = ctx.OpenLog(logUrl);
        // The node's digest first: the checkpoint read next covers at least that height, and the replay reports
        // the digest at exactly that height.
        StateDigest? node = null;
        string? nodeError = null;
        try { node = await ClientLog.NodeDigestAsync(ctx.Node); }
        catch (SpError e) when (e is not IntegrityError) { nodeError = e.Message; }
        var checkpoint = (await log.CheckpointAsync()).Checkpoint;
        line($"origin: {checkpoint.Origin}");
        line($"log_url: {log.Location}");
        line($"tree_size: {checkpoint.TreeSize}");
        line($"root_hash: {checkpoint.RootHash.ToBase64()}");
        var compareAt = node is { } n && n.Height <= checkpoint.TreeSize ? n.Height : (long?)null;
        LedgerVerification v;
        try
        {
            v = await LedgerVerifier.VerifyAsync(log.Reader, checkpoint, ctx.Network, ctx.Trust.LedgerTeeCertificates, compareAt);
        }
        catch (LedgerVerificationException e)
        {
            throw new UserError($"ledger verification failed: {e.Message}");
        }
        catch (TlogException e)
        {
            throw new UserError($"ledger verification failed: the log does not match its checkpoint of tree size {checkpoint.TreeSize}: {e.Message}");
        }
        line($"entry_bundles: {v.EntryBundles}");
        line($"hash_tiles: {v.HashTiles}");
        line($"signatures_verified: {v.SignaturesVerified}");
        line($"transactions_replayed: {v.TransactionsReplayed}");
        line($"transactions_by_type: {(v.TransactionsByType.Count == 0 ? Output.Empty : string.Join(' ', v.TransactionsByType.Select(kv => $"{kv.Key}={kv.Value}")))}");
        line($"state_digest: {v.FinalStateDigest} (height {v.TransactionsReplayed})");
        if (node is not null && compareAt is not null)
        {
            if (!string.Equals(v.DigestAtHeight, node.Digest, StringComparison.Ordinal))
            {
                throw new UserError($"the node's state digest at height {node.Height} is {node.Digest}, but replaying the log gives {v.DigestAtHeight}: " +
                                    "the node's state is not the replay of its log");
            }
            line($"node_state_digest: {node.Digest} (height {node.Height}, matches the replay)");
        }
        else
        {
            var why = node is null
                ? $"cannot compare with the node's state: {nodeError}"
                : $"the node's state is at height {node.Height}, beyond the log's tree size {checkpoint.TreeSize}: its digest cannot be compared";
            // Against the node's own log the comparison is part of the check; a mirror or an export stands on its own.
            if (logUrl is null) throw new UserError(why, node is null ? null : "verify again: the node grew while its log was read");
            line($"node_state_digest: not compared ({why})");
        }
        line($"elapsed_seconds: {time.GetElapsedTime(started).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)}");
        line(VerifySuccess);
    }
}
