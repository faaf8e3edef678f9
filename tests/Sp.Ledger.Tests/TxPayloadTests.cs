using System.Runtime.CompilerServices;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>The closed set of payloads: one type name per record, typed decoding, one rule per type.</summary>
public sealed class TxPayloadTests
{
    private const string From = "0x00000000000000000000000000000000000000aa";

    /// <summary>Decodes a transaction of <paramref name="type"/> carrying <paramref name="payloadJson"/> as received.</summary>
    public static Transaction Decode(string type, string payloadJson) =>
        SpJson.Deserialize<Transaction>($$"""{"network":"n","from":"{{From}}","nonce":0,"type":"{{type}}","payload":{{payloadJson}}}""");

    [Fact]
    public void Every_type_name_has_one_payload_record_and_a_rule_of_the_machine()
    {
        var constants = typeof(TxTypes).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Equal(constants, TxPayload.Names);
        Assert.Equal(constants.Count, TxPayload.Types.Distinct().Count());
        foreach (var type in TxPayload.Types)
        {
            var blank = (TxPayload)RuntimeHelpers.GetUninitializedObject(type);
            Assert.True(MarketMachine.Handles(blank), $"the state machine has no rule for {type.Name} ({blank.TypeName})");
            Assert.Equal(type, TxPayload.Types[TxPayload.Names.ToList().IndexOf(TxPayload.NameOf(type))]);
        }
    }

    [Fact]
    public void A_transaction_takes_its_type_from_its_payload_and_writes_todays_json()
    {
        using var key = AccountKey.Generate();
        var tx = Transaction.Create("n", key.Address, 3, new OrderComplete(7, OrderStatus.Done, "ab", null));
        Assert.Equal(TxTypes.OrderComplete, tx.Type);
        Assert.Equal(
            $$$"""{"network":"n","from":"{{{key.Address.Lower}}}","nonce":3,"type":"order.complete","payload":{"orderId":7,"status":"Done","solutionHash":"ab"}}""",
            SpJson.Serialize(tx));
        var back = SpJson.Deserialize<Transaction>(SpJson.Serialize(tx));
        Assert.Equal(tx, back);
        Assert.Equal(tx.SigningDigest(), back.SigningDigest());
    }

    [Fact]
    public void The_type_may_follow_the_payload()
    {
        var tx = SpJson.Deserialize<Transaction>($$"""{"payload":{"orderId":5},"nonce":1,"type":"order.start","from":"{{From}}","network":"n"}""");
        Assert.Equal(new OrderStart(5), tx.Payload);
    }

    [Fact]
    public void An_unknown_type_is_refused_naming_the_known_ones()
    {
        var e = Assert.Throws<TxPayloadException>(() => Decode("offer.delete", """{"offerId":1}"""));
        Assert.StartsWith("unknown transaction type 'offer.delete' (expected one of: provider.create, ", e.Message);
        Assert.Contains(TxTypes.WorkflowCreate, e.Message);
        Assert.Equal("offer.delete", e.TxType);
    }

    [Theory]
    [InlineData("""{"orderId":"not a number"}""", "order.start: invalid payload: field 'orderId': ")]
    [InlineData("""{"orderId":5,"colour":"red"}""", "order.start: invalid payload: field 'colour' is not a field of order.start")]
    [InlineData("""{}""", "order.start: invalid payload: field 'orderId' is missing")]
    [InlineData("""[5]""", "order.start: invalid payload: expected a JSON object, got Array")]
    [InlineData("""null""", "order.start: the transaction has no payload")]
    public void A_malformed_payload_is_refused_naming_the_type_and_the_field(string payload, string expected)
    {
        var e = Assert.Throws<TxPayloadException>(() => Decode(TxTypes.OrderStart, payload));
        Assert.StartsWith(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"orderId":1,"status":"done","solutionHash":"ab"}""", "field 'status': \"done\" is not in canonical form (\"Done\")")]
    [InlineData("""{"orderId":1,"status":"Done","solutionHash":"ab","sealedResource":null}""", "field 'sealedResource': null (an absent value is written by leaving the field out)")]
    public void A_payload_that_is_not_exactly_its_records_json_is_refused(string payload, string expected)
    {
        // The signature covers the payload's canonical bytes; a form the record would not write back is refused
        // rather than signed over one way and stored another.
        var e = Assert.Throws<TxPayloadException>(() => Decode(TxTypes.OrderComplete, payload));
        Assert.Equal($"order.complete: invalid payload: {expected}", e.Message);
    }

    [Fact]
    public void A_transaction_without_a_type_is_not_a_transaction()
    {
        var e = Assert.Throws<System.Text.Json.JsonException>(() =>
            SpJson.Deserialize<Transaction>($$$"""{"network":"n","from":"{{{From}}}","nonce":0,"payload":{"orderId":5}}"""));
        Assert.Contains("a transaction has no 'type'", e.Message);
    }
}
