using Sp.Cmdline;
using SpDevnet;

// sp-devnet: a whole network on one machine.   sp-devnet up DIR [--log-level LEVEL] | down DIR | status DIR
// (LEVEL: the log level of sp-node and sp-tee, trace|debug|information|warning|error; their logs are DIR/logs/*.log)
// Usage errors exit 2; `sp-devnet --help` and `sp-devnet up --help` describe each command.
try
{
    return await CliRunner.InvokeAsync(DevnetCommandLine.Tree(), args);
}
catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or Sp.Core.SpError)
{
    Console.Error.WriteLine($"sp-devnet: {e.Message}");
    return 1;
}
