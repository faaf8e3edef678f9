using SpDevnet;

// sp-devnet: a whole network on one machine.   sp-devnet up DIR [--log-level LEVEL] | down DIR | status DIR
// (LEVEL: the log level of sp-node and sp-tee, trace|debug|information|warning|error; their logs are DIR/logs/*.log)
try
{
    return args switch
    {
        ["up", var dir] => await Devnet.UpAsync(Path.GetFullPath(dir)),
        ["up", var dir, "--log-level", var level] => await Devnet.UpAsync(Path.GetFullPath(dir), level),
        ["down", var dir] => await Devnet.DownAsync(Path.GetFullPath(dir)),
        ["status", var dir] => await Devnet.StatusAsync(Path.GetFullPath(dir)),
        _ => Usage(),
    };
}
catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or Sp.Core.SpError)
{
    Console.Error.WriteLine($"sp-devnet: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: sp-devnet up DIR [--log-level trace|debug|information|warning|error] | down DIR | status DIR");
    return 2;
}
