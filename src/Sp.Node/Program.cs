using Sp.Node;

// sp-node: the network's back end (ledger, marketplace state, certification system, embedded storage).
//   sp-node init DIR [--network NAME]     create a node's data folder (Root CA, sim platform key, policy, ledger)
//   sp-node run DIR [--urls URL] [--log-level LEVEL]
//                                         serve it (default http://127.0.0.1:8080; LEVEL trace|debug|information|warning|error,
//                                         default information; docs/logging.md)
//   sp-node log export OUT [NODE_DIR]     write the transparency log as static tlog-tiles files under OUT
//                                         (NODE_DIR: the node's folder, default the current folder)
//   init options: --log-origin NAME (default sp-devnet.local/NETWORK), --store sqlite|postgres, --postgres CONNECTION
try
{
    return args switch
    {
        ["init", var dir, .. var rest] => NodeInit.Run(dir, Opt(rest, "--network") ?? "devnet", TimeProvider.System,
            LogInit.FromOptions(Opt(rest, "--log-origin"), Opt(rest, "--store"), Opt(rest, "--postgres"))),
        ["log", "export", var outDir, var nodeDir] => await LogExport.RunAsync(outDir, nodeDir, TimeProvider.System),
        ["log", "export", var outDir] => await LogExport.RunAsync(outDir, Directory.GetCurrentDirectory(), TimeProvider.System),
        ["run", var dir, .. var rest] => await NodeHost.RunAsync(dir, Opt(rest, "--urls") ?? "http://127.0.0.1:8080", NodeLogging.ParseLevel(Opt(rest, "--log-level")), TimeProvider.System),
        _ => Usage(),
    };
}
catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException
                               or Sp.Ledger.Service.LedgerCorruptedException or Sp.Ledger.Log.LogConsistencyException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine($"sp-node: {e.Message}");
    return 1;
}

static string? Opt(string[] rest, string name)
{
    var i = Array.IndexOf(rest, name);
    return i >= 0 && i + 1 < rest.Length ? rest[i + 1] : null;
}

static int Usage()
{
    Console.Error.WriteLine("usage: sp-node init DIR [--network NAME] [--log-origin NAME] [--store sqlite|postgres --postgres CONNECTION] | sp-node run DIR [--urls URL] [--log-level trace|debug|information|warning|error] | sp-node log export OUT [NODE_DIR]");
    return 2;
}
