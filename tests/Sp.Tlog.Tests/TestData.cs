using System.Text.Json;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>The published test vectors in tests/testdata (<see cref="Sp.Testing.TestDataRoot"/>).</summary>
internal static class TestData
{
    private static readonly Lazy<string> RootPath = new(Locate);

    public static string Root => RootPath.Value;

    public static string PathOf(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static JsonElement Json(params string[] parts)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf(parts)));
        return doc.RootElement.Clone();
    }

    public static NodeHash[] Hashes(JsonElement array, Func<string, NodeHash> parse) =>
        [.. array.EnumerateArray().Select(e => parse(e.GetString()!))];

    private static string Locate() => Sp.Testing.TestDataRoot.Path;
}
