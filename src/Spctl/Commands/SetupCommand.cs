using Sp.Cli;

namespace Spctl.Commands;

/// <summary>
/// Creates or updates config.json (<see cref="ClientSetup.RunAsync"/>). Interactive on a terminal; otherwise every
/// answer comes from options (--backend URL and --private-key KEY or --generate-key), so it never waits on a prompt
/// nobody sees, and a change of the account key or of the pinned trust anchors needs --yes.
/// </summary>
public static class SetupCommand
{
    public static Task<int> RunAsync(CommandLine cl, string configPath)
    {
        var request = ClientSetup.Request(cl);
        cl.RejectUnknown();
        return ClientSetup.RunAsync(configPath, request);
    }
}
