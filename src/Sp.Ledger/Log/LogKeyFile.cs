using Sp.Core;
using Sp.Tlog;

namespace Sp.Ledger.Log;

/// <summary>
/// The node's log key on disk: the signer key (<c>PRIVATE+KEY+name+hash+base64</c>, a secret, mode 0600) and
/// beside it the verifier key in the note key format (<c>name+hash+base64</c>) that clients pin.
/// </summary>
public static class LogKeyFile
{
    /// <summary>Default origin (and key name) of a network's log.</summary>
    public static string DefaultOrigin(string network) => $"sp-devnet.local/{network}";

    /// <summary>Creates a new Ed25519 log key named <paramref name="origin"/>; refuses to overwrite one.</summary>
    public static NoteSigner Create(string signerPath, string verifierPath, string origin)
    {
        if (File.Exists(signerPath)) throw new InvalidOperationException($"{signerPath} already exists: a log key is never replaced");
        var signer = NoteSigner.Generate(origin);
        SecretFile.Write(signerPath, signer.ToSignerKey() + "\n", overwrite: false);
        File.WriteAllText(verifierPath, signer.Verifier.VerifierKey + "\n");
        return signer;
    }

    public static NoteSigner Load(string signerPath)
    {
        if (!File.Exists(signerPath)) throw new InvalidOperationException($"log key {signerPath} not found");
        try
        {
            return NoteSigner.Parse(File.ReadAllText(signerPath).Trim());
        }
        catch (MalformedNoteKeyException e)
        {
            throw new InvalidDataException($"{signerPath}: {e.Message}", e);
        }
    }

}
