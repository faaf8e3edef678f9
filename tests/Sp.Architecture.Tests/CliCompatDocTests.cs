using System.Text.RegularExpressions;

namespace Sp.Architecture.Tests;

/// <summary>
/// docs/cli-compat.md (issue 15's "done means"): every row that says **same** names the test that shows it, and
/// every test a row names exists in tests/ (a renamed or deleted test breaks its row).
/// </summary>
public sealed partial class CliCompatDocTests
{
    private static readonly string Root = ProjectGraph.OfRepository().Root;

    private static IEnumerable<string> Rows() =>
        File.ReadLines(Path.Combine(Root, "docs", "cli-compat.md")).Where(l => l.StartsWith('|'));

    [Fact]
    public void Every_same_row_names_a_test()
    {
        var bare = Rows().Where(r => r.Contains("**same**", StringComparison.Ordinal) && Citations(r).Count == 0).ToList();
        Assert.True(bare.Count == 0, "rows marked **same** without a test:\n" + string.Join('\n', bare.Select(r => r[..Math.Min(r.Length, 120)])));
    }

    [Fact]
    public void Every_test_a_row_names_exists()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(Root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText).ToList();
        var cited = Rows().SelectMany(Citations).Distinct(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(cited);
        var missing = cited.Where(name =>
        {
            var parts = name.Split('.');
            var type = parts[^2].Split('+')[^1];
            return !sources.Any(s => Regex.IsMatch(s, $@"\b(class|record) {type}\b") && Regex.IsMatch(s, $@"\b(Task|void) {parts[^1]}\s*\("));
        }).ToList();
        Assert.True(missing.Count == 0, "docs/cli-compat.md names tests that do not exist: " + string.Join(", ", missing));
    }

    /// <summary>The tests a row names: `Class.Method` (or `Class+Nested.Method`), the class's name ending in Tests.</summary>
    private static List<string> Citations(string row) => [.. NamePattern().Matches(row).Select(n => n.Groups[1].Value)];

    [GeneratedRegex(@"`(\w+Tests(?:\+\w+)?\.\w+)`")]
    private static partial Regex NamePattern();
}
