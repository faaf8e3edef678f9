using System.Text.RegularExpressions;

namespace Sp.Architecture.Tests;

/// <summary>
/// The rules of docs/architecture.md, checked on the ProjectReference/PackageReference graph of src/*/*.csproj
/// (transitively), and that the graph the document draws is the one the project files declare.
/// </summary>
public sealed partial class DependencyRuleTests
{
    private static readonly ProjectGraph Graph = ProjectGraph.OfRepository();

    /// <summary>Everything a client runs: the command-line programs, the loader, and the libraries they share.</summary>
    public static TheoryData<string> Clients => ["Spctl", "ProviderTools", "SpDevnet", "Sp.Tee", "Sp.Client", "Sp.Cli", "Sp.Cmdline", "Sp.Api", "Sp.Ui"];

    private static readonly string[] Drivers = ["Npgsql", "Microsoft.Data.Sqlite"];

    public static TheoryData<string> DatabaseDrivers => [.. Drivers];

    [Theory]
    [MemberData(nameof(Clients))]
    public void No_client_reaches_a_database_driver(string client)
    {
        foreach (var driver in Drivers)
            Assert.True(Graph.PathTo(client, driver) is null, $"{client} ships {driver}: {Graph.PathTo(client, driver)}");
    }

    [Theory]
    [MemberData(nameof(DatabaseDrivers))]
    public void Only_the_ledger_stores_declare_a_database_driver(string driver) =>
        Assert.Equal(["Sp.Ledger.Stores"], Graph.Projects.Values.Where(p => p.PackageReferences.Contains(driver)).Select(p => p.Name));

    [Fact]
    public void Only_the_node_references_the_ledger_stores() =>
        Assert.Equal(["Sp.Node"], Graph.Projects.Values.Where(p => p.ProjectReferences.Contains("Sp.Ledger.Stores")).Select(p => p.Name));

    [Theory]
    [InlineData("Sp.Ledger")]
    [InlineData("Sp.Tlog")]
    public void The_ledger_and_its_log_reach_no_store(string project)
    {
        Assert.Null(Graph.PathTo(project, "Sp.Ledger.Stores"));
        foreach (var driver in Drivers) Assert.Null(Graph.PathTo(project, driver));
    }

    [Fact]
    public void The_transparency_log_stands_alone() =>
        Assert.Empty(Graph["Sp.Tlog"].ProjectReferences);

    [Theory]
    [InlineData("Sp.Client")]
    [InlineData("Sp.Cli")]
    public void The_node_does_not_reach_client_code(string client) =>
        Assert.True(Graph.PathTo("Sp.Node", client) is null, $"sp-node reaches {client}: {Graph.PathTo("Sp.Node", client)}");

    [Fact]
    public void The_http_contracts_sit_below_node_and_clients()
    {
        Assert.Null(Graph.PathTo("Sp.Api", "Sp.Client"));
        Assert.Null(Graph.PathTo("Sp.Api", "Sp.Node"));
        Assert.Contains("Sp.Api", Graph["Sp.Node"].ProjectReferences);
        Assert.Contains("Sp.Api", Graph.ReachableProjects("Sp.Client"));
    }

    /// <summary>The API's messages are DTOs of their own: a state record (Sp.Ledger.State) cannot be one, so a new
    /// state member changes the state and its digest, never the API.</summary>
    [Fact]
    public void The_http_contracts_do_not_reach_the_ledger()
    {
        Assert.True(Graph.PathTo("Sp.Api", "Sp.Ledger") is null, $"Sp.Api reaches the ledger: {Graph.PathTo("Sp.Api", "Sp.Ledger")}");
        Assert.Equal(["Sp.Core", "Sp.Crypto"], Graph.ReachableProjects("Sp.Api"));
    }

    [Fact]
    public void Only_the_command_line_programs_reach_the_cli_plumbing()
    {
        // Sp.Ui is spctl's browser front (`spctl ui`, in the spctl process): it runs the commands' operations.
        var reaching = Graph.Projects.Keys.Where(p => p != "Sp.Cli" && Graph.ReachableProjects(p).Contains("Sp.Cli")).Order(StringComparer.Ordinal);
        Assert.Equal(["ProviderTools", "Sp.Ui", "SpDevnet", "Spctl"], reaching);
    }

    [Fact]
    public void One_command_line_library_declared_once_and_reached_by_all_five_programs()
    {
        Assert.Equal(["Sp.Cmdline"], Graph.Projects.Values.Where(p => p.PackageReferences.Contains("System.CommandLine")).Select(p => p.Name));
        foreach (var program in new[] { "Spctl", "ProviderTools", "SpDevnet", "Sp.Node", "Sp.Tee", "SpWitness" })
            Assert.Contains("Sp.Cmdline", Graph.ReachableProjects(program));
    }

    [Theory]
    [InlineData("Sp.Ledger")]
    [InlineData("Sp.Node")]
    [InlineData("Sp.Client")]
    [InlineData("Sp.Api")]
    public void The_witness_stands_apart_from_what_it_watches(string project) =>
        Assert.True(Graph.PathTo("SpWitness", project) is null, $"sp-witness reaches {project}: {Graph.PathTo("SpWitness", project)}");

    [Fact]
    public void Only_the_loader_declares_the_docker_client() =>
        Assert.Equal(["Sp.Tee"], Graph.Projects.Values.Where(p => p.PackageReferences.Contains("Docker.DotNet")).Select(p => p.Name));

    [Fact]
    public void Only_the_docker_runtime_mentions_the_docker_client()
    {
        var docker = Path.Combine(Graph.Root, "src", "Sp.Tee", "Runtime", "Docker") + Path.DirectorySeparatorChar;
        var mentions = SourceFiles()
            .Where(f => !f.StartsWith(docker, StringComparison.Ordinal) && File.ReadAllText(f).Contains("Docker.DotNet", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Graph.Root, f));
        Assert.Empty(mentions);
    }

    [Fact]
    public void The_documented_graph_is_the_graph_of_the_project_files()
    {
        var doc = File.ReadAllText(Path.Combine(Graph.Root, "docs", "architecture.md"));
        var documented = EdgePattern().Matches(doc).Select(m => $"{Name(m.Groups[1].Value)} -> {Name(m.Groups[2].Value)}").Order(StringComparer.Ordinal);
        var declared = Graph.Projects.Values.SelectMany(p => p.ProjectReferences.Select(r => $"{p.Name} -> {r}")).Order(StringComparer.Ordinal);
        Assert.Equal(declared, documented);

        // Each project has its row: | `Name` | assembly | holds | packages |, the packages in `code` as its .csproj declares them.
        foreach (var p in Graph.Projects.Values)
        {
            var row = RowPattern().Matches(doc).SingleOrDefault(m => m.Groups[1].Value == p.Name);
            Assert.True(row is not null, $"docs/architecture.md has no table row for {p.Name}");
            var packages = CodePattern().Matches(row.Groups[2].Value).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
            Assert.Equal(p.PackageReferences, packages);
        }
    }

    /// <summary>A mermaid node id is the project name with '_' for '.'.</summary>
    private static string Name(string mermaidId) => mermaidId.Replace('_', '.');

    private static IEnumerable<string> SourceFiles()
    {
        var sep = Path.DirectorySeparatorChar;
        return Directory.GetFiles(Path.Combine(Graph.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^\s*([A-Za-z_]+)\s*-->\s*([A-Za-z_]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex EdgePattern();

    [GeneratedRegex(@"^\|\s*`([A-Za-z.]+)`\s*\|[^|\n]*\|[^|\n]*\|([^|\n]*)\|\s*$", RegexOptions.Multiline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodePattern();
}
