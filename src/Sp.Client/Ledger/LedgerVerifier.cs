using Sp.Ledger.Log;
using Sp.Ledger.Machine;
using Sp.Ledger.Service;
using Sp.Ledger.State;
using Sp.Tlog;
using Sp.Ledger.Transactions;

namespace Sp.Client.Ledger;

/// <summary>What <see cref="LedgerVerifier.VerifyAsync"/> checked.</summary>
public sealed record LedgerVerification(
    long TreeSize,
    NodeHash RootHash,
    int HashTiles,
    int EntryBundles,
    long SignaturesVerified,
    long TransactionsReplayed,
    IReadOnlyDictionary<string, long> TransactionsByType,
    string FinalStateDigest,
    long? DigestHeight,
    string? DigestAtHeight);

/// <summary>A log entry that fails verification: its leaf index and why.</summary>
public sealed class LedgerVerificationException(long index, string reason)
    : Exception($"log entry {index} (ledger entry {index + 1}): {reason}")
{
    public long Index { get; } = index;
    public string Reason { get; } = reason;
}

/// <summary>
/// Audits a whole tiled log against a verified checkpoint and replays it: every entry bundle and hash tile is
/// recomputed (<see cref="TileLogAuditor"/>), every entry must be the canonical encoding of a ledger entry whose
/// seq, hash chain and time follow the previous one, every transaction's signature must recover to its sender,
/// and the state machine must accept every entry from genesis (<see cref="MarketMachine.Apply"/> over a fresh
/// <see cref="MarketState"/>). Signatures are checked in parallel one bundle at a time; memory stays one bundle
/// plus the state.
/// </summary>
public static class LedgerVerifier
{
    /// <param name="digestHeight">Also report the state digest after this many entries (to compare with a node
    /// whose state was read at that height); null for none.</param>
    /// <param name="teeCertificates">The ledger's check of TEE certificates (the pinned root's, see
    /// <see cref="Trust.LedgerTeeCertificates"/>).</param>
    public static async Task<LedgerVerification> VerifyAsync(TileReader reader, Checkpoint checkpoint, string network,
        TeeCertificateReader teeCertificates, long? digestHeight = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = new MarketState { Network = network, TeeCertificates = teeCertificates };
        var byType = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var pending = new List<(long Index, byte[] Leaf)>(TileMath.Width);
        long signatures = 0, lastTime = 0;
        string? digestAt = digestHeight == 0 ? LedgerService.ComputeDigest(state) : null;

        void Flush()
        {
            var entries = new LedgerEntry[pending.Count];
            var errors = new string?[pending.Count];
            Parallel.For(0, pending.Count, i =>
            {
                try
                {
                    entries[i] = LogEntryCodec.Decode(pending[i].Leaf, pending[i].Index);
                    errors[i] = entries[i].Signed.Tx is null ? "no transaction" : LedgerService.CheckSignature(entries[i].Signed);
                }
                catch (InvalidDataException e)
                {
                    errors[i] = e.Message;
                }
            });
            for (var i = 0; i < pending.Count; i++)
            {
                var index = pending[i].Index;
                if (errors[i] is { } error) throw new LedgerVerificationException(index, error);
                var entry = entries[i];
                signatures++;
                if (entry.Seq != index + 1) throw new LedgerVerificationException(index, $"its seq is {entry.Seq}, want {index + 1}");
                if (entry.PrevHash != state.LastHash)
                    throw new LedgerVerificationException(index, $"prevHash is {entry.PrevHash}, the previous entry's hash is {state.LastHash}");
                if (entry.Time < lastTime) throw new LedgerVerificationException(index, $"time {entry.Time} is before the previous entry's time {lastTime}");
                var outcome = MarketMachine.Apply(state, entry);
                if (!outcome.Accepted) throw new LedgerVerificationException(index, $"the state machine refuses it: {outcome.Error}");
                lastTime = entry.Time;
                byType[entry.Signed.Tx.Type] = byType.GetValueOrDefault(entry.Signed.Tx.Type) + 1;
                if (entry.Seq == digestHeight) digestAt = LedgerService.ComputeDigest(state);
            }
            pending.Clear();
        }

        var audit = await TileLogAuditor.AuditAsync(reader, checkpoint, (index, leaf) =>
        {
            pending.Add((index, leaf));
            if (pending.Count == TileMath.Width || index == checkpoint.TreeSize - 1) Flush();
        }, ct).ConfigureAwait(false);
        if (pending.Count > 0) Flush();
        return new LedgerVerification(audit.Entries, audit.RootHash, audit.HashTiles, audit.EntryBundles, signatures, state.Height,
            byType, LedgerService.ComputeDigest(state), digestHeight, digestAt);
    }
}
