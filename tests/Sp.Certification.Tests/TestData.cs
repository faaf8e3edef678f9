namespace Sp.Certification.Tests;

/// <summary>
/// Finds the shared, read-only test data: env SP_TESTDATA, else walking up from the test binary until a
/// folder whose parent holds shared/testdata (the repository root sits beside shared/).
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> RootDirectory = new(Locate);

    public static string Root => RootDirectory.Value;

    public static string File(string relativePath) => Path.Combine(Root, relativePath);

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("SP_TESTDATA") is { Length: > 0 } fromEnv)
            return Directory.Exists(fromEnv) ? fromEnv : throw new DirectoryNotFoundException($"SP_TESTDATA={fromEnv}: no such folder");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            $"shared/testdata not found above {AppContext.BaseDirectory}; set SP_TESTDATA to the test data folder");
    }
}
