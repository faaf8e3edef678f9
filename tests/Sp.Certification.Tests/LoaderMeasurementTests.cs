using Sp.Attestation;

namespace Sp.Certification.Tests;

public sealed class LoaderMeasurementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-loader-").FullName;

    public LoaderMeasurementTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "a"));
        File.WriteAllText(Path.Combine(_dir, "b.txt"), "hello");
        File.WriteAllBytes(Path.Combine(_dir, "a", "x.bin"), []);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Matches_the_documented_vector()
    {
        // docs/formats-sim-evidence.md: files b.txt = "hello", a/x.bin = empty.
        var measurement = LoaderMeasurement.OfFiles(_dir, ["b.txt", "a/x.bin"]);
        Assert.Equal("681305c041c01cb452ca054f1b290cb590d59268fabd23b549e7840aa2621f02", Convert.ToHexStringLower(measurement));
    }

    [Fact]
    public void Does_not_depend_on_the_order_files_are_listed_in()
    {
        Assert.Equal(LoaderMeasurement.OfFiles(_dir, ["b.txt", "a/x.bin"]), LoaderMeasurement.OfFiles(_dir, ["a/x.bin", "b.txt"]));
    }

    [Fact]
    public void A_changed_loader_file_gives_a_different_measurement()
    {
        var before = LoaderMeasurement.OfFiles(_dir, ["b.txt", "a/x.bin"]);
        File.WriteAllText(Path.Combine(_dir, "b.txt"), "hellO");
        Assert.NotEqual(before, LoaderMeasurement.OfFiles(_dir, ["b.txt", "a/x.bin"]));
    }

    [Fact]
    public void A_renamed_loader_file_gives_a_different_measurement()
    {
        var before = LoaderMeasurement.OfFiles(_dir, ["b.txt", "a/x.bin"]);
        File.Move(Path.Combine(_dir, "b.txt"), Path.Combine(_dir, "c.txt"));
        Assert.NotEqual(before, LoaderMeasurement.OfFiles(_dir, ["c.txt", "a/x.bin"]));
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => LoaderMeasurement.OfFiles(_dir, ["b.txt", "nope.dll"]));
        Assert.Contains("nope.dll", e.Message);
    }

    [Theory]
    [InlineData("../b.txt")]
    [InlineData("")]
    public void Paths_outside_the_directory_are_refused(string path)
    {
        Assert.Throws<ArgumentException>(() => LoaderMeasurement.OfFiles(_dir, [path]));
    }

    [Fact]
    public void A_file_listed_twice_is_refused()
    {
        Assert.Throws<ArgumentException>(() => LoaderMeasurement.OfFiles(_dir, ["b.txt", "b.txt"]));
    }
}
