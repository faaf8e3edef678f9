using Sp.Core;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core.Model;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sp.Client.Storage;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Spctl.Commands;

public static class FilesCommands
{
    public static async Task<int> UploadAsync(CommandLine cl, string configPath)
    {
        var path = cl.Positional(0, "file or directory");
        var output = cl.Option("output") ?? DefaultResourceFile;
        var filename = cl.Option("filename");
        var metadataPath = cl.Option("metadata");
        var concurrent = cl.Option("maximum-concurrent") is { } mc ? MaximumConcurrent(mc) : (int?)null;
        cl.Flag("use-addon"); // accepted: upload always streams and handles directories
        cl.RejectUnknown();
        if (!File.Exists(path) && !Directory.Exists(path)) throw new UserError($"{path}: no such file or directory");
        var metadata = metadataPath is null ? null : ReadMetadata(metadataPath);
        // A hash given in the metadata must be the one we compute: download checks the plaintext against it.
        if (metadata?["hash"] is { } given)
        {
            var (actual, _) = await FileTransfer.CalculateHashAsync(path);
            var stated = given["hash"]?.GetValue<string>();
            if (!string.Equals(stated, actual, StringComparison.OrdinalIgnoreCase))
                throw new UserError($"{metadataPath}: hash.hash '{stated}' is not the SHA-256 of {path} ({actual})", "leave hash out of the metadata: upload computes it");
            metadata.Remove("hash");
        }
        using var ctx = new ClientContext(configPath);
        var storage = ctx.Config.Storage;
        if (concurrent is { } n && storage.S3 is { } s3)
        {
            if (n > S3StorageOptions.MaxParallelism)
                throw new UserError($"--maximum-concurrent {n}: S3 uploads keep at most {S3StorageOptions.MaxParallelism} parts in flight (each buffers a part in memory)");
            storage = storage with { S3 = s3 with { Parallelism = n } };
        }
        var store = BlobStores.FromConfig(storage, ctx.ConfigDir, ctx.Node, ctx.Account, ctx.Network, ctx.ConfigPath);
        var progress = new ConsoleProgress(ctx.Time);
        ResourceFile resource;
        try { resource = await new FileTransfer(store).UploadAsync(path, filename, progress); }
        finally { progress.Finish(); } // an error starts on a line of its own
        WriteResourceFile(output, resource, metadata);
        Console.WriteLine($"Resource file was created in {output}");
        return 0;
    }

    /// <summary>Where `files upload` writes the resource file without --output (the original's default).</summary>
    public const string DefaultResourceFile = "resource.json";

    /// <summary>The fields the original's --metadata file may add to a resource file (sdk-js RuntimeInputInfo).</summary>
    private static readonly string[] MetadataFields = ["hash", "hardwareContext", "signatureKeyHash"];

    /// <summary>
    /// --metadata FILE: a JSON object whose <c>hardwareContext</c> and <c>signatureKeyHash</c> are copied into the
    /// resource file as given; a <c>hash</c> must be the plaintext's SHA-256 (checked by the caller). Other fields are refused.
    /// </summary>
    private static JsonObject ReadMetadata(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: no such metadata file");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new UserError($"{path}: not JSON ({e.Message.Split(" Path:")[0]})"); }
        if (node is not JsonObject o) throw new UserError($"{path}: the metadata must be a JSON object");
        foreach (var (k, _) in o)
            if (!MetadataFields.Contains(k)) throw new UserError($"{path}: unknown metadata field '{k}' (expected some of {string.Join(", ", MetadataFields)})");
        if (o["hash"] is { } h && (h is not JsonObject ho || ho["hash"] is not JsonValue || (ho["algo"]?.GetValue<string>() ?? "sha256") != "sha256"))
            throw new UserError($"{path}: hash must be {{\"algo\":\"sha256\",\"hash\":\"<64 hex>\"}}");
        return o;
    }

    private static int MaximumConcurrent(string s) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000
            ? n : throw new UserError($"--maximum-concurrent '{s}': expected a whole number from 1 to 1000");

    public static async Task<int> DownloadAsync(CommandLine cl, string configPath)
    {
        var resourcePath = cl.Positional(0, "resource file");
        var dir = cl.Positionals.Count > 1 ? cl.Positionals[1] : ".";
        cl.Flag("use-addon");
        cl.RejectUnknown();
        var resource = ReadResourceFile(resourcePath);
        if (!Directory.Exists(dir)) throw new UserError($"{dir}: no such directory");
        using var ctx = new ClientContext(configPath);
        var progress = new ConsoleProgress(ctx.Time);
        string saved;
        try { saved = await new FileTransfer(ctx.StoreFor(resource.Resource)).DownloadAsync(resource, dir, progress); }
        finally { progress.Finish(); } // an error starts on a line of its own
        Console.WriteLine(saved);
        return 0;
    }

    public static async Task<int> CalculateHashAsync(CommandLine cl)
    {
        var path = cl.Positional(0, "file or directory");
        cl.RejectUnknown();
        if (!File.Exists(path) && !Directory.Exists(path)) throw new UserError($"{path}: no such file or directory");
        var (hash, _) = await FileTransfer.CalculateHashAsync(path);
        Console.WriteLine($"{{\"algo\":\"sha256\",\"hash\":\"{hash}\"}}");
        return 0;
    }

    public static async Task<int> DeleteAsync(CommandLine cl, string configPath)
    {
        var resourcePath = cl.Positional(0, "resource file");
        cl.RejectUnknown();
        var resource = ReadResourceFile(resourcePath);
        using var ctx = new ClientContext(configPath);
        await ctx.StoreFor(resource.Resource).DeleteAsync(resource.Resource, CancellationToken.None);
        Console.WriteLine($"Resource {resource.Resource.Filepath} was deleted");
        return 0;
    }

    public static ResourceFile ReadResourceFile(string path) => Sp.Cli.Operations.Workflows.ReadResourceFile(path);

    /// <summary>The resource file holds the content key: it is written readable by its owner only.</summary>
    public static void WriteResourceFile(string path, ResourceFile resource, JsonObject? metadata = null)
    {
        var text = SpJson.Serialize(resource, indented: true);
        if (metadata is { Count: > 0 })
        {
            var o = JsonNode.Parse(text)!.AsObject();
            foreach (var (k, v) in metadata) o[k] = v?.DeepClone();
            text = o.ToJsonString(SpJson.Indented);
        }
        SecretFile.Write(Path.GetFullPath(path), text + "\n");
    }
}
