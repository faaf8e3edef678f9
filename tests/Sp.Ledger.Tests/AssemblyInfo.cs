namespace Sp.Ledger.Tests;
