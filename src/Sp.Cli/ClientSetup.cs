using Sp.Client.Config;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;

namespace Sp.Cli;

/// <summary>Writes a client folder: config.json plus the pinned Root CA and attestation policy beside it.</summary>
public static class ClientSetup
{
    public const string RootCaFile = "root-ca.pem";
    public const string PolicyFile = "attestation-policy.json";

    public static ClientConfig Write(string dir, string backendUrl, string network, AccountKey account, string rootCaPem, string policyJson, string? logKey = null)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RootCaFile), rootCaPem);
        File.WriteAllText(Path.Combine(dir, PolicyFile), policyJson);
        var resultKey = HpkeKeyPair.Generate();
        var config = new ClientConfig
        {
            Backend = new BackendSection { Url = backendUrl, Network = network },
            Blockchain = new BlockchainSection { AccountPrivateKey = account.ExportHex() },
            Workflow = new WorkflowSection { ResultEncryption = new ResultEncryption { Key = Convert.ToBase64String(resultKey.PrivateKey) } },
            Trust = new TrustSection { RootCa = RootCaFile, AttestationPolicy = PolicyFile, LogKey = logKey },
        };
        config.Save(Path.Combine(dir, "config.json"));
        return config;
    }
}
