using System.CommandLine;
using System.CommandLine.Parsing;

namespace Sp.Cmdline;

/// <summary>
/// Parses a command line against a tree from <see cref="Cli"/> and runs it. Usage errors (an unknown command or
/// option, a missing argument or required option, a bad value) print one line on stderr,
/// <c>error: &lt;what&gt; (hint: did you mean …? see 'spctl orders list --help')</c>, and exit 2 without running
/// anything. <c>-h/--help</c> and <c>-V/--version</c> print on stdout and exit 0. Otherwise the command's action
/// runs and its exit code is returned; its exceptions reach the caller (each program maps its own errors to exit 1).
/// </summary>
public static class CliRunner
{
    public const int UsageExitCode = 2;

    /// <summary>Parses as <see cref="InvokeAsync"/> does: <c>help [command]</c> forms rewritten, no response files.</summary>
    public static ParseResult Parse(Command root, IReadOnlyList<string> args) =>
        root.Parse(RewriteHelpWord(root, args), new ParserConfiguration { ResponseFileTokenReplacer = null });

    public static async Task<int> InvokeAsync(Command root, IReadOnlyList<string> args, TextWriter? output = null, TextWriter? error = null,
                                              CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var result = Parse(root, args);
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        if (UsageError(result, args) is { } message)
        {
            if (IsMissingSubcommand(result))
            {
                // `spctl`, `spctl orders`: that command's help, on stderr.
                var help = Parse(root, [.. CommandWords(result), "--help"]);
                await help.InvokeAsync(new InvocationConfiguration { Output = error, Error = error }, cancellationToken);
                return UsageExitCode;
            }
            await error.WriteLineAsync($"error: {string.Join(' ', message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
            return UsageExitCode;
        }
        return await result.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>The one line describing what is wrong with the command line, or null when it parses.</summary>
    public static string? UsageError(ParseResult result, IReadOnlyList<string>? args = null)
    {
        var command = result.CommandResult.Command;
        var seeHelp = $"see '{string.Join(' ', CommandWords(result).Prepend(RootOf(result).Name))} --help'";
        // Unknown options: unmatched tokens, or tokens an argument took that look like options (`--colour`).
        var afterDoubleDash = args is null ? [] : args.SkipWhile(a => a != "--").Skip(1).ToHashSet(StringComparer.Ordinal);
        var swallowed = result.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .Where(v => LooksLikeOption(v) && !afterDoubleDash.Contains(v));
        var unknownOption = result.UnmatchedTokens.Where(LooksLikeOption).Concat(swallowed).FirstOrDefault();
        if (unknownOption is not null)
        {
            var name = unknownOption.Split('=', 2)[0];
            var nearest = Nearest(name, OptionNames(result));
            return $"unknown option {name} (hint: {(nearest is null ? "" : $"did you mean {nearest}? ")}{seeHelp})";
        }
        if (result.Errors.Count == 0) return null;
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            var nearest = Nearest(token, command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name)));
            var what = command.Subcommands.Count > 0 ? $"unknown command '{token}'" : $"unexpected argument '{token}'";
            return $"{what} (hint: {(nearest is null ? "" : $"did you mean '{nearest}'? ")}{seeHelp})";
        }
        var messages = result.Errors.Select(e => e.Message.TrimEnd('.')).Distinct(StringComparer.Ordinal);
        return $"{string.Join("; ", messages)} (hint: {seeHelp})";
    }

    /// <summary>The line names a group (or nothing) and no more: nothing unknown, only the subcommand is missing.</summary>
    private static bool IsMissingSubcommand(ParseResult result) =>
        result.CommandResult.Command is { Action: null, Subcommands.Count: > 0 } && result.UnmatchedTokens.Count == 0
        && result.Errors.All(e => e.SymbolResult is CommandResult);

    /// <summary>The words of the command the line reached, without the program's name (<c>orders list</c>).</summary>
    public static IEnumerable<string> CommandWords(ParseResult result)
    {
        var words = new List<string>();
        for (SymbolResult? r = result.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult c && c.Parent is not null) words.Insert(0, c.Command.Name);
        return words;
    }

    private static Command RootOf(ParseResult result) => result.RootCommandResult.Command;

    private static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !(token.Length > 1 && (char.IsDigit(token[1]) || token[1] == '.'));

    /// <summary>The option names valid where the line stopped: the command's own and the recursive ones above it.</summary>
    private static IEnumerable<string> OptionNames(ParseResult result)
    {
        var own = result.CommandResult.Command.Options.SelectMany(o => o.Aliases.Prepend(o.Name));
        var inherited = new List<string>();
        for (var r = result.CommandResult.Parent; r is not null; r = r.Parent)
            if (r is CommandResult c) inherited.AddRange(c.Command.Options.Where(o => o.Recursive).SelectMany(o => o.Aliases.Prepend(o.Name)));
        return own.Concat(inherited).Distinct(StringComparer.Ordinal);
    }

    /// <summary>The candidate closest to <paramref name="word"/> by edit distance, when it is close enough to be a typo.</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(word.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        var stem = word.TrimStart('-').Length;
        if (best is not null && bestDistance <= Math.Max(1, Math.Min(3, stem / 3))) return best;
        // A prefix of at least three letters is taken as the start of a name ("stat" for "status").
        return stem >= 3 ? candidates.FirstOrDefault(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)) : null;
    }

    private static int Distance(string a, string b)
    {
        // Optimal string alignment: insertions, deletions, substitutions and adjacent transpositions ("lsit").
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// <c>spctl help</c>, <c>spctl help orders list</c> and <c>spctl orders help list</c> (commander's forms) become
    /// <c>… --help</c> on the command named; the word is an ordinary argument anywhere else.
    /// </summary>
    private static IReadOnlyList<string> RewriteHelpWord(Command root, IReadOnlyList<string> args)
    {
        var command = root;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "help" && command.Subcommands.All(c => c.Name != "help") && command.Subcommands.Count > 0)
                return [.. args.Take(i), .. args.Skip(i + 1), "--help"];
            var next = command.Subcommands.FirstOrDefault(c => c.Name == args[i] || c.Aliases.Contains(args[i]));
            if (next is null) break;
            command = next;
        }
        return args;
    }
}
