using System.Text.Json.Nodes;
using Sp.Ledger.Log;
using Sp.Tlog;

namespace Sp.Node;

/// <summary>
/// <c>sp-node log export DIR [NODE_DIR]</c> (NODE_DIR defaults to the current folder): writes the log as static C2SP tlog-tiles files (checkpoint, hash tiles,
/// entry bundles) that any web server can serve and every client check accepts. While the node runs, the export
/// takes its latest signed checkpoint (signed at least every second while the log grows): the
/// export waits (a few seconds at most) for the node's checkpoint of the entries it read; when it is stopped, the
/// export signs one for the whole store itself, holding the folder's lock so that no two signers race.
/// </summary>
public static class LogExport
{
    public static async Task<int> RunAsync(string outDir, string nodeDir, TimeProvider time)
    {
        var paths = new LogPaths(Path.GetFullPath(nodeDir));
        if (!File.Exists(paths.Settings))
            throw new InvalidOperationException($"{paths.Root} is not a node folder (no node.json): run the export in the node's folder or name it: sp-node log export OUT NODE_DIR");
        if (!File.Exists(paths.SignerKey)) throw new InvalidOperationException($"{paths.Root} has no log key ({paths.SignerKey}): run the node once to create it");
        using var folderLock = LedgerHosting.AcquireLock(paths); // null: the node is running
        using var store = LedgerHosting.ReadStoreSettings(paths).Open(paths.Ledger, readOnly: folderLock is null);
        using var log = new TransparencyLog(LogKeyFile.Load(paths.SignerKey), paths.Checkpoint, store);
        foreach (var entry in store.ReadAll()) log.Append(entry);
        SignedCheckpoint checkpoint;
        if (folderLock is not null)
        {
            log.CheckAgainstLatest();
            checkpoint = log.CurrentCheckpoint();
        }
        else
        {
            // The running node signs within a signing interval of any growth: wait for its checkpoint of what was read.
            var wanted = log.Tree.Size;
            var deadline = time.GetUtcNow() + (LedgerHosting.SigningInterval * 5);
            while (true)
            {
                // Entries the node appended meanwhile (a checkpoint may already cover them).
                foreach (var entry in store.ReadRange(log.Tree.Size + 1, int.MaxValue)) log.Append(entry);
                log.CheckAgainstLatest(aheadIsError: false);
                if ((log.LatestSigned?.Checkpoint.TreeSize ?? -1) >= wanted || time.GetUtcNow() >= deadline) break;
                await Task.Delay(TimeSpan.FromMilliseconds(100), time);
            }
            checkpoint = log.LatestSigned ?? throw new InvalidOperationException("the node is running and has signed no checkpoint yet: try again in a second");
        }
        var size = checkpoint.Checkpoint.TreeSize;
        var result = await TileWriter.WriteAsync(outDir, checkpoint.NoteBytes, store.ReadAll().Take(checked((int)size)).Select(LogEntryCodec.Encode));
        Console.WriteLine($"Exported the log of tree size {result.TreeSize} (root {result.RootHash}) to {Path.GetFullPath(outDir)}: " +
                          $"{result.HashTiles} hash tiles, {result.EntryBundles} entry bundles, checkpoint");
        Console.WriteLine($"origin: {log.Origin}");
        Console.WriteLine($"verifier_key: {log.Verifier.VerifierKey}");
        return 0;
    }
}
