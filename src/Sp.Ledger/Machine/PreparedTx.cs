using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Machine;

/// <summary>
/// A transaction fully validated against a state but not yet applied to it (<see cref="MarketMachine.Prepare"/>).
/// The service persists the entry between <see cref="MarketMachine.Prepare"/> and <see cref="Commit"/>, so a
/// failed write leaves the state as it was. Commit only against the same state, unchanged since Prepare.
/// </summary>
public sealed class PreparedTx
{
    private readonly MarketState _state;
    private readonly LedgerEntry _entry;
    private readonly Action? _mutate;
    private bool _committed;

    internal PreparedTx(MarketState state, LedgerEntry entry, TxOutcome outcome, Action? mutate)
    {
        _state = state;
        _entry = entry;
        Outcome = outcome;
        _mutate = mutate;
    }

    public TxOutcome Outcome { get; }
    public bool Accepted => Outcome.Accepted;

    /// <summary>Applies the validated change: the type's effect, the sender's nonce, Height and LastHash.</summary>
    public TxOutcome Commit()
    {
        if (!Accepted) throw new InvalidOperationException($"entry {_entry.Seq} was refused ({Outcome.Error}); nothing to commit");
        if (_committed) throw new InvalidOperationException($"entry {_entry.Seq} is already committed");
        if (_state.Height != _entry.Seq - 1)
            throw new InvalidOperationException($"state moved since entry {_entry.Seq} was prepared: height is {_state.Height}, expected {_entry.Seq - 1}");
        _committed = true;
        _mutate!();
        var from = _entry.Signed.Tx.From;
        _state.Nonces[from] = _entry.Signed.Tx.Nonce + 1;
        _state.Height = _entry.Seq;
        _state.LastHash = _entry.Hash.Length > 0 ? _entry.Hash : _entry.ComputeHash();
        return Outcome;
    }
}
