using System.CommandLine;
using Sp.Cmdline;
using Sp.Hosting;

namespace Sp.Node;

/// <summary>
/// sp-node's commands: <c>init DIR</c>, <c>run DIR</c>, <c>log export OUT [NODE_DIR]</c>, each with its help.
/// The actions run in <c>Program.cs</c>, which maps the node's failures to exit code 1.
/// </summary>
public static class NodeCommandLine
{
    public static Command Tree(TimeProvider time)
    {
        var initDir = Cli.Arg("dir", "The node's data folder to create");
        var network = Cli.Option("--network", "NAME", "The network's name", defaultValue: "devnet");
        var origin = Cli.Option("--log-origin", "NAME", "The transparency log's origin line (default: sp-devnet.local/NETWORK)");
        var store = Cli.Option("--store", "sqlite|postgres", "Where the ledger is stored (default: sqlite; postgres with --postgres)", only: ["sqlite", "postgres"]);
        var postgres = Cli.Option("--postgres", "CONNECTION", "PostgreSQL connection string, e.g. \"Host=...;Port=...;Username=...;Database=...\" (implies --store postgres)");
        var runDir = Cli.Arg("dir", "The node's data folder (from `sp-node init`)");
        var urls = Cli.Option("--urls", "URL", "Where to listen", defaultValue: "http://127.0.0.1:8080");
        var level = ProcessLogging.LevelOption();
        var outDir = Cli.Arg("out", "The folder to write the tlog-tiles files into");
        var nodeDir = Cli.Arg("node-dir", "The node's folder (default: the current folder)", optional: true);
        return Cli.Root("sp-node", "The network's back end: ledger, marketplace state, certification system, embedded storage.", [],
            Cli.Command("init", "Create a node's data folder (Root CA, sim platform key, policy, ledger)",
                (p, _) => Task.FromResult(NodeInit.Run(p.GetValue(initDir)!, p.GetValue(network)!, time,
                    LogInit.FromOptions(p.GetValue(origin), p.GetValue(store), p.GetValue(postgres)))),
                initDir, network, origin, store, postgres),
            Cli.Command("run", "Serve a node's data folder", (p, _) => NodeHost.RunAsync(p.GetValue(runDir)!, p.GetValue(urls)!, ProcessLogging.ParseLevel(p.GetValue(level)), time),
                runDir, urls, level),
            Cli.Group("log", "The ledger's transparency log",
                Cli.Command("export", "Write the transparency log as static tlog-tiles files under OUT",
                    (p, _) => LogExport.RunAsync(p.GetValue(outDir)!, p.GetValue(nodeDir) ?? Directory.GetCurrentDirectory(), time),
                    outDir, nodeDir)));
    }
}
