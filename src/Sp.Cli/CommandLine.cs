using System.CommandLine;
using System.CommandLine.Parsing;
using Sp.Cmdline;
using Sp.Core;
using Sp.Core.Ids;

namespace Sp.Cli;

/// <summary>
/// What a command handler reads: its positional arguments and the options given on the line, taken from a
/// System.CommandLine parse (the tree of <see cref="Sp.Cmdline.Cli"/> has already refused unknown options, missing arguments and
/// required options, with exit code 2). An option absent from the line reads as null (the handler applies its
/// default, the one help shows); a flag reads as true only when given (<c>--flag</c> or <c>--flag true</c>).
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _given = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = new();

    /// <summary>The arguments of the command the line reached, and the options given to it or to its parents.</summary>
    public static CommandLine From(ParseResult result)
    {
        var cl = new CommandLine();
        foreach (var a in result.CommandResult.Children.OfType<ArgumentResult>())
            cl.Positionals.AddRange(a.Tokens.Select(t => t.Value));
        for (SymbolResult? r = result.CommandResult; r is not null; r = r.Parent)
        {
            if (r is not CommandResult c) continue;
            foreach (var o in c.Children.OfType<OptionResult>().Where(o => !o.Implicit))
            {
                var name = o.Option.Name.TrimStart('-');
                cl._given.Add(name);
                if (Sp.Cmdline.Cli.IsAccepted(o.Option)) cl._used.Add(name);
                if (o.Option.ValueType == typeof(bool))
                {
                    if (o.GetValueOrDefault<bool>()) cl._flags.Add(name);
                }
                else
                {
                    if (!cl._options.TryGetValue(name, out var list)) cl._options[name] = list = new List<string>();
                    list.AddRange(o.Tokens.Select(t => t.Value));
                }
            }
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
        return _options.TryGetValue(name, out var l) && l.Count > 0 ? l[^1] : null;
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

    /// <summary>
    /// Call after reading every option. The parser refuses unknown options; an option the tree declares and the
    /// handler never reads is a mismatch between the two (a bug of ours), reported rather than silently ignored.
    /// </summary>
    public void RejectUnknown()
    {
        var unread = _given.Where(k => !_used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unread.Count > 0) throw new InvalidOperationException($"option --{unread[0]} is declared for this command but its handler does not read it");
    }
}
