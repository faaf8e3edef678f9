using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Client;
using Sp.Client.Config;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;

namespace Sp.Cli;

/// <summary>What `setup` was told on its line (spctl's and provider-tools'); null or false where nothing was given.</summary>
public sealed record SetupRequest(string? Backend, string? PrivateKey, bool GenerateKey, bool Yes);

/// <summary>
/// Writes a client folder: config.json plus the pinned Root CA and attestation policy beside it. <see cref="RunAsync"/>
/// is `spctl setup` and `provider-tools setup`: it creates the config, or updates an existing one, keeping whatever it
/// is not asked to change (like the original's upsertConfig) and asking before it replaces the account key or the
/// pinned trust anchors.
/// </summary>
public static class ClientSetup
{
    public const string RootCaFile = "root-ca.pem";
    public const string PolicyFile = "attestation-policy.json";

    public static ClientConfig Write(string dir, string backendUrl, string network, AccountKey account, string rootCaPem, string policyJson, string? logKey = null,
        string configFileName = "config.json")
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RootCaFile), rootCaPem);
        File.WriteAllText(Path.Combine(dir, PolicyFile), policyJson);
        var config = new ClientConfig
        {
            Backend = new BackendSection { Url = backendUrl, Network = network },
            Blockchain = new BlockchainSection { AccountPrivateKey = account.ExportHex() },
            Workflow = new WorkflowSection { ResultEncryption = NewResultKey() },
            Trust = new TrustSection { RootCa = RootCaFile, AttestationPolicy = PolicyFile, LogKey = logKey },
        };
        config.Save(Path.Combine(dir, configFileName));
        return config;
    }

    /// <summary>The options of `setup` (spctl's and provider-tools'), read by <see cref="Request"/>.</summary>
    public static System.CommandLine.Symbol[] Options() =>
    [
        Sp.Cmdline.Cli.Option("--backend", "URL", "The node's URL, e.g. http://127.0.0.1:8080 (asked on a terminal; on an existing config, given only to change it, which pins the node's trust anchors again)"),
        Sp.Cmdline.Cli.Option("--private-key", "KEY", "The account's private key, hex (asked on a terminal: there, empty generates one for a new config and keeps the key of an existing one)"),
        Sp.Cmdline.Cli.Flag("--generate-key", "Generate a new account key instead of --private-key"),
        Sp.Cmdline.Cli.Flag("--yes", "Replace the account key or the pinned trust anchors of an existing config without asking (needed when stdin is not a terminal)"),
    ];

    /// <summary>Reads <see cref="Options"/> from the line.</summary>
    public static SetupRequest Request(CommandLine cl) =>
        new(cl.Option("backend"), cl.Option("private-key"), cl.Flag("generate-key"), cl.Flag("yes"));

    private static ResultEncryption NewResultKey() => new() { Key = Convert.ToBase64String(HpkeKeyPair.Generate().PrivateKey) };

    /// <summary>
    /// Creates <paramref name="configPath"/>, or updates it when it exists. Interactive only on a terminal; otherwise the
    /// answers come from <paramref name="request"/>, and a change that needs confirmation needs --yes.
    /// </summary>
    public static async Task<int> RunAsync(string configPath, SetupRequest request)
    {
        if (request.PrivateKey is not null && request.GenerateKey)
            throw new UserError("--private-key and --generate-key exclude each other", "pass one of them");
        if (request.Backend is not null) CheckUrl(request.Backend, "--backend");
        return File.Exists(configPath) ? await UpdateAsync(configPath, request) : await CreateAsync(configPath, request);
    }

    private static async Task<int> CreateAsync(string configPath, SetupRequest request)
    {
        var interactive = Prompt.Interactive;
        var backend = request.Backend ?? (interactive ? CheckUrl(Prompt.Ask("Please enter the backend URL (e.g. http://127.0.0.1:8080): "), "backend URL")
                                                      : throw new UserError("missing --backend URL (setup is not interactive when stdin is not a terminal)"));
        var keyHex = request.PrivateKey;
        if (keyHex is null && !request.GenerateKey)
        {
            if (!interactive) throw new UserError("missing --private-key KEY or --generate-key");
            keyHex = Prompt.Ask("Please enter your account private key (empty to generate a new one): ");
        }
        using var account = string.IsNullOrWhiteSpace(keyHex) ? AccountKey.Generate() : AccountKey.FromHex(keyHex);
        var pins = await FetchPinsAsync(backend);
        var full = Path.GetFullPath(configPath);
        Write(Path.GetDirectoryName(full)!, backend, pins.Network, account, pins.RootCa, pins.Policy, pins.LogKey, Path.GetFileName(full));
        PrintSummary(pins.Network, account.Address, pins.RootCa, pins.LogKey);
        Console.WriteLine($"Config was created in {configPath}");
        return 0;
    }

    /// <summary>
    /// Keeps what it is not asked to change: storage, the result key (created if missing), the backend and its pins
    /// unless a backend is given, the account key unless one is given. Replacing the key or the pins asks first.
    /// </summary>
    private static async Task<int> UpdateAsync(string configPath, SetupRequest request)
    {
        var interactive = Prompt.Interactive;
        var full = Path.GetFullPath(configPath);
        var dir = Path.GetDirectoryName(full)!;
        var current = ClientConfig.Load(full);
        using var currentKey = ParseKey(current.Blockchain.AccountPrivateKey, $"{configPath}: blockchain.accountPrivateKey");

        var backend = request.Backend;
        if (backend is null && interactive)
        {
            var typed = Prompt.Ask($"Please enter the backend URL (empty keeps {current.Backend.Url}): ");
            backend = typed.Length == 0 ? null : CheckUrl(typed, "backend URL");
        }
        var keyHex = request.PrivateKey;
        if (keyHex is null && !request.GenerateKey && interactive)
        {
            var typed = Prompt.Ask($"Please enter your account private key (empty keeps {currentKey.Address}): ");
            keyHex = typed.Length == 0 ? null : typed;
        }
        using var newKey = request.GenerateKey ? AccountKey.Generate() : keyHex is null ? null : AccountKey.FromHex(keyHex);
        var account = newKey ?? currentKey;

        var changes = new List<string>();
        if (newKey is not null && newKey.Address != currentKey.Address)
            changes.Add($"the account {currentKey.Address} is replaced by {newKey.Address} (the old key is not kept: its tokens, provider and offers stay with that account, reachable only with that key)");
        var trust = current.Trust;
        var network = current.Backend.Network;
        var (rootCa, policy) = (ReadPin(dir, trust.RootCa), ReadPin(dir, trust.AttestationPolicy));
        if (backend is not null)
        {
            var pins = await FetchPinsAsync(backend);
            if (pins.Network != network) changes.Add($"the network {network} is replaced by {pins.Network}");
            if (Normalize(pins.RootCa) != Normalize(rootCa))
                changes.Add($"the pinned Root CA sha256:{RootFingerprint(rootCa)} is replaced by sha256:{RootFingerprint(pins.RootCa)}");
            if (Normalize(pins.Policy) != Normalize(policy)) changes.Add("the pinned attestation policy is replaced by the node's");
            if (pins.LogKey != trust.LogKey) changes.Add($"the pinned log key {trust.LogKey ?? "(none)"} is replaced by {pins.LogKey ?? "(none)"}");
            (network, rootCa, policy) = (pins.Network, pins.RootCa, pins.Policy);
            trust = trust with { LogKey = pins.LogKey };
        }
        if (changes.Count > 0 && !request.Yes)
        {
            if (!interactive)
                throw new UserError($"{configPath} exists and setup would change it: {string.Join("; ", changes)}",
                    "pass --yes to confirm (stdin is not a terminal, so setup cannot ask); nothing was written");
            foreach (var change in changes) Console.WriteLine($"Setup changes {configPath}: {change}.");
            if (!Prompt.AskYesNo("Do you want to apply these changes? (y/n): "))
                throw new UserError($"{configPath} was not changed", "run setup again and confirm, or leave out the options that change it");
        }

        // The pins are content-named when they change, so the config's single atomic rename switches to them at once:
        // a crash leaves the old config with its old pins, or the new one with the new pins.
        trust = trust with { RootCa = WritePin(dir, trust.RootCa, RootCaFile, rootCa), AttestationPolicy = WritePin(dir, trust.AttestationPolicy, PolicyFile, policy) };
        var updated = current with
        {
            Backend = new BackendSection { Url = backend ?? current.Backend.Url, Network = network },
            Blockchain = current.Blockchain with { AccountPrivateKey = account.ExportHex() },
            Workflow = current.Workflow.ResultEncryption is null ? current.Workflow with { ResultEncryption = NewResultKey() } : current.Workflow,
            Trust = trust,
        };
        updated.Save(full);
        foreach (var (old, now) in new[] { (current.Trust.RootCa, trust.RootCa), (current.Trust.AttestationPolicy, trust.AttestationPolicy) })
            if (old != now && File.Exists(Path.Combine(dir, old))) File.Delete(Path.Combine(dir, old));
        PrintSummary(network, account.Address, rootCa, trust.LogKey);
        Console.WriteLine($"Config was updated in {configPath}");
        return 0;
    }

    private sealed record Pins(string Network, string RootCa, string Policy, string? LogKey);

    private static async Task<Pins> FetchPinsAsync(string backend)
    {
        using var node = new NodeClient(backend);
        var info = await node.GetInfoAsync();
        var log = await Sp.Client.Ledger.ClientLog.NodeLogInfoAsync(node); // pinned on first use, like the Root CA
        return new Pins(info.Network, info.RootCa, info.AttestationPolicy, log?.VerifierKey);
    }

    private static void PrintSummary(string network, Address account, string rootCaPem, string? logKey)
    {
        Console.WriteLine($"network: {network}");
        Console.WriteLine($"account: {account}");
        Console.WriteLine($"root_ca_sha256: {RootFingerprint(rootCaPem)}");
        if (logKey is not null) Console.WriteLine($"log_key: {logKey}");
    }

    private static string RootFingerprint(string pem) =>
        Convert.ToHexStringLower(SHA256.HashData(X509Certificate2.CreateFromPem(pem).RawData));

    private static string Normalize(string text) => text.ReplaceLineEndings("\n").Trim();

    private static string ReadPin(string dir, string relative)
    {
        var path = Path.Combine(dir, relative);
        if (!File.Exists(path)) throw new UserError($"{path}: the pinned file the config names is missing", "restore it, or recreate the config with setup in an empty folder");
        return File.ReadAllText(path);
    }

    /// <summary>Keeps <paramref name="current"/> when its content is unchanged; otherwise writes a new file named by its hash.</summary>
    private static string WritePin(string dir, string current, string baseName, string content)
    {
        if (File.Exists(Path.Combine(dir, current)) && Normalize(File.ReadAllText(Path.Combine(dir, current))) == Normalize(content)) return current;
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Normalize(content))))[..12];
        var name = $"{Path.GetFileNameWithoutExtension(baseName)}-{hash}{Path.GetExtension(baseName)}";
        SecretFile.Write(Path.Combine(dir, name), content);
        return name;
    }

    private static AccountKey ParseKey(string hex, string what)
    {
        try { return AccountKey.FromHex(hex); }
        catch (FormatException e) { throw new UserError($"{what}: {e.Message}", "fix the file, or move it away and run setup again"); }
    }

    private static string CheckUrl(string url, string what) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? url
            : throw new UserError($"{what} '{url}': expected an http:// or https:// URL", "e.g. http://127.0.0.1:8080");
}
