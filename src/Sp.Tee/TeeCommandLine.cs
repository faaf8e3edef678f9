using System.CommandLine;
using Sp.Cmdline;
using Sp.Hosting;
using Sp.Tee.Loader;

namespace Sp.Tee;

/// <summary>sp-tee's command: <c>run --config tee.json [--log-level LEVEL]</c>, with its help.</summary>
public static class TeeCommandLine
{
    /// <param name="run">The loader itself: the config path and the log level; returns the exit code.</param>
    public static Command Tree(Func<string, Microsoft.Extensions.Logging.LogLevel, CancellationToken, Task<int>> run)
    {
        var config = Cli.Option("--config", "FILE", "The loader's configuration (tee.json, from `provider-tools register tee` or `sp-devnet up`)", required: true);
        var level = ProcessLogging.LevelOption();
        return Cli.Root("sp-tee", "The trusted loader of one TEE offer: takes its orders, runs their solutions, publishes reports and results.", [],
            Cli.Command("run", "Run the loader until stopped (Ctrl-C or SIGTERM)",
                (p, ct) => run(p.GetValue(config)!, ProcessLogging.ParseLevel(p.GetValue(level)), ct),
                config, level));
    }
}
