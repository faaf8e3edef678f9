using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sp.Core.Json;

/// <summary>
/// Parses user-written JSON files strictly: an unknown field, a missing required field or a value of the
/// wrong type is an error that names the file, the field and what was expected.
/// </summary>
public static class StrictJson
{
    private static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(SpJson.Options)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            PropertyNameCaseInsensitive = false,
            RespectRequiredConstructorParameters = true,
            AllowTrailingCommas = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
        };
        return o;
    }

    public static T Parse<T>(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new InvalidDataException($"{source}: the file holds null, expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {Describe(e)}", e);
        }
    }

    public static T ParseFile<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return Parse<T>(File.ReadAllText(path), path);
    }

    private static string Describe(JsonException e)
    {
        var msg = e.Message;
        // System.Text.Json: "The JSON property 'x' could not be mapped to any .NET member contained in type ..."
        const string unmapped = "The JSON property '";
        if (msg.StartsWith(unmapped, StringComparison.Ordinal))
        {
            var name = msg[unmapped.Length..msg.IndexOf('\'', unmapped.Length)];
            return $"unknown field '{name}' at {e.Path ?? "$"} (remove it; the accepted fields are those of the guide)";
        }
        if (msg.Contains("missing required properties", StringComparison.Ordinal))
        {
            var i = msg.IndexOf("properties including:", StringComparison.Ordinal);
            var names = i >= 0 ? msg[(i + "properties including:".Length)..].Trim().TrimEnd('.') : "?";
            return $"missing required field(s) {names} at {e.Path ?? "$"}";
        }
        var where = e.Path is { } p ? $"field {p}" : "document";
        var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
        var first = msg.Split(" Path:")[0];
        return $"{where}{line}: {first}";
    }
}
