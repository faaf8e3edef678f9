using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sp.Core.Json;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme, restricted to what our formats use: objects, arrays, strings,
/// booleans, null and integers. Digests and signatures over JSON are taken over these bytes, so re-serialising
/// a document (other whitespace, key order, escapes) never changes whether it verifies.
/// Non-integer numbers are refused rather than canonicalised: none of our signed formats carries one.
/// </summary>
public static class Jcs
{
    public static byte[] Canonicalize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static byte[] Canonicalize<T>(T value, JsonSerializerOptions? options = null) =>
        Canonicalize(JsonSerializer.SerializeToNode(value, options ?? SpJson.Options));

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                // RFC 8785 3.2.3: properties sorted by their names as arrays of UTF-16 code units.
                foreach (var kv in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, kv.Key);
                    sb.Append(':');
                    Write(sb, kv.Value);
                }
                sb.Append('}');
                break;
            case JsonArray arr:
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, arr[i]);
                }
                sb.Append(']');
                break;
            case JsonValue val:
                var el = val.GetValue<JsonElement>();
                WriteElement(sb, el);
                break;
        }
    }

    private static void WriteElement(StringBuilder sb, JsonElement el)
    {
        switch (el.ValueKind)
        {
            case JsonValueKind.String: WriteString(sb, el.GetString()!); break;
            case JsonValueKind.True: sb.Append("true"); break;
            case JsonValueKind.False: sb.Append("false"); break;
            case JsonValueKind.Null: sb.Append("null"); break;
            case JsonValueKind.Number:
                if (!el.TryGetInt64(out var l))
                    throw new FormatException($"JCS: only integer numbers are supported, got {el.GetRawText()}");
                if (Math.Abs(l) > 9007199254740991L)
                    throw new FormatException($"JCS: integer {l} is outside the IEEE 754 exact range");
                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.Object:
                Write(sb, JsonObject.Create(el));
                break;
            case JsonValueKind.Array:
                Write(sb, JsonArray.Create(el));
                break;
            default:
                throw new FormatException($"JCS: unsupported JSON value {el.ValueKind}");
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
