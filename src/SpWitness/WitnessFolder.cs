using System.Text;
using Sp.Core;
using Sp.Core.Json;
using Sp.Tlog;

namespace Sp.Witness;

/// <summary>witness.json: the witness's name (its key's) and the logs it cosigns, by their verifier keys (the key's name is the log's origin).</summary>
public sealed record WitnessSettings
{
    public required string Name { get; init; }
    public List<string> Logs { get; init; } = [];
}

/// <summary>
/// A witness's folder: <c>witness-key</c> (its cosigner key, a secret, mode 0600), <c>witness-key.pub</c> (the
/// verifier key clients put in their policy), <c>witness.json</c> and <c>state/</c> (per log, the latest checkpoint it
/// cosigned, with its cosignature).
/// </summary>
public sealed record WitnessFolder(string Root)
{
    public string SignerKey => Path.Combine(Root, "witness-key");
    public string VerifierKey => Path.Combine(Root, "witness-key.pub");
    public string Settings => Path.Combine(Root, "witness.json");
    public string State => Path.Combine(Root, "state");

    /// <summary><c>sp-witness init</c>: a new key named <paramref name="name"/> and the logs given (verifier keys, or files holding one).</summary>
    public static int Init(string dir, string name, IReadOnlyList<string> logs, TextWriter stdout)
    {
        var folder = new WitnessFolder(Path.GetFullPath(dir));
        if (File.Exists(folder.Settings) || File.Exists(folder.SignerKey))
            throw new InvalidOperationException($"{folder.Root} is already a witness folder: a witness key is never replaced");
        var keys = logs.Select((l, i) => ReadLogKey(l, $"--log {i + 1}").VerifierKey).ToList();
        Directory.CreateDirectory(folder.Root);
        Cosigner cosigner;
        try
        {
            cosigner = Cosigner.Generate(name);
        }
        catch (MalformedNoteKeyException e)
        {
            throw new InvalidDataException($"--name: {e.Message}", e);
        }
        SecretFile.Write(folder.SignerKey, cosigner.ToSignerKey() + "\n", overwrite: false);
        File.WriteAllText(folder.VerifierKey, cosigner.Verifier.VerifierKey + "\n");
        File.WriteAllText(folder.Settings, SpJson.Serialize(new WitnessSettings { Name = name, Logs = keys }, indented: true) + "\n");
        stdout.WriteLine($"witness {name} created in {folder.Root}");
        stdout.WriteLine($"verifier key: {cosigner.Verifier.VerifierKey}");
        return 0;
    }

    /// <summary>The key and logs of an initialised folder, every error naming the file and field.</summary>
    public (Cosigner Key, IReadOnlyDictionary<string, NoteVerifier> Logs) Load()
    {
        if (!File.Exists(Settings)) throw new InvalidOperationException($"{Root} is not a witness folder: run `sp-witness init {Root} --name NAME` first");
        WitnessSettings settings;
        try
        {
            settings = SpJson.Deserialize<WitnessSettings>(File.ReadAllText(Settings));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{Settings}: {e.Message}", e);
        }
        Cosigner key;
        try
        {
            key = Cosigner.Parse(File.ReadAllText(SignerKey).Trim());
        }
        catch (MalformedNoteKeyException e)
        {
            throw new InvalidDataException($"{SignerKey}: {e.Message}", e);
        }
        if (key.Name != settings.Name)
            throw new InvalidDataException($"{Settings}: name is \"{settings.Name}\" but {SignerKey} is named \"{key.Name}\"");
        var logs = new Dictionary<string, NoteVerifier>(StringComparer.Ordinal);
        for (var i = 0; i < settings.Logs.Count; i++)
        {
            var log = ReadLogKey(settings.Logs[i], $"{Settings}: logs[{i}]");
            if (!logs.TryAdd(log.Name, log))
                throw new InvalidDataException($"{Settings}: logs[{i}]: a second key for origin \"{log.Name}\"");
        }
        return (key, logs);
    }

    /// <summary>A log's verifier key (type 0x01), given as the key itself or as a file holding it (a node's log-key.pub).</summary>
    private static NoteVerifier ReadLogKey(string keyOrFile, string what)
    {
        var text = File.Exists(keyOrFile) ? File.ReadAllText(keyOrFile, Encoding.UTF8).Trim() : keyOrFile.Trim();
        try
        {
            var key = NoteVerifier.Parse(text);
            if (key.IsCosigner) throw new InvalidDataException($"{what}: {key.Name} is a witness key (type 0x04), not a log key");
            return key;
        }
        catch (MalformedNoteKeyException e)
        {
            throw new InvalidDataException($"{what}: not a log verifier key nor a file holding one: {e.Message}", e);
        }
    }
}
