namespace Sp.Certification.Tests;

/// <summary>
/// Finds the shared, read-only test data: env SP_TESTDATA, else walking up from the test binary until a
/// folder whose parent holds tests/testdata (the repository root sits beside shared/).
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> RootDirectory = new(Locate);

    public static string Root => RootDirectory.Value;

    public static string File(string relativePath) => Path.Combine(Root, relativePath);

    private static string Locate() => Sp.Testing.TestDataRoot.Path;
}
