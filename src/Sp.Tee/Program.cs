using Sp.Tee.Loader;
using Sp.Tee.Runtime;
using Sp.Tee.Runtime.Docker;

// sp-tee: the trusted loader of one TEE offer.   sp-tee run --config tee.json
if (args is not ["run", "--config", var configPath])
{
    Console.Error.WriteLine("usage: sp-tee run --config tee.json");
    return 2;
}
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
try
{
    var config = TeeConfig.Load(configPath);
    using var runtime = new DockerRuntime();
    using var tee = new TeeNode(config, Path.GetDirectoryName(Path.GetFullPath(configPath))!, runtime);
    await tee.StartAsync(cts.Token);
    await tee.RunAsync(cts.Token);
    return 0;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or Sp.Client.Config.UserError or Sp.Client.Config.IntegrityError or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"sp-tee: {e.Message}");
    return 1;
}
