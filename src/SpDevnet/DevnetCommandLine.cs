using System.CommandLine;
using Sp.Cmdline;

namespace SpDevnet;

/// <summary>sp-devnet's commands: <c>up DIR [--log-level LEVEL]</c>, <c>down DIR</c>, <c>status DIR</c>.</summary>
public static class DevnetCommandLine
{
    public const string LevelNames = "trace|debug|information|warning|error";

    public static Command Tree()
    {
        var upDir = Dir();
        var logLevel = Cli.Option("--log-level", "LEVEL", $"The log level of sp-node and sp-tee ({LevelNames}; their logs are DIR/logs/*.log)",
            defaultValue: "information", only: ["trace", "debug", "information", "info", "warning", "warn", "error"]);
        var downDir = Dir();
        var statusDir = Dir();
        return Cli.Root("sp-devnet", "A whole network on one machine: a node and one TEE loader, and alice/ and bob/ client folders.", [],
            Cli.Command("up", "Start the devnet in DIR (created when missing; its state survives down and up)",
                // Only an explicit level is passed on: sp-node and sp-tee keep their own default otherwise.
                (p, _) => Devnet.UpAsync(Path.GetFullPath(p.GetValue(upDir)!), p.GetResult(logLevel) is { Implicit: false } ? p.GetValue(logLevel) : null),
                upDir, logLevel),
            Cli.Command("down", "Stop the devnet in DIR", (p, _) => Devnet.DownAsync(Path.GetFullPath(p.GetValue(downDir)!)), downDir),
            Cli.Command("status", "Show the node's URL and whether the node and the loader of the devnet in DIR are running", (p, _) => Devnet.StatusAsync(Path.GetFullPath(p.GetValue(statusDir)!)), statusDir));
    }

    private static Argument<string> Dir() => Cli.Arg("dir", "The devnet's folder");
}
