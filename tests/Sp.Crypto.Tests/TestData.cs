namespace Sp.Crypto.Tests;

/// <summary>The published test vectors in tests/testdata (<see cref="Sp.Testing.TestDataRoot"/>).</summary>
internal static class TestData
{
    public const string EnvironmentVariable = "SP_TESTDATA";

    public static string Root { get; } = Locate();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Locate() => Sp.Testing.TestDataRoot.Path;
}
