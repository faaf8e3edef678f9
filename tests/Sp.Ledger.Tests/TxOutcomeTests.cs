using Sp.Core.Ids;
using Sp.Core.Json;
using Sp.Ledger.Machine;

namespace Sp.Ledger.Tests;

public sealed class TxOutcomeTests
{
    [Fact]
    public void Round_trips_through_the_projects_JSON_with_camelCase_names()
    {
        var o = TxOutcome.Ok(new CreatedIds { OrderId = new OrderId(12) }, [13]) with { Seq = 40, Hash = "ab" };
        var json = SpJson.Serialize(o);
        Assert.Equal("""{"accepted":true,"ids":{"orderId":12},"subOrderIds":[13],"seq":40,"hash":"ab"}""", json);
        var back = SpJson.Deserialize<TxOutcome>(json);
        Assert.Equal(12, back.Ids.Order.Value);
        Assert.Equal([13L], back.SubOrderIds);
        Assert.Equal((true, 40L, "ab"), (back.Accepted, back.Seq!.Value, back.Hash));
    }

    [Fact]
    public void A_refusal_carries_its_error()
    {
        var back = SpJson.Deserialize<TxOutcome>(SpJson.Serialize(TxOutcome.Refused("offer 3 does not exist")));
        Assert.False(back.Accepted);
        Assert.Equal("offer 3 does not exist", back.Error);
        Assert.Equal(CreatedIds.None, back.Ids);
        Assert.Equal("""{"accepted":false,"error":"offer 3 does not exist","ids":{},"subOrderIds":[]}""", SpJson.Serialize(TxOutcome.Refused("offer 3 does not exist")));
    }

    [Fact]
    public void A_nonce_refusal_says_so_in_its_code_and_its_words_are_unchanged()
    {
        var refused = TxOutcome.Refused("nonce of 0xab: expected 1, got 3", RefusalCodes.NonceConflict);
        Assert.Equal("""{"accepted":false,"error":"nonce of 0xab: expected 1, got 3","code":"nonce_conflict","ids":{},"subOrderIds":[]}""", SpJson.Serialize(refused));
    }
}
