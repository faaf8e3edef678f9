using System.Text;
using Sp.Crypto.Accounts;

namespace Sp.Node.Tests;

/// <summary>A transaction of an unknown type, or with a payload its type does not read, is refused with the reason named.</summary>
public sealed class PayloadRefusalTests
{
    private static async Task<RawHttp.Answer> PostAsync(int port, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return await RawHttp.SendAsync(port, "POST", "/api/transactions", [body], body.Length);
    }

    private static string Signed(Address from, string type, string payload) =>
        $$$"""{"tx":{"network":"{{{NodeProcess.Network}}}","from":"{{{from.Lower}}}","nonce":0,"type":"{{{type}}}","payload":{{{payload}}}},"signature":"0x{{{new string('1', 130)}}}"}""";

    [Fact]
    public async Task Unknown_types_and_wrong_fields_are_refused_by_name()
    {
        await using var node = await NodeProcess.StartAsync();
        using var key = AccountKey.Generate();

        var unknown = await PostAsync(node.Port, Signed(key.Address, "offer.delete", """{"offerId":1}"""));
        Assert.Equal(400, unknown.Status);
        Assert.Contains("\"error\":\"transaction refused: unknown transaction type 'offer.delete' (expected one of: provider.create,", unknown.Body);

        var wrong = await PostAsync(node.Port, Signed(key.Address, "order.start", """{"orderId":1,"colour":"red"}"""));
        Assert.Equal(400, wrong.Status);
        Assert.Contains("\"error\":\"transaction refused: order.start: invalid payload: field 'colour' is not a field of order.start\"", wrong.Body);

        Assert.Equal(0, (await node.Client.GetInfoAsync()).Height);
    }
}
