namespace Sp.Crypto.Tests;

/// <summary>Finds shared/testdata: $SP_TESTDATA, or walking up from the test binary to a folder holding shared/testdata.</summary>
internal static class TestData
{
    public const string EnvironmentVariable = "SP_TESTDATA";

    public static string Root { get; } = Locate();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

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
}
