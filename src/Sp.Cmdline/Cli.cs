using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Sp.Cmdline;

/// <summary>
/// Declares a program's command tree in one expression: <see cref="Root"/>, <see cref="Group"/> and <see cref="Command"/>
/// take their options and arguments as built by <see cref="Option"/>, <see cref="Flag"/>, <see cref="Many"/>,
/// <see cref="Arg"/> and <see cref="Args"/>. Every symbol carries its description (and default) for <c>--help</c>;
/// <see cref="CliRunner"/> parses and invokes, and maps usage errors to exit code 2.
/// </summary>
public static class Cli
{
    /// <summary>The program: <c>-h/--help</c> on every command, <c>-V/--version</c>, its global options and commands.</summary>
    public static Command Root(string program, string description, IEnumerable<Option> globalOptions, params Command[] commands)
    {
        var root = new Command(program, description) { new HelpOption() };
        root.Add(new Option<bool>("--version", "-V") { Description = "Show the program's name and version", Action = new VersionAction(program) });
        foreach (var o in globalOptions)
        {
            o.Recursive = true;
            root.Add(o);
        }
        foreach (var c in commands) root.Add(c);
        return root;
    }

    /// <summary>A command that only holds subcommands (<c>spctl orders</c>).</summary>
    public static Command Group(string name, string description, params Command[] commands)
    {
        var group = new Command(name, description);
        foreach (var c in commands) group.Add(c);
        return group;
    }

    /// <summary>A command that runs: its action returns the exit code.</summary>
    public static Command Command(string name, string description, Func<ParseResult, CancellationToken, Task<int>> action, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var s in symbols)
        {
            switch (s)
            {
                case Option o: command.Add(o); break;
                case Argument a: command.Add(a); break;
                default: throw new ArgumentException($"{s.Name}: a command holds options and arguments", nameof(symbols));
            }
        }
        command.SetAction(action);
        return command;
    }

    /// <summary>An option with one value: <c>--name VALUE</c> (or <c>--name=VALUE</c>). Given twice, it is a usage error.</summary>
    /// <param name="value">The value's placeholder in help, e.g. <c>FILE</c>.</param>
    /// <param name="defaultValue">Shown in help as <c>[default: …]</c>. The command applies it when the option is absent.</param>
    public static Option<string> Option(string name, string value, string description, string? defaultValue = null, bool required = false,
                                        string[]? aliases = null, string[]? only = null)
    {
        var o = new Option<string>(name, aliases ?? []) { Description = description, HelpName = value, Required = required };
        if (defaultValue is not null) o.DefaultValueFactory = _ => defaultValue;
        if (only is not null) o.AcceptOnlyFromAmong(only);
        return o;
    }

    /// <summary>A repeatable option: <c>--name A --name B</c>, each occurrence one value.</summary>
    public static Option<string[]> Many(string name, string value, string description, bool required = false) =>
        new(name) { Description = description, HelpName = value, Required = required, AllowMultipleArgumentsPerToken = false };

    /// <summary>A boolean flag: <c>--name</c> alone sets it (<c>--name true|false</c> also parses).</summary>
    public static Option<bool> Flag(string name, string description, string[]? aliases = null) =>
        new(name, aliases ?? []) { Description = description };

    /// <summary>A flag the original accepts that has no effect here: accepted so scripts keep working, then ignored.</summary>
    public static Option<bool> Accepted(string name, string description) => new AcceptedFlag(name) { Description = description };

    /// <summary>One positional argument (optional ones may be left out from the end).</summary>
    public static Argument<string> Arg(string name, string description, bool optional = false, string[]? only = null)
    {
        var a = new Argument<string>(name) { Description = description, Arity = optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne };
        if (only is not null) a.AcceptOnlyFromAmong(only);
        return a;
    }

    /// <summary>One or more positional arguments (<c>orders cancel ID [ID …]</c>).</summary>
    public static Argument<string[]> Args(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.OneOrMore };

    /// <summary>True for an option made by <see cref="Accepted"/>: the command does not read it.</summary>
    public static bool IsAccepted(Option option) => option is AcceptedFlag;

    /// <summary>Every command of the tree, the root first, each with the words that invoke it (<c>orders list</c>).</summary>
    public static IEnumerable<(string Path, Command Command)> Walk(Command root)
    {
        var pending = new Stack<(string, Command)>([(root.Name, root)]);
        while (pending.Count > 0)
        {
            var (path, c) = pending.Pop();
            yield return (path, c);
            foreach (var s in c.Subcommands.Reverse()) pending.Push(($"{path} {s.Name}", s));
        }
    }

    /// <summary>The program's version: the assembly's informational version without its build metadata.</summary>
    public static string Version()
    {
        var assembly = Assembly.GetEntryAssembly() ?? typeof(Cli).Assembly;
        var v = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = v.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? v : v[..plus];
    }

    private sealed class AcceptedFlag(string name) : Option<bool>(name);

    /// <summary><c>-V/--version</c>: <c>spctl 1.0.0</c> on stdout, exit 0, whatever else the line holds.</summary>
    private sealed class VersionAction(string program) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"{program} {Version()}");
            return 0;
        }
    }
}
