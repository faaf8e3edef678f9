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
/// The later forms of workflow.create keep their bytes too: a log of each (tests/testdata/ledger/README.md), written
/// once by <see cref="A_fresh_log_of_each_form_round_trips"/>, decodes, re-encodes to the same bytes, verifies and
/// replays to the pinned state. every-type.jsonl (LedgerLogVectorTests) holds the entries from before these forms.
/// </summary>
public sealed class WorkflowFormVectorTests
{
    private const string Network = LedgerLogVectorTests.Network;

    /// <summary>Each vector file: the form its workflow.create shows, its last entry hash and the state it replays to.</summary>
    public static readonly TheoryData<string, string, string, string> Vectors = new()
    {
        { "consumer-data.jsonl", "\"consumerData\":[", "5c96d2454cdcbf512af0934a796d37fb89fc14cb8a9f271f47241e3a6c9c4d9d", "9ff2e8f330321ff9f9a881fd78eb4e4285514cf901f16489330cb66e2b8d56eb" },
        { "solution-offer.jsonl", "\"solutionOffer\":{", "8f07cd9de90526c2350e8896c069fb59e5427e4c2675bb7e6b354af5537d8500", "1d2ebd93933c4f88f158d2010435855026711e70e7e9b993b20c50ec6c797b38" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void The_stored_log_re_encodes_to_the_same_bytes_and_replays(string file, string form, string lastHash, string stateDigest)
    {
        var lines = File.ReadAllLines(Path.Combine(TestDataRoot.Path, "ledger", file)).Where(l => l.Length > 0).ToList();
        var state = new MarketState { Network = Network, TeeCertificates = TestKit.FakeTeeCertificates };
        var prev = LedgerEntry.GenesisPrevHash;
        var shown = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var leaf = Encoding.UTF8.GetBytes(lines[i]);
            var entry = LogEntryCodec.Decode(leaf, i);
            Assert.Equal(leaf, LogEntryCodec.Encode(entry));
            Assert.Equal(LogEntryCodec.HashOf(leaf), entry.Hash);
            Assert.Equal(prev, entry.PrevHash);
            Assert.True(entry.Signed.VerifySignature(), $"{file} entry {entry.Seq}: the signature does not verify");
            var outcome = MarketMachine.Apply(state, entry);
            Assert.True(outcome.Accepted, $"{file} entry {entry.Seq} ({entry.Signed.Tx.Type}) refused on replay: {outcome.Error}");
            shown |= entry.Signed.Tx.Type == TxTypes.WorkflowCreate && lines[i].Contains(form, StringComparison.Ordinal);
            prev = entry.Hash;
        }
        Assert.True(shown, $"{file}: no workflow.create with {form}");
        Assert.Equal(lastHash, prev);
        Assert.Equal(stateDigest, LedgerService.ComputeDigest(state));
    }

    /// <summary>
    /// Fresh logs of each form round-trip; with SP_LEDGER_VECTOR_DIR set each is written there (how the files were made).
    /// </summary>
    [Fact]
    public void A_fresh_log_of_each_form_round_trips()
    {
        foreach (var (file, leaves) in new[] { ("consumer-data.jsonl", ConsumerData()), ("solution-offer.jsonl", SolutionOffer()) })
        {
            var state = new MarketState { Network = Network, TeeCertificates = TestKit.FakeTeeCertificates };
            for (var i = 0; i < leaves.Count; i++)
            {
                var entry = LogEntryCodec.Decode(leaves[i], i);
                Assert.Equal(leaves[i], LogEntryCodec.Encode(entry));
                Assert.True(MarketMachine.Apply(state, entry).Accepted);
            }
            if (Environment.GetEnvironmentVariable("SP_LEDGER_VECTOR_DIR") is { Length: > 0 } dir)
            {
                File.WriteAllLines(Path.Combine(dir, file), leaves.Select(l => Encoding.UTF8.GetString(l)));
                File.WriteAllLines(Path.Combine(dir, file + ".expected"), [state.LastHash, LedgerService.ComputeDigest(state)]);
            }
        }
    }

    private static (MachineLedger Ledger, List<byte[]> Leaves, Scenario Scenario) Start()
    {
        var ledger = new MachineLedger(Network);
        var leaves = new List<byte[]>();
        return (ledger, leaves, new Scenario(new LedgerLogVectorTests.RecordingLedger(ledger, leaves)));
    }

    /// <summary>Bob's data offer at input-0001 and Alice's own file at input-0002, released, run and finished.</summary>
    private static List<byte[]> ConsumerData()
    {
        var (_, leaves, sc) = Start();
        using (sc)
        {
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            var own = new ConsumerInput(1, "2222222222222222222222222222222222222222222222222222222222222222", 42, "sealed-own-dataset");
            var wf = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee, null, data) with { ConsumerData = [own] });
            var order = wf.Ids.Order.Value;
            sc.Complete(Assert.Single(wf.SubOrderIds));
            sc.Start(order);
            sc.Ok(sc.Tee, new OrderReportPublish(order, TestKit.Report(order)));
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "sealed-result", "ok"));
        }
        return leaves;
    }

    /// <summary>Carol's solution offer and Bob's data offer, each released by its owner, run and finished.</summary>
    private static List<byte[]> SolutionOffer()
    {
        var (_, leaves, sc) = Start();
        using (sc)
        {
            // Mallory stands for Carol, the solution's owner.
            sc.Provider(sc.Mallory, "Carol");
            var solution = sc.Ok(sc.Mallory, new OfferCreate(OfferType.Solution, TestKit.DataInfo() with { OfferType = "2" })).Ids.Offer.Value;
            var solutionSlot = sc.Ok(sc.Mallory, new SlotAdd(solution, TestKit.Slot())).Ids.Slot.Value;
            var data = sc.DataOffer();
            var tee = sc.TeeOffer().OfferId;
            var wf = sc.Ok(sc.Alice, Scenario.WorkflowPayload(tee, null, data) with
            {
                Solution = new SolutionInput(TestKit.SolutionHash, 0, ""),
                SolutionOffer = new DataInput(solution, solutionSlot),
            });
            var order = wf.Ids.Order.Value;
            sc.Ok(sc.Mallory, new OrderComplete(wf.SubOrderIds[0], OrderStatus.Done, TestKit.SolutionHash, "sealed-solution-release"));
            sc.Complete(wf.SubOrderIds[1]);
            sc.Start(order);
            sc.Ok(sc.Tee, new OrderReportPublish(order, TestKit.Report(order)));
            sc.Ok(sc.Tee, new OrderFinish(order, OrderStatus.Done, "sealed-result", "ok"));
        }
        return leaves;
    }
}
