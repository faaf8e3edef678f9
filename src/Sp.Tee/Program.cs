using Microsoft.Extensions.Logging;
using Sp.Cmdline;
using Sp.Hosting;
using Sp.Tee;
using Sp.Tee.Loader;
using Sp.Tee.Runtime;
using Sp.Tee.Runtime.Docker;

// sp-tee: the trusted loader of one TEE offer.   sp-tee run --config tee.json [--log-level LEVEL]
// LEVEL: trace|debug|information|warning|error (default information; docs/logging.md).
// Usage errors exit 2; `sp-tee run --help` describes the options.
return await CliRunner.InvokeAsync(TeeCommandLine.Tree(RunAsync), args);

static async Task<int> RunAsync(string configPath, LogLevel level, CancellationToken cancellation)
{
    using var cts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
    using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
        System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
    // Disposed last: the console logger writes from a queue, flushed on dispose.
    using var loggers = ProcessLogging.CreateFactory(level);
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
}
