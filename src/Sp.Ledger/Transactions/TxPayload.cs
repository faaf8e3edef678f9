using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Sp.Core.Json;

namespace Sp.Ledger.Transactions;

/// <summary>
/// The payload of a ledger transaction: one of the closed set of records in Payloads.cs, each tied to its type name
/// ("order.start") by its <see cref="TxTypeAttribute"/> and nowhere else. A transaction's <c>type</c> is derived from
/// its payload (<see cref="Transaction.Create"/>); decoding looks the name up here (<see cref="Decode"/>).
/// Only this assembly can add a payload (the constructor is private protected).
/// </summary>
public abstract record TxPayload
{
    private protected TxPayload() { }

    /// <summary>This payload's transaction type name, one of <see cref="TxTypes"/>.</summary>
    [JsonIgnore]
    public string TypeName => NameOf(GetType());

    private static readonly Registry Known = Registry.Build();

    /// <summary>Every transaction type name, in the order of <see cref="TxTypes"/>.</summary>
    public static IReadOnlyList<string> Names => Known.Names;

    /// <summary>Every payload record, in the order of <see cref="Names"/>.</summary>
    public static IReadOnlyList<Type> Types => Known.Types;

    /// <summary>The type name of payload record <paramref name="payloadType"/>.</summary>
    public static string NameOf(Type payloadType) =>
        Known.NameByType.TryGetValue(payloadType, out var name)
            ? name
            : throw new ArgumentException($"{payloadType.Name} is not a transaction payload", nameof(payloadType));

    /// <summary>
    /// The typed payload of a transaction of type <paramref name="type"/>. The payload must be exactly the record's
    /// JSON (the bytes signed are the record's canonical form): an unknown, missing or non-canonical field is an error.
    /// </summary>
    /// <exception cref="TxPayloadException">Unknown type, no payload, or a field that is wrong; the message names them.</exception>
    public static TxPayload Decode(string type, JsonElement payload, JsonSerializerOptions? options = null)
    {
        options ??= SpJson.Options;
        if (!Known.TypeByName.TryGetValue(type, out var clr))
            throw new TxPayloadException(type, $"unknown transaction type '{type}' (expected one of: {string.Join(", ", Names)})");
        if (payload.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            throw new TxPayloadException(type, $"{type}: the transaction has no payload");
        if (payload.ValueKind != JsonValueKind.Object)
            throw new TxPayloadException(type, $"{type}: invalid payload: expected a JSON object, got {payload.ValueKind}");
        TxPayload typed;
        try
        {
            typed = (TxPayload?)payload.Deserialize(clr, options)
                ?? throw new TxPayloadException(type, $"{type}: the transaction has no payload");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException
                                      && e is not TxPayloadException)
        {
            var at = e is JsonException { Path: { Length: > 1 } path } ? $"field '{path.TrimStart('$', '.')}': " : "";
            throw new TxPayloadException(type, $"{type}: invalid payload: {at}{e.Message.Split(" Path:")[0]}", e);
        }
        if (NonCanonicalField(type, payload, typed, options) is { } wrong)
            throw new TxPayloadException(type, $"{type}: invalid payload: {wrong}");
        return typed;
    }

    /// <summary>What differs between the payload as received and its record's JSON, or null when nothing does.</summary>
    private static string? NonCanonicalField(string type, JsonElement payload, TxPayload typed, JsonSerializerOptions options)
    {
        var received = JsonObject.Create(payload)!;
        var written = JsonSerializer.SerializeToNode(typed, typed.GetType(), options)!.AsObject();
        foreach (var (name, value) in received)
        {
            if (!written.TryGetPropertyValue(name, out var expected))
                return value is null
                    ? $"field '{name}': null (an absent value is written by leaving the field out)"
                    : $"field '{name}' is not a field of {type}";
            if (!Canonical(value).AsSpan().SequenceEqual(Canonical(expected)))
                return $"field '{name}': {value?.ToJsonString()} is not in canonical form ({expected?.ToJsonString()})";
        }
        foreach (var (name, _) in written)
            if (!received.ContainsKey(name))
                return $"field '{name}' is missing";
        return null;
    }

    private static byte[] Canonical(JsonNode? node)
    {
        try { return Jcs.Canonicalize(node); }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            return System.Text.Encoding.UTF8.GetBytes("invalid: " + e.Message);
        }
    }

    private sealed record Registry(
        IReadOnlyList<string> Names,
        IReadOnlyList<Type> Types,
        IReadOnlyDictionary<string, Type> TypeByName,
        IReadOnlyDictionary<Type, string> NameByType)
    {
        public static Registry Build()
        {
            var records = typeof(TxPayload).Assembly.GetTypes()
                .Where(t => t.IsSubclassOf(typeof(TxPayload)))
                .Select(t => (Type: t, Name: t.GetCustomAttribute<TxTypeAttribute>()?.Name
                    ?? throw new InvalidOperationException($"payload record {t.Name} has no [TxType] attribute")))
                .ToList();
            var order = typeof(TxTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Select(f => (string)f.GetRawConstantValue()!).ToList();
            foreach (var r in records)
                if (!r.Type.IsSealed || !order.Contains(r.Name))
                    throw new InvalidOperationException($"payload record {r.Type.Name}: must be sealed and named by a TxTypes constant, has '{r.Name}'");
            records = records.OrderBy(r => order.IndexOf(r.Name)).ToList();
            return new Registry(
                records.Select(r => r.Name).ToList(),
                records.Select(r => r.Type).ToList(),
                records.ToDictionary(r => r.Name, r => r.Type, StringComparer.Ordinal),
                records.ToDictionary(r => r.Type, r => r.Name));
        }
    }
}

/// <summary>Ties a payload record to its transaction type name (a <see cref="TxTypes"/> constant).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TxTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>A transaction whose payload does not decode: an unknown type, no payload or a wrong field.
/// <see cref="Exception.Message"/> names the type and the field (it is the refusal's reason).</summary>
public sealed class TxPayloadException : JsonException
{
    public TxPayloadException(string type, string message, Exception? inner = null) : base(message, inner) => TxType = type;

    /// <summary>The transaction type name as received.</summary>
    public string TxType { get; }
}
