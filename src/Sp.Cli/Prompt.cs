using Sp.Core;

namespace Sp.Cli;

/// <summary>
/// Questions on stdout, each answered by a typed line on stdin (a terminal or a pipe): provider-tools' dialog and
/// spctl setup's questions. A closed stdin is an error naming the question, never a silent default.
/// </summary>
public static class Prompt
{
    /// <summary>A question waits on its line (so an error first ends that line on stdout).</summary>
    public static bool Pending { get; private set; }

    /// <summary>No terminal on stdin: a command that would ask must take its answers from options instead.</summary>
    public static bool Interactive => !Console.IsInputRedirected;

    public static string Ask(string question)
    {
        Console.Write(question);
        Console.Out.Flush();
        Pending = true;
        var line = Console.ReadLine() ?? throw new UserError($"no answer to '{question.Trim()}' (end of input)");
        Pending = false; // answered: on a terminal its Enter ended the line
        return line.Trim();
    }

    /// <summary>y/yes or n/no, any case; three other answers in a row are an error.</summary>
    public static bool AskYesNo(string question)
    {
        for (var i = 0; i < 3; i++)
        {
            var a = Ask(question).ToLowerInvariant();
            if (a is "y" or "yes") return true;
            if (a is "n" or "no") return false;
            Console.WriteLine("Please answer y or n.");
        }
        throw new UserError($"no y/n answer to '{question.Trim()}'");
    }
}
