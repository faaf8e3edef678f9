namespace Sp.Ledger;
