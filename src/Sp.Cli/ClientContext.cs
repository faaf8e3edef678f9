using Sp.Client;
using Sp.Client.Config;
using Sp.Client.Ledger;
using Sp.Client.Storage;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;
using Sp.Tlog;

namespace Sp.Cli;

/// <summary>What a command needs from config.json: the node, the account, storage, the pinned trust anchors.</summary>
public sealed class ClientContext : IDisposable
{
    private NodeClient? _node;
    private AccountKey? _account;
    private Trust? _trust;

    /// <param name="time">The clock of the node client and the log (<see cref="Time"/>); the system's when null.</param>
    /// <param name="backendUrl">The node to talk to instead of the config's backend.url (provider-tools' --backend-url);
    /// the config's pinned trust anchors still apply.</param>
    public ClientContext(string configPath, TimeProvider? time = null, string? backendUrl = null)
    {
        Time = time ?? TimeProvider.System;
        ConfigPath = Path.GetFullPath(configPath);
        ConfigDir = Path.GetDirectoryName(ConfigPath)!;
        Config = ClientConfig.Load(ConfigPath);
        if (backendUrl is not null)
        {
            if (!Uri.TryCreate(backendUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw new UserError($"--backend-url '{backendUrl}': expected an http:// or https:// URL", "e.g. http://127.0.0.1:8080");
            Config = Config with { Backend = Config.Backend with { Url = backendUrl } };
        }
    }

    public string ConfigPath { get; }
    public string ConfigDir { get; }
    public ClientConfig Config { get; }
    public string Network => Config.Backend.Network;
    public TimeProvider Time { get; }

    /// <summary>The node. With a pinned log key (trust.logKey), every transaction a command submits is proved
    /// in the log before the command goes on, and the newest checkpoint is kept in this config folder.</summary>
    public NodeClient Node => _node ??= CreateNode();

    private NodeClient CreateNode()
    {
        var node = new NodeClient(Config.Backend.Url, time: Time);
        if (LogPinned)
        {
            node.AfterSubmit = async (tx, receipt, ct) =>
            {
                _log ??= OpenLog();
                await _log.ProveSubmittedAsync(tx, receipt, ct);
            };
        }
        return node;
    }

    private ClientLog? _log;

    /// <summary>The network's log with this config's pinned key; null when config.json pins none.</summary>
    public ClientLog? Log => LogPinned ? _log ??= OpenLog() : null;

    /// <summary>True when config.json pins a log key.</summary>
    public bool LogPinned => !string.IsNullOrWhiteSpace(Config.Trust.LogKey);

    /// <summary>The network's log (at <paramref name="logUrl"/>, else the node's) verified with the pinned key; its
    /// checkpoints are kept in this config folder.</summary>
    public ClientLog OpenLog(string? logUrl = null)
    {
        var pinned = Config.Trust.LogKey;
        if (string.IsNullOrWhiteSpace(pinned))
            throw new UserError($"{ConfigPath}: trust.logKey is missing: no ledger log key is pinned",
                "recreate the config with `spctl setup`, or add the node's verifier key (its log-key.pub) as trust.logKey");
        NoteVerifier key;
        try
        {
            key = NoteVerifier.Parse(pinned.Trim());
        }
        catch (TlogException e)
        {
            throw new UserError($"{ConfigPath}: trust.logKey is not a verifier key: {e.Message}");
        }
        var witnesses = Config.Trust.Witnesses?.ToPolicy($"{ConfigPath}: trust.witnesses");
        return ClientLog.Open(key, logUrl ?? LogLocation.OfNode(Config.Backend.Url), ConfigDir, Network, Time, witnesses);
    }

    public AccountKey Account
    {
        get
        {
            if (_account is not null) return _account;
            try { return _account = AccountKey.FromHex(Config.Blockchain.AccountPrivateKey); }
            catch (FormatException e) { throw new UserError($"{ConfigPath}: blockchain.accountPrivateKey: {e.Message}"); }
        }
    }

    public Trust Trust => _trust ??= Trust.FromConfig(Config, ConfigDir);

    public HpkeKeyPair ResultKey
    {
        get
        {
            var key = Config.Workflow.ResultEncryption?.Key
                ?? throw new UserError($"{ConfigPath}: workflow.resultEncryption.key is missing", "recreate the config with `spctl setup`");
            try { return HpkeKeyPair.FromPrivateKey(Convert.FromBase64String(key)); }
            catch (Exception e) when (e is FormatException or ArgumentException)
            { throw new UserError($"{ConfigPath}: workflow.resultEncryption.key is not a base64 X25519 private key"); }
        }
    }

    /// <summary>Where uploads go: storage.type in config.json (SP_NODE, S3 with storage.s3, or LOCAL with storage.path).</summary>
    public IBlobStore BlobStore => BlobStores.FromConfig(Config.Storage, ConfigDir, Node, Account, Network, ConfigPath);

    /// <summary>A store that can open <paramref name="resource"/> (the resource file says where it lives).</summary>
    public IBlobStore StoreFor(Sp.Core.Model.StorageResource resource) =>
        BlobStores.ForResource(resource, Node, BlobStores.LocalFolder(Config.Storage, ConfigDir));

    public void Dispose()
    {
        _node?.Dispose();
        _log?.Dispose();
        _account?.Dispose();
    }
}
