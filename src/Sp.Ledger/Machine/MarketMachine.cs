using System.Text.Json;
using Sp.Core.Json;
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
        if (tx.Payload is null) return Refuse($"{tx.Type}: the transaction has no payload");

        var ctx = new Ctx(state, entry, tx.From);
        return tx.Type switch
        {
            TxTypes.ProviderCreate => With<ProviderCreate>(tx, p => ProviderCreate(ctx, p)),
            TxTypes.ProviderUpdate => With<ProviderUpdate>(tx, p => ProviderUpdate(ctx, p)),
            TxTypes.OfferCreate => With<OfferCreate>(tx, p => OfferCreate(ctx, p)),
            TxTypes.OfferSetEnabled => With<OfferSetEnabled>(tx, p => OfferSetEnabled(ctx, p)),
            TxTypes.SlotAdd => With<SlotAdd>(tx, p => SlotAdd(ctx, p)),
            TxTypes.TeeCertificateUpdate => With<TeeCertificateUpdate>(tx, p => TeeCertificate(ctx, p)),
            TxTypes.WorkflowCreate => With<WorkflowCreate>(tx, p => WorkflowCreate(ctx, p)),
            TxTypes.OrderComplete => With<OrderComplete>(tx, p => OrderComplete(ctx, p)),
            TxTypes.OrderStart => With<OrderStart>(tx, p => OrderStart(ctx, p)),
            TxTypes.OrderReport => With<OrderReportPublish>(tx, p => OrderReport(ctx, p)),
            TxTypes.OrderFinish => With<OrderFinish>(tx, p => OrderFinish(ctx, p)),
            TxTypes.OrderCancel => With<OrderCancel>(tx, p => OrderCancel(ctx, p)),
            TxTypes.SlotUpdate => With<SlotUpdate>(tx, p => SlotUpdate(ctx, p)),
            TxTypes.SlotDelete => With<SlotDelete>(tx, p => SlotDelete(ctx, p)),
            TxTypes.TokensRequest => With<TokensRequest>(tx, p => TokensRequest(ctx, p)),
            TxTypes.OrderReplenish => With<OrderReplenish>(tx, p => OrderReplenish(ctx, p)),
            _ => Refuse($"unknown transaction type '{tx.Type}' (expected one of: {string.Join(", ", AllTypes)})"),
        };
    }

    /// <summary>Every transaction type the machine understands.</summary>
    public static readonly IReadOnlyList<string> AllTypes =
    [
        TxTypes.ProviderCreate, TxTypes.ProviderUpdate, TxTypes.OfferCreate, TxTypes.OfferSetEnabled,
        TxTypes.SlotAdd, TxTypes.TeeCertificateUpdate, TxTypes.WorkflowCreate, TxTypes.OrderComplete,
        TxTypes.OrderStart, TxTypes.OrderReport, TxTypes.OrderFinish, TxTypes.OrderCancel,
        TxTypes.SlotUpdate, TxTypes.SlotDelete, TxTypes.TokensRequest, TxTypes.OrderReplenish,
    ];

    private static Step With<T>(Transaction tx, Func<T, Step> rule) where T : class
    {
        T? payload;
        try
        {
            payload = tx.Payload.Deserialize<T>(SpJson.Options);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            return Refuse($"{tx.Type}: invalid payload: {e.Message.Split(" Path:")[0]}");
        }
        return payload is null ? Refuse($"{tx.Type}: the payload is null") : rule(payload);
    }

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
