using System.CommandLine;
using Sp.Cmdline;
using Sp.Hosting;

namespace Sp.Witness;

/// <summary>sp-witness's commands: <c>init DIR --name NAME [--log KEY]…</c> and <c>run DIR</c>, each with its help.</summary>
public static class WitnessCommandLine
{
    public static Command Tree(TimeProvider time)
    {
        var initDir = Cli.Arg("dir", "The witness's folder to create");
        var name = Cli.Option("--name", "NAME", "The witness's name (its key's name, e.g. witness.example/w1)", required: true);
        var logs = Cli.Many("--log", "KEY|FILE", "A log to witness: its verifier key, or a file holding it (a node's log-key.pub); repeatable");
        var runDir = Cli.Arg("dir", "The witness's folder (from `sp-witness init`)");
        var urls = Cli.Option("--urls", "URL", "Where to listen", defaultValue: "http://127.0.0.1:8090");
        var level = ProcessLogging.LevelOption();
        return Cli.Root("sp-witness", "A C2SP tlog-witness: cosigns a log's checkpoints that are consistent with those it cosigned before.", [],
            Cli.Command("init", "Create a witness folder: a new cosigner key and the logs it witnesses",
                (p, _) => Task.FromResult(WitnessFolder.Init(p.GetValue(initDir)!, p.GetValue(name)!, p.GetValue(logs) ?? [], Console.Out)),
                initDir, name, logs),
            Cli.Command("run", "Serve a witness folder (POST /add-checkpoint)",
                (p, ct) => WitnessHost.RunAsync(p.GetValue(runDir)!, p.GetValue(urls)!, ProcessLogging.ParseLevel(p.GetValue(level)), time, ct),
                runDir, urls, level));
    }
}
