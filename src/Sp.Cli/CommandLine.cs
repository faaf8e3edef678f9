using Sp.Core;
using Sp.Core.Ids;

namespace Sp.Cli;

/// <summary>
/// A parsed command line: positionals, `--name value` options (repeatable) and `--flag` switches. The switches a
/// command accepts are declared, so `--flag value` is never misread. Unknown options are an error naming them.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = new();

    public static CommandLine Parse(IReadOnlyList<string> args, IEnumerable<string> switches)
    {
        var sw = new HashSet<string>(switches, StringComparer.Ordinal);
        var cl = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? value = null;
                var eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                if (sw.Contains(name) && value is null) { cl._flags.Add(name); continue; }
                if (value is null)
                {
                    if (i + 1 >= args.Count) throw new UserError($"option --{name} needs a value");
                    value = args[++i];
                }
                if (!cl._options.TryGetValue(name, out var list)) cl._options[name] = list = new List<string>();
                list.Add(value);
            }
            else cl.Positionals.Add(a);
        }
        return cl;
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        return _flags.Contains(name);
    }

    public string? Option(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var l) ? l[^1] : null;
    }

    public IReadOnlyList<string> Options(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var l) ? l : [];
    }

    public string Required(string name, string what) =>
        Option(name) ?? throw new UserError($"missing --{name} <{what}>");

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new UserError($"missing argument <{what}>");

    /// <summary>The positional argument <paramref name="index"/> as a ledger id (<see cref="LedgerId.Parse{T}"/>).</summary>
    public T PositionalId<T>(int index, string what) where T : struct, ILedgerId<T> => LedgerId.Parse<T>(Positional(index, what), what);

    /// <summary>Call after reading every option: refuses options the command does not know.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Concat(_flags).Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UserError($"unknown option --{unknown[0]}", "see --help for the options of this command");
    }
}
