using System.Xml.Linq;

namespace Sp.Architecture.Tests;

/// <summary>One project of src/: its name (the .csproj's), the assembly it builds, and what its .csproj declares.</summary>
public sealed record SourceProject(string Name, string AssemblyName, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> PackageReferences);

/// <summary>
/// The ProjectReference/PackageReference graph of src/*/*.csproj, read from the files (not from a build), so a rule
/// fails as soon as someone writes a reference that breaks it.
/// </summary>
public sealed class ProjectGraph
{
    private ProjectGraph(string root, IReadOnlyDictionary<string, SourceProject> projects)
    {
        Root = root;
        Projects = projects;
    }

    /// <summary>The repository (the folder of ConfidentialCollaboration.slnx).</summary>
    public string Root { get; }

    public IReadOnlyDictionary<string, SourceProject> Projects { get; }

    /// <summary>The graph of this repository, found by walking up from the test binary.</summary>
    public static ProjectGraph OfRepository() => Load(FindRoot());

    public static ProjectGraph Load(string root)
    {
        var projects = new Dictionary<string, SourceProject>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var project = Read(file);
            projects.Add(project.Name, project);
        }
        foreach (var p in projects.Values)
            foreach (var r in p.ProjectReferences)
                if (!projects.ContainsKey(r)) throw new InvalidDataException($"{p.Name} references {r}, which is not a project of src/");
        return new ProjectGraph(root, projects);
    }

    private static SourceProject Read(string file)
    {
        var xml = XDocument.Load(file);
        var name = Path.GetFileNameWithoutExtension(file);
        var assembly = xml.Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault() ?? name;
        var projects = xml.Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(((string?)e.Attribute("Include") ?? "").Replace('\\', '/')))
            .Order(StringComparer.Ordinal).ToList();
        var packages = xml.Descendants("PackageReference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .Order(StringComparer.Ordinal).ToList();
        return new SourceProject(name, assembly, projects, packages);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ConfidentialCollaboration.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no ConfidentialCollaboration.slnx above {AppContext.BaseDirectory}");
    }

    public SourceProject this[string name] =>
        Projects.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"no project {name} in src/");

    /// <summary>Every project <paramref name="name"/> reaches through ProjectReferences, itself excluded.</summary>
    public IReadOnlySet<string> ReachableProjects(string name)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(this[name].ProjectReferences);
        while (todo.TryPop(out var next))
            if (seen.Add(next))
                foreach (var r in this[next].ProjectReferences) todo.Push(r);
        return seen;
    }

    /// <summary>The path by which <paramref name="from"/> reaches <paramref name="to"/> (a project, or a package
    /// declared by a project), e.g. "Spctl -> Sp.Client -> Sp.Ledger -> Npgsql"; null when it does not.</summary>
    public string? PathTo(string from, string to)
    {
        var previous = new Dictionary<string, string?>(StringComparer.Ordinal) { [from] = null };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var at))
        {
            var p = this[at];
            if ((p.Name == to && at != from) || p.PackageReferences.Contains(to)) return Describe(at, previous) + (p.Name == to ? "" : " -> " + to);
            foreach (var r in p.ProjectReferences)
                if (previous.TryAdd(r, at)) queue.Enqueue(r);
        }
        return null;
    }

    private static string Describe(string at, Dictionary<string, string?> previous)
    {
        var chain = new List<string>();
        for (string? n = at; n is not null; n = previous[n]) chain.Add(n);
        chain.Reverse();
        return string.Join(" -> ", chain);
    }
}
