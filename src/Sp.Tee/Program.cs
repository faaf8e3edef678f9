using Microsoft.Extensions.Logging;
using Sp.Tee.Loader;
using Sp.Tee.Runtime;
using Sp.Tee.Runtime.Docker;

// sp-tee: the trusted loader of one TEE offer.   sp-tee run --config tee.json [--log-level LEVEL]
// LEVEL: trace|debug|information|warning|error (default information; docs/logging.md).
if (args is not (["run", "--config", _] or ["run", "--config", _, "--log-level", _])
    || LoaderLogging.ParseLevel(args.Length == 5 ? args[4] : null) is not { } level)
{
    Console.Error.WriteLine($"usage: sp-tee run --config tee.json [--log-level {LoaderLogging.LevelNames}]");
    return 2;
}
var configPath = args[2];
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
// Disposed last: the console logger writes from a queue, flushed on dispose.
using var loggers = LoaderLogging.Create(level);
try
{
    var config = TeeConfig.Load(configPath);
    using var runtime = new DockerRuntime();
    using var tee = new TeeNode(config, Path.GetDirectoryName(Path.GetFullPath(configPath))!, runtime, TimeProvider.System, loggers);
    await tee.StartAsync(cts.Token);
    await tee.RunAsync(cts.Token);
    return 0;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or Sp.Core.SpError or System.Security.Cryptography.CryptographicException)
{
    loggers.CreateLogger("Sp.Tee").LogCritical("sp-tee stops: {Reason}", e.Message);
    return 1;
}
