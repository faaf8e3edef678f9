namespace Sp.Testing;

/// <summary>
/// Where the published test vectors live: <c>tests/testdata</c> of this repository (copies of the project's shared
/// test data, each folder with the README that says where it came from), found by walking up from the test binary;
/// <c>$SP_TESTDATA</c> overrides it. Linked into each test project that reads vectors, so there is one locator.
/// </summary>
internal static class TestDataRoot
{
    public const string EnvironmentVariable = "SP_TESTDATA";

    private static readonly Lazy<string> Root = new(Locate);

    /// <summary>The test data folder.</summary>
    public static string Path => Root.Value;

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
            return Directory.Exists(fromEnv)
                ? fromEnv
                : throw new DirectoryNotFoundException($"{EnvironmentVariable}={fromEnv} is not a directory");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "testdata");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            $"no tests/testdata above {AppContext.BaseDirectory}; set {EnvironmentVariable} to the test data folder");
    }
}
