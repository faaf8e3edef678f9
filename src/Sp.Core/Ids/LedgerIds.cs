using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sp.Core.Ids;

/// <summary>
/// A ledger id of one kind (<see cref="OfferId"/>, <see cref="SlotId"/>, <see cref="OrderId"/>): a positive 64-bit
/// number the ledger assigns. In JSON a number, exactly as a bare <c>long</c> was; in text its decimal digits.
/// </summary>
public interface ILedgerId<TSelf> where TSelf : struct, ILedgerId<TSelf>
{
    long Value { get; }
    /// <summary>What the id names, for messages ("offer id").</summary>
    static abstract string Kind { get; }
    static abstract TSelf From(long value);
}

/// <summary>The one parser of ledger ids (every command, the node's query strings, the state machine's references).</summary>
public static class LedgerId
{
    /// <summary>
    /// Parses a positive decimal integer: digits only (no sign, space, separators or exponent), at most a
    /// <c>long</c>. Returns false for anything else.
    /// </summary>
    public static bool TryParse<T>([NotNullWhen(true)] string? input, out T id) where T : struct, ILedgerId<T>
    {
        if (long.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            id = T.From(n);
            return true;
        }
        id = default;
        return false;
    }

    /// <summary>
    /// <see cref="TryParse{T}"/>, or a <see cref="UserError"/> that names <paramref name="what"/> (the argument or
    /// option it came from), the input and what was expected.
    /// </summary>
    public static T Parse<T>(string? input, string? what = null) where T : struct, ILedgerId<T> =>
        TryParse<T>(input, out var id) ? id
            : throw new UserError($"{what ?? T.Kind} '{input}': expected {T.Kind} (a positive decimal integer, such as 1 or 42)");

    /// <summary>The id as a ledger value, for a parser that needs no type (e.g. the state machine's string references).</summary>
    public static long? TryParseValue(string? input) =>
        long.TryParse(input, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}

/// <summary>Writes a ledger id as a JSON number and reads one back; refuses zero, negatives and non-numbers.</summary>
public sealed class LedgerIdJsonConverter<T> : JsonConverter<T> where T : struct, ILedgerId<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var n) || n <= 0)
            throw new JsonException($"{T.Kind}: expected a positive integer");
        return T.From(n);
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
}

[JsonConverter(typeof(LedgerIdJsonConverter<OfferId>))]
public readonly record struct OfferId(long Value) : ILedgerId<OfferId>
{
    public static string Kind => "offer id";
    public static OfferId From(long value) => new(value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

[JsonConverter(typeof(LedgerIdJsonConverter<SlotId>))]
public readonly record struct SlotId(long Value) : ILedgerId<SlotId>
{
    public static string Kind => "slot id";
    public static SlotId From(long value) => new(value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

[JsonConverter(typeof(LedgerIdJsonConverter<OrderId>))]
public readonly record struct OrderId(long Value) : ILedgerId<OrderId>
{
    public static string Kind => "order id";
    public static OrderId From(long value) => new(value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The ids an accepted transaction created or names (<c>ids</c> of <c>POST /api/transactions</c>'s answer): each
/// present only when the transaction type gives it. JSON: <c>{"offerId": 5}</c>, <c>{"slotId": 7}</c>,
/// <c>{"orderId": 9}</c> or <c>{}</c>, as before.
/// </summary>
public sealed record CreatedIds
{
    public static readonly CreatedIds None = new();

    public OfferId? OfferId { get; init; }
    public SlotId? SlotId { get; init; }
    public OrderId? OrderId { get; init; }

    /// <summary>The offer id; an <see cref="InvalidDataException"/> when the answer gave none.</summary>
    [JsonIgnore] public OfferId Offer => OfferId ?? throw new InvalidDataException("the node's answer carries no offer id");
    [JsonIgnore] public SlotId Slot => SlotId ?? throw new InvalidDataException("the node's answer carries no slot id");
    [JsonIgnore] public OrderId Order => OrderId ?? throw new InvalidDataException("the node's answer carries no order id");
}
