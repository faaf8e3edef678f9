using System.Globalization;
using Sp.Api;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Client.Ledger;
using Sp.Core;
using Sp.Tlog;

namespace Spctl.Commands;

/// <summary>
/// <c>spctl ledger info|verify</c> and the ledger half of <c>orders get-report</c>: every answer rests on a checkpoint
/// that verifies with the pinned log key and is consistent with the newest one this config folder has seen.
/// </summary>
public static class LedgerCommands
{
    public const string VerifySuccess = "Ledger verification successful!";

    public static async Task<int> InfoAsync(CommandLine cl, string configPath)
    {
        var logUrl = cl.Option("log-url");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        using var log = ctx.OpenLog(logUrl);
        var c = (await log.CheckpointAsync()).Checkpoint;
        Console.Write(Output.KeyValues([
            ("network", ctx.Network),
            ("origin", c.Origin),
            ("log_url", log.Location),
            ("verifier_key", log.Key.VerifierKey),
            ("tree_size", c.TreeSize.ToString(CultureInfo.InvariantCulture)),
            ("root_hash", c.RootHash.ToBase64()),
            ("checkpoint_file", log.Tracker.CheckpointPath),
        ]));
        return 0;
    }

    public static async Task<int> VerifyAsync(CommandLine cl, string configPath)
    {
        var logUrl = cl.Option("log-url");
        cl.RejectUnknown();
        var started = App.Time.GetTimestamp();
        using var ctx = new ClientContext(configPath);
        using var log = ctx.OpenLog(logUrl);
        // The node's digest first: the checkpoint read next covers at least that height, and the replay reports
        // the digest at exactly that height.
        StateDigest? node = null;
        string? nodeError = null;
        try { node = await ClientLog.NodeDigestAsync(ctx.Node); }
        catch (SpError e) when (e is not IntegrityError) { nodeError = e.Message; }
        var checkpoint = (await log.CheckpointAsync()).Checkpoint;
        Console.WriteLine($"origin: {checkpoint.Origin}");
        Console.WriteLine($"log_url: {log.Location}");
        Console.WriteLine($"tree_size: {checkpoint.TreeSize}");
        Console.WriteLine($"root_hash: {checkpoint.RootHash.ToBase64()}");
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
        Console.WriteLine($"entry_bundles: {v.EntryBundles}");
        Console.WriteLine($"hash_tiles: {v.HashTiles}");
        Console.WriteLine($"signatures_verified: {v.SignaturesVerified}");
        Console.WriteLine($"transactions_replayed: {v.TransactionsReplayed}");
        Console.WriteLine($"transactions_by_type: {(v.TransactionsByType.Count == 0 ? Output.Empty : string.Join(' ', v.TransactionsByType.Select(kv => $"{kv.Key}={kv.Value}")))}");
        Console.WriteLine($"state_digest: {v.FinalStateDigest} (height {v.TransactionsReplayed})");
        if (node is not null && compareAt is not null)
        {
            if (!string.Equals(v.DigestAtHeight, node.Digest, StringComparison.Ordinal))
            {
                throw new UserError($"the node's state digest at height {node.Height} is {node.Digest}, but replaying the log gives {v.DigestAtHeight}: " +
                                    "the node's state is not the replay of its log");
            }
            Console.WriteLine($"node_state_digest: {node.Digest} (height {node.Height}, matches the replay)");
        }
        else
        {
            var why = node is null
                ? $"cannot compare with the node's state: {nodeError}"
                : $"the node's state is at height {node.Height}, beyond the log's tree size {checkpoint.TreeSize}: its digest cannot be compared";
            // Against the node's own log the comparison is part of the check; a mirror or an export stands on its own.
            if (logUrl is null) throw new UserError(why, node is null ? null : "verify again: the node grew while its log was read");
            Console.WriteLine($"node_state_digest: not compared ({why})");
        }
        Console.WriteLine($"elapsed_seconds: {App.Time.GetElapsedTime(started).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)}");
        Console.WriteLine(VerifySuccess);
        return 0;
    }

    /// <summary>
    /// For <c>orders get-report</c>: proves the report's ledger entry is included under a verified checkpoint and is
    /// the <c>order.report</c> transaction of exactly this report. Prints one line; false when it fails.
    /// </summary>
    public static async Task<bool> PrintReportInclusionAsync(ClientContext ctx, ReportView view, string? logUrl = null)
    {
        if (!ctx.LogPinned)
        {
            Console.WriteLine("report_inclusion: not checked (config.json pins no ledger log key: trust.logKey)");
            return true;
        }
        using var log = ctx.OpenLog(logUrl);
        var (entry, checkpoint) = await log.ProveEntryAsync(view.Seq);
        if (!ClientLog.IsReportEntry(entry, view))
        {
            Console.Error.WriteLine($"error: ledger entry {view.Seq} (proved in the tree of size {checkpoint.TreeSize}) is a {entry.Signed.Tx.Type} transaction, not this report of order {view.OrderId}");
            return false;
        }
        // The log's leaf index is zero-based; the ledger's entry numbers (seq) start at 1.
        Console.WriteLine($"report_inclusion: leaf index {view.Seq - 1} (ledger entry {view.Seq}) of tree size {checkpoint.TreeSize} verified at {log.Location}");
        return true;
    }
}
