using System.Text.Json;
using Sp.Core.Ids;
using Sp.Core.Json;

namespace Sp.Core.Tests;

/// <summary>The one parser of ledger ids and their JSON: numbers, exactly as bare longs were.</summary>
public sealed class LedgerIdTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("42", 42L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void A_positive_decimal_integer_is_an_id(string input, long value)
    {
        Assert.Equal(new OfferId(value), LedgerId.Parse<OfferId>(input));
        Assert.True(LedgerId.TryParse<OrderId>(input, out var order));
        Assert.Equal(value, order.Value);
        Assert.Equal(value, LedgerId.TryParseValue(input));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("+3")]
    [InlineData(" 3")]
    [InlineData("3 ")]
    [InlineData("1e3")]
    [InlineData("1,000")]
    [InlineData("0x10")]
    [InlineData("9223372036854775808")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_refused_with_the_input_and_what_was_expected(string? input)
    {
        Assert.False(LedgerId.TryParse<SlotId>(input, out _));
        Assert.Null(LedgerId.TryParseValue(input));
        var e = Assert.Throws<UserError>(() => LedgerId.Parse<SlotId>(input, "--slot"));
        Assert.Equal($"--slot '{input}': expected slot id (a positive decimal integer, such as 1 or 42)", e.Message);
    }

    [Fact]
    public void Ids_are_JSON_numbers_and_created_ids_keep_the_shape_of_the_old_dictionary()
    {
        Assert.Equal("7", SpJson.Serialize(new OrderId(7)));
        Assert.Equal(new OfferId(5), SpJson.Deserialize<OfferId>("5"));
        Assert.Throws<JsonException>(() => SpJson.Deserialize<OfferId>("\"5\""));
        Assert.Throws<JsonException>(() => SpJson.Deserialize<OfferId>("0"));

        Assert.Equal("{}", SpJson.Serialize(CreatedIds.None));
        Assert.Equal("""{"offerId":5}""", SpJson.Serialize(new CreatedIds { OfferId = new OfferId(5) }));
        Assert.Equal("""{"slotId":7}""", SpJson.Serialize(new CreatedIds { SlotId = new SlotId(7) }));
        Assert.Equal("""{"orderId":9}""", SpJson.Serialize(new CreatedIds { OrderId = new OrderId(9) }));
        var back = SpJson.Deserialize<CreatedIds>("""{"orderId":9}""");
        Assert.Equal(new OrderId(9), back.Order);
        Assert.Null(back.OfferId);
        Assert.Throws<InvalidDataException>(() => back.Offer);
    }
}
