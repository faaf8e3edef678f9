using Sp.Core;
using Sp.Attestation;
using Sp.Certification;
using Sp.Core.Json;

namespace Sp.Node;

/// <summary>Creates a node's data folder: the Root CA, the sim platform key, the policy and an empty ledger.</summary>
public static class NodeInit
{
    public static int Run(string dir, string network, TimeProvider time, LogInit? log = null)
    {
        var paths = new NodePaths(Path.GetFullPath(dir));
        if (File.Exists(paths.Settings))
            throw new InvalidOperationException($"{paths.Root} is already initialised (network {SpJson.Deserialize<NodeSettings>(File.ReadAllText(paths.Settings)).Network})");
        Directory.CreateDirectory(paths.Root);
        Directory.CreateDirectory(paths.Blobs);
        var now = time.GetUtcNow();
        using (var ca = RootCa.Create($"SP {network} Root CA", now))
        {
            File.WriteAllText(paths.RootCaCert, ca.CertificatePem);
            SecretFile.Write(paths.RootCaKey, ca.ExportPrivateKeyPem());
        }
        using (var platform = SimPlatform.Create())
        {
            // The sim platform key stands in for the hardware vendor's key: the policy pins it, and the devnet's
            // loader signs its evidence with it. A production policy refuses sim evidence altogether.
            SecretFile.Write(paths.SimPlatformKey, platform.ExportPrivateKeyPem());
            AttestationPolicy.Devnet(platform.PublicKeyId).Save(paths.Policy);
        }
        File.WriteAllText(paths.Settings, SpJson.Serialize(new NodeSettings(network, now.ToUnixTimeMilliseconds()), indented: true));
        (log ?? new LogInit()).Apply(paths.Root, network); // log key (and the ledger store if not SQLite)
        Console.WriteLine($"Node initialised in {paths.Root} (network {network})");
        return 0;
    }

}
