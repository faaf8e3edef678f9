namespace Sp.Storage.Tests;

/// <summary>Finds shared/testdata ($SP_TESTDATA, or walking up from the test binary) and the repository root.</summary>
internal static class TestData
{
    public const string EnvironmentVariable = "SP_TESTDATA";

    private static readonly Lazy<string> LazyRoot = new(Locate);
    private static readonly Lazy<string> LazyRepository = new(LocateRepository);

    public static string Root => LazyRoot.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The repository root: the nearest folder above the test binary holding scripts/ensure-s3rver.sh.</summary>
    public static string RepositoryRoot => LazyRepository.Value;

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
            return Directory.Exists(fromEnv)
                ? fromEnv
                : throw new DirectoryNotFoundException($"{EnvironmentVariable}={fromEnv} is not a directory");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            $"no shared/testdata above {AppContext.BaseDirectory}; set {EnvironmentVariable} to the test data folder");
    }

    private static string LocateRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "ensure-s3rver.sh"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no scripts/ensure-s3rver.sh above {AppContext.BaseDirectory}");
    }
}
