using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Client;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core;
using Sp.Crypto.Accounts;

namespace Spctl.Commands;

/// <summary>
/// Creates config.json. Interactive on a terminal; otherwise every answer must come from options
/// (--backend URL and --private-key KEY or --generate-key), so it never waits on a prompt nobody sees.
/// The node's Root CA and policy are pinned on first use: their fingerprint is printed to compare.
/// </summary>
public static class SetupCommand
{
    public static async Task<int> RunAsync(CommandLine cl, string configPath)
    {
        var backend = cl.Option("backend");
        var keyHex = cl.Option("private-key");
        var generate = cl.Flag("generate-key");
        cl.RejectUnknown();
        var interactive = !Console.IsInputRedirected;
        if (File.Exists(configPath)) throw new UserError($"{configPath} already exists", "remove it first, or pass --config <another path>");
        backend ??= interactive ? Ask("Please enter the backend URL (e.g. http://127.0.0.1:8080): ")
                                : throw new UserError("missing --backend URL (setup is not interactive when stdin is not a terminal)");
        if (keyHex is null && !generate)
        {
            if (!interactive) throw new UserError("missing --private-key KEY or --generate-key");
            keyHex = Ask("Please enter your account private key (empty to generate a new one): ");
        }
        using var account = string.IsNullOrWhiteSpace(keyHex) ? AccountKey.Generate() : AccountKey.FromHex(keyHex);
        using var node = new NodeClient(backend);
        var info = await node.GetInfoAsync();
        var root = X509Certificate2.CreateFromPem(info.RootCa);
        var dir = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        var log = await Sp.Client.Ledger.ClientLog.NodeLogInfoAsync(node); // pinned on first use, like the Root CA
        ClientSetup.Write(dir, backend, info.Network, account, info.RootCa, info.AttestationPolicy, log?.VerifierKey);
        if (Path.GetFileName(configPath) != "config.json") File.Move(Path.Combine(dir, "config.json"), Path.GetFullPath(configPath));
        Console.WriteLine($"network: {info.Network}");
        Console.WriteLine($"account: {account.Address}");
        Console.WriteLine($"root_ca_sha256: {Convert.ToHexStringLower(SHA256.HashData(root.RawData))}");
        if (log is not null) Console.WriteLine($"log_key: {log.VerifierKey}");
        Console.WriteLine($"Config was created in {configPath}");
        return 0;
    }

    private static string Ask(string question)
    {
        Console.Write(question);
        return Console.ReadLine()?.Trim() ?? throw new UserError("no answer (end of input)");
    }
}
