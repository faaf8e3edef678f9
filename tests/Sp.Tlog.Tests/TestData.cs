using System.Text.Json;
using Sp.Ledger.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>Locates the shared, read-only test vectors: env SP_TESTDATA, else the first ancestor of the test binaries holding shared/testdata.</summary>
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

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SP_TESTDATA");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"no shared/testdata above {AppContext.BaseDirectory}; set SP_TESTDATA");
    }
}
