using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Machine;

/// <summary>
/// The marketplace state machine: a pure, deterministic fold of ledger entries into <see cref="MarketState"/>.
/// No I/O and no clock: time is <see cref="LedgerEntry.Time"/>. Signatures are not checked here (the service
/// checks them before sequencing and again on replay).
///
/// Every transaction is validated completely before anything is changed: a refused transaction leaves the
/// state exactly as it was (nonce included), so a refused transaction never enters the ledger.
/// </summary>
public static partial class MarketMachine
{
    /// <summary>Validates and, when accepted, applies one entry. See <see cref="Prepare"/> for the checks.</summary>
    public static TxOutcome Apply(MarketState state, LedgerEntry entry)
    {
        var prepared = Prepare(state, entry);
        return prepared.Accepted ? prepared.Commit() : prepared.Outcome;
    }

    /// <summary>
    /// Validates an entry against the state without changing it: position (Seq = Height + 1, PrevHash =
    /// LastHash), network, sender address, nonce, payload shape and the transaction type's rules.
    /// </summary>
    public static PreparedTx Prepare(MarketState state, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(entry);
        var plan = Plan(state, entry);
        return new PreparedTx(state, entry, plan.Outcome, plan.Mutate);
    }

    private static Step Plan(MarketState state, LedgerEntry entry)
    {
        if (entry.Seq != state.Height + 1)
            return Refuse($"entry seq: expected {state.Height + 1}, got {entry.Seq}");
        if (!string.Equals(entry.PrevHash, state.LastHash, StringComparison.Ordinal))
            return Refuse($"entry {entry.Seq} prevHash: expected {state.LastHash}, got {entry.PrevHash}");
        var tx = entry.Signed?.Tx;
        if (tx is null) return Refuse($"entry {entry.Seq}: no transaction");
        if (!string.Equals(tx.Network, state.Network, StringComparison.Ordinal))
            return Refuse($"wrong network: the transaction is for '{tx.Network}', this ledger is '{state.Network}'");
        if (!IsCanonicalAddress(tx.From))
            return Refuse($"from: expected a lowercase address (0x followed by 40 lowercase hex digits), got '{tx.From}'");
        var expectedNonce = state.NextNonce(tx.From);
        if (tx.Nonce != expectedNonce)
            return Refuse(tx.Nonce < expectedNonce
                ? $"nonce {tx.Nonce} of {tx.From} was already used (replayed transaction?): expected {expectedNonce}"
                : $"nonce of {tx.From}: expected {expectedNonce}, got {tx.Nonce}", RefusalCodes.NonceConflict);
        if (tx.Payload is null) return Refuse($"entry {entry.Seq}: the transaction has no payload");

        var ctx = new Ctx(state, entry, tx.From);
        return Rule(tx.Payload) is { } rule
            ? rule(ctx)
            : Refuse($"{tx.Type}: the state machine has no rule for this transaction type");
    }

    /// <summary>The rule of each payload type (the closed set of <see cref="TxPayload"/>); a test proves that every
    /// registered payload type has one (<see cref="Handles"/>).</summary>
    private static Func<Ctx, Step>? Rule(TxPayload payload) => payload switch
    {
        ProviderCreate p => c => ProviderCreate(c, p),
        ProviderUpdate p => c => ProviderUpdate(c, p),
        OfferCreate p => c => OfferCreate(c, p),
        OfferSetEnabled p => c => OfferSetEnabled(c, p),
        SlotAdd p => c => SlotAdd(c, p),
        TeeCertificateUpdate p => c => TeeCertificate(c, p),
        WorkflowCreate p => c => WorkflowCreate(c, p),
        OrderComplete p => c => OrderComplete(c, p),
        OrderStart p => c => OrderStart(c, p),
        OrderReportPublish p => c => OrderReport(c, p),
        OrderFinish p => c => OrderFinish(c, p),
        OrderCancel p => c => OrderCancel(c, p),
        SlotUpdate p => c => SlotUpdate(c, p),
        SlotDelete p => c => SlotDelete(c, p),
        TokensRequest p => c => TokensRequest(c, p),
        OrderReplenish p => c => OrderReplenish(c, p),
        _ => null,
    };

    /// <summary>True when the machine has a rule for <paramref name="payload"/>'s type.</summary>
    public static bool Handles(TxPayload payload) => Rule(payload) is not null;

    /// <summary>Every transaction type the machine understands.</summary>
    public static IReadOnlyList<string> AllTypes => TxPayload.Names;

    // ---- plumbing -------------------------------------------------------------------------------------------

    /// <summary>What a rule decided: refused with a message, or accepted with the mutation to run on commit.</summary>
    private readonly record struct Step(TxOutcome Outcome, Action? Mutate);

    private static Step Refuse(string message, string? code = null) => new(TxOutcome.Refused(message, code), null);

    private static Step Accept(TxOutcome outcome, Action mutate) => new(outcome, mutate);

    private sealed record Ctx(MarketState State, LedgerEntry Entry, string From)
    {
        public long Time => Entry.Time;
        public long Seq => Entry.Seq;
    }

    internal static bool IsCanonicalAddress(string? s)
    {
        if (s is null || s.Length != 42 || !s.StartsWith("0x", StringComparison.Ordinal)) return false;
        for (var i = 2; i < s.Length; i++)
            if (!IsLowerHexDigit(s[i])) return false;
        return true;
    }

    internal static bool IsLowerHex(string? s, int length)
    {
        if (s is null || s.Length != length) return false;
        foreach (var c in s)
            if (!IsLowerHexDigit(c)) return false;
        return true;
    }

    private static bool IsLowerHexDigit(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';

    private static bool IsBlank(string? s) => string.IsNullOrWhiteSpace(s);
}
