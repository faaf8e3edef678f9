using System.Net;
using Sp.Cli;
using Sp.Core;
using Sp.Ui;

namespace Spctl.Commands;

/// <summary>`spctl ui [--port N] [--listen ADDR]`: the marketplace in a browser (docs/ui.md), until Ctrl+C.</summary>
public static class UiCommand
{
    public static async Task<int> RunAsync(CommandLine cl, string configPath)
    {
        var portText = cl.Option("port");
        var listenText = cl.Option("listen");
        cl.RejectUnknown();
        var port = portText is null ? 0
            : int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p <= 65535 ? p
            : throw new UserError($"--port '{portText}': expected a port number from 0 to 65535 (0: any free port)");
        var listen = IPAddress.Loopback;
        if (listenText is not null && !IPAddress.TryParse(listenText, out listen))
            throw new UserError($"--listen '{listenText}': expected an IP address, e.g. 127.0.0.1 or 0.0.0.0");
        // The config must load now: a wrong path is an error here, not on the first page.
        using (new ClientContext(configPath)) { }
        if (!IPAddress.IsLoopback(listen))
            Console.Error.WriteLine($"warning: --listen {listen}: the UI is reachable from other machines; anyone who has its address with the token acts with this account");
        var (app, url) = await UiServer.StartAsync(new UiOptions(configPath, listen, port));
        await using (app)
        {
            Console.WriteLine($"spctl ui is serving {Path.GetFullPath(configPath)}; open:");
            Console.WriteLine($"    {url}");
            Console.WriteLine("Press Ctrl+C to stop.");
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            try { await Task.Delay(Timeout.Infinite, stop.Token); }
            catch (OperationCanceledException) { }
            await app.StopAsync();
        }
        return 0;
    }
}
