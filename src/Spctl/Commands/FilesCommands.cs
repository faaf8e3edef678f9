using Sp.Core;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Storage.Transfer;

namespace Spctl.Commands;

public static class FilesCommands
{
    public static async Task<int> UploadAsync(CommandLine cl, string configPath)
    {
        var path = cl.Positional(0, "file or directory");
        var output = cl.Required("output", "resource file");
        var filename = cl.Option("filename");
        cl.Flag("use-addon"); // accepted: upload always streams and handles directories
        cl.RejectUnknown();
        if (!File.Exists(path) && !Directory.Exists(path)) throw new UserError($"{path}: no such file or directory");
        using var ctx = new ClientContext(configPath);
        var progress = new ConsoleProgress(ctx.Time);
        var resource = await new FileTransfer(ctx.BlobStore).UploadAsync(path, filename, progress);
        progress.Finish();
        WriteResourceFile(output, resource);
        Console.WriteLine($"Resource file was created in {output}");
        return 0;
    }

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
        var saved = await new FileTransfer(ctx.StoreFor(resource.Resource)).DownloadAsync(resource, dir, progress);
        progress.Finish();
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

    public static ResourceFile ReadResourceFile(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: no such resource file");
        try { return SpJson.Deserialize<ResourceFile>(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new UserError($"{path}: not a resource file ({e.Message.Split(" Path:")[0]})"); }
    }

    /// <summary>The resource file holds the content key: it is written readable by its owner only.</summary>
    public static void WriteResourceFile(string path, ResourceFile resource)
    {
        SecretFile.Write(Path.GetFullPath(path), SpJson.Serialize(resource, indented: true) + "\n");
    }
}
