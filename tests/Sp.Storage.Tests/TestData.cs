namespace Sp.Storage.Tests;

/// <summary>The published test vectors in tests/testdata (<see cref="Sp.Testing.TestDataRoot"/>).</summary>
internal static class TestData
{
    public const string EnvironmentVariable = "SP_TESTDATA";

    private static readonly Lazy<string> LazyRoot = new(Locate);
    private static readonly Lazy<string> LazyRepository = new(LocateRepository);

    public static string Root => LazyRoot.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The repository root: the nearest folder above the test binary holding scripts/ensure-s3rver.sh.</summary>
    public static string RepositoryRoot => LazyRepository.Value;

    private static string Locate() => Sp.Testing.TestDataRoot.Path;

    private static string LocateRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "ensure-s3rver.sh"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no scripts/ensure-s3rver.sh above {AppContext.BaseDirectory}");
    }
}
