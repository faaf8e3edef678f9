using Sp.Cmdline;
using Sp.Node;

// sp-node: the network's back end (ledger, marketplace state, certification system, embedded storage).
//   sp-node init DIR [--network NAME]     create a node's data folder (Root CA, sim platform key, policy, ledger)
//   sp-node run DIR [--urls URL] [--log-level LEVEL]
//                                         serve it (default http://127.0.0.1:8080; LEVEL trace|debug|information|warning|error,
//                                         default information; docs/logging.md)
//   sp-node log export OUT [NODE_DIR]     write the transparency log as static tlog-tiles files under OUT
//                                         (NODE_DIR: the node's folder, default the current folder)
//   init options: --log-origin NAME (default sp-devnet.local/NETWORK), --store sqlite|postgres, --postgres CONNECTION
//   Usage errors exit 2; `sp-node --help`, `sp-node init --help` … describe each command and option.
try
{
    return await CliRunner.InvokeAsync(NodeCommandLine.Tree(TimeProvider.System), args);
}
catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException
                               or Sp.Ledger.Service.LedgerCorruptedException or Sp.Ledger.Log.LogConsistencyException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine($"sp-node: {e.Message}");
    return 1;
}
