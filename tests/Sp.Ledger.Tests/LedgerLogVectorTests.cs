using System.Text;
using Sp.Core.Model;
using Sp.Ledger.Log;
using Sp.Ledger.Machine;
using Sp.Ledger.Service;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;
using Sp.Testing;

namespace Sp.Ledger.Tests;

/// <summary>
/// The bytes on the ledger do not change: a log of every transaction type, written by an earlier build
/// (tests/testdata/ledger/every-type.jsonl, one RFC 8785 leaf per line), decodes, re-encodes to the same bytes
/// and hashes, verifies its signatures and chain, and replays to the same state.
/// </summary>
public sealed class LedgerLogVectorTests
{
    public const string Network = "devnet-vectors";
    /// <summary>The stored log's last entry hash and the state it replays to (tests/testdata/ledger/README.md).</summary>
    private const string LastHash = "451a379a4c2777fe6365a33d57ce32a968ff1731be8b102bf955784d0769fa79";
    private const string StateDigest = "ebf81727213c0fe84e676b3dc8ba89c427d2363adf4829cee70ea19510379cff";

    private static string VectorPath => Path.Combine(TestDataRoot.Path, "ledger", "every-type.jsonl");

    [Fact]
    public void The_stored_log_re_encodes_to_the_same_bytes_and_hashes_and_replays()
    {
        var lines = File.ReadAllLines(VectorPath).Where(l => l.Length > 0).ToList();
        var state = new MarketState { Network = Network, TeeCertificates = TestKit.FakeTeeCertificates };
        var prev = LedgerEntry.GenesisPrevHash;
        var types = new HashSet<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var leaf = Encoding.UTF8.GetBytes(lines[i]);
            var entry = LogEntryCodec.Decode(leaf, i);
            Assert.Equal(leaf, LogEntryCodec.Encode(entry));
            Assert.Equal(LogEntryCodec.HashOf(leaf), entry.Hash);
            Assert.Equal(entry.Hash, entry.ComputeHash());
            Assert.Equal(prev, entry.PrevHash);
            Assert.True(entry.Signed.VerifySignature(), $"entry {entry.Seq}: the signature does not verify");
            var outcome = MarketMachine.Apply(state, entry);
            Assert.True(outcome.Accepted, $"entry {entry.Seq} ({entry.Signed.Tx.Type}) refused on replay: {outcome.Error}");
            types.Add(entry.Signed.Tx.Type);
            prev = entry.Hash;
        }
        Assert.Equal(MarketMachine.AllTypes.Order(), types.Order());
        Assert.Equal(LastHash, prev);
        Assert.Equal(StateDigest, LedgerService.ComputeDigest(state));
    }

    /// <summary>
    /// A fresh log of the same scenario round-trips too; with SP_LEDGER_VECTOR_OUT set it is written there
    /// (how every-type.jsonl was made).
    /// </summary>
    [Fact]
    public void A_fresh_log_of_every_type_round_trips()
    {
        var leaves = EveryType();
        var state = new MarketState { Network = Network, TeeCertificates = TestKit.FakeTeeCertificates };
        for (var i = 0; i < leaves.Count; i++)
        {
            var entry = LogEntryCodec.Decode(leaves[i], i);
            Assert.Equal(leaves[i], LogEntryCodec.Encode(entry));
            Assert.True(MarketMachine.Apply(state, entry).Accepted);
        }
        Assert.Equal(MarketMachine.AllTypes.Count, leaves.Select(l => LogEntryCodec.Decode(l, 0).Signed.Tx.Type).Distinct().Count());
        if (Environment.GetEnvironmentVariable("SP_LEDGER_VECTOR_OUT") is { Length: > 0 } output)
        {
            File.WriteAllLines(output, leaves.Select(l => Encoding.UTF8.GetString(l)));
            File.WriteAllLines(output + ".expected", [state.LastHash, LedgerService.ComputeDigest(state)]);
        }
    }

    /// <summary>Every transaction type at least once, as leaf bytes.</summary>
    private static List<byte[]> EveryType()
    {
        var ledger = new MachineLedger(Network);
        var leaves = new List<byte[]>();
        using var sc = new Scenario(new RecordingLedger(ledger, leaves));
        var tokens = TokenAmount.FromTokens(10);
        var priced = new SlotInfo
        {
            Info = new SlotResources { DiskUsage = 10_485_760, CpuCores = 1 },
            Usage = new SlotUsage { MinTimeMinutes = 0, Price = TokenAmount.FromTokens(1).UnitsString, PriceType = SlotPricing.Fixed },
            Option = new SlotOption(),
        };

        sc.Provider(sc.Bob, "Bob");
        sc.Ok(sc.Bob, new ProviderUpdate("Bob Data Inc", "datasets"));
        var data = sc.Ok(sc.Bob, new OfferCreate(OfferType.Data, TestKit.DataInfo())).Ids.Offer.Value;
        var dataSlot = sc.Ok(sc.Bob, new SlotAdd(data, TestKit.Slot())).Ids.Slot.Value;
        var spare = sc.Ok(sc.Bob, new SlotAdd(data, TestKit.Slot())).Ids.Slot.Value;
        sc.Ok(sc.Bob, new SlotUpdate(data, spare, priced));
        sc.Ok(sc.Bob, new SlotDelete(data, spare));
        sc.Ok(sc.Bob, new OfferSetEnabled(data, false));
        sc.Ok(sc.Bob, new OfferSetEnabled(data, true));

        sc.Provider(sc.Tee, "Compute");
        var tee = sc.Ok(sc.Tee, new OfferCreate(OfferType.TeeOffer, TestKit.TeeInfo(), TestKit.TeeChainFor(sc.Tee))).Ids.Offer.Value;
        var teeSlot = sc.Ok(sc.Tee, new SlotAdd(tee, priced)).Ids.Slot.Value;
        sc.Ok(sc.Tee, new TeeCertificateUpdate(tee, TestKit.TeeChainFor(sc.Tee)));

        sc.Ok(sc.Alice, new TokensRequest(tokens));
        var wf = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee, teeSlot, (data, dataSlot)));
        var order = wf.Ids.Order.Value;
        sc.Ok(sc.Alice, new OrderReplenish(order, TokenAmount.FromTokens(1)));
        sc.Complete(Assert.Single(wf.SubOrderIds));
        sc.Start(order);
        sc.Ok(sc.Tee, new OrderReportPublish(order, TestKit.Report(order)));
        sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "sealed-result", "ok"));

        var second = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee, null, (data, dataSlot))).Ids.Order.Value;
        sc.Ok(sc.Alice, new OrderCancel(second));
        return leaves;
    }

    /// <summary>A machine ledger that keeps the leaf bytes of every accepted entry.</summary>
    internal sealed class RecordingLedger(MachineLedger inner, List<byte[]> leaves) : ILedgerUnderTest
    {
        public string Network => inner.Network;
        public long NextNonce(string address) => inner.NextNonce(address);
        public string Digest() => inner.Digest();
        public T Read<T>(Func<MarketState, T> query) => inner.Read(query);

        public TxOutcome Submit(SignedTransaction tx)
        {
            var entry = inner.NextEntry(tx);
            var outcome = MarketMachine.Apply(inner.State, entry);
            if (outcome.Accepted) leaves.Add(LogEntryCodec.Encode(entry));
            return outcome;
        }
    }
}
