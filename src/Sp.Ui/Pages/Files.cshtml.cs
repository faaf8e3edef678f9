using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Sp.Core;
using Sp.Core.Json;
using Sp.Storage.Transfer;

namespace Sp.Ui.Pages;

/// <summary>`spctl files upload` in the browser, and the resource files of the config folder.</summary>
public sealed class Files(UiConfig config) : UiPage(config)
{
    /// <summary>Where the UI's uploads keep their resource files (beside config.json).</summary>
    public static string UploadDir(UiConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Path.Combine(config.ConfigDir, "ui-files");
    }

    public sealed record StoredFile(string File, string Hash, long Size, string Progress);

    public StoredFile? Stored { get; private set; }

    public IReadOnlyList<(string File, string Hash, long Size)> Listed { get; private set; } = [];

    public void OnGet() => List();

    private void List() => Listed = ResourceFiles().Select(f =>
    {
        try { var r = Sp.Cli.Operations.Workflows.ReadResourceFile(Path.Combine(Config.ConfigDir, f)); return (f, r.Hash.Value, r.Size); }
        catch (UserError) { return (f, "(not a resource file)", 0L); }
    }).ToList();

    public async Task<IActionResult> OnPostUploadAsync(IFormFile? file)
    {
        var result = await TryAsync(async ctx =>
        {
            if (file is null || file.Length == 0) throw new UserError("no file was sent", "choose a file, then Upload");
            var name = Path.GetFileName(file.FileName);
            if (name.Length == 0 || name.StartsWith('.')) throw new UserError($"'{file.FileName}': not a file name to keep");
            var dir = Directory.CreateDirectory(UploadDir(Config)).FullName;
            // The form reader spooled the body to a temporary file; copy it beside the config (a stream, never the
            // whole file in memory), upload it encrypted, then drop the clear copy: the store holds it now.
            var clear = Path.Combine(dir, $".{name}.{Guid.NewGuid():N}.part");
            try
            {
                await using (var fs = new FileStream(clear, FileMode.CreateNew, FileAccess.Write))
                    await file.CopyToAsync(fs, HttpContext.RequestAborted);
                var log = new StringWriter();
                var progress = new Sp.Cli.ConsoleProgress(log, terminal: false, ctx.Time);
                var resource = await new FileTransfer(ctx.BlobStore).UploadAsync(clear, name, progress, HttpContext.RequestAborted);
                progress.Finish();
                var output = Path.Combine(dir, $"{name}.resource.json");
                SecretFile.Write(output, SpJson.Serialize(resource, indented: true) + "\n");
                Stored = new StoredFile(Path.GetRelativePath(Config.ConfigDir, output), resource.Hash.Value, resource.Size,
                    string.Join("; ", log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
                Notice = $"Resource file was created in {Path.GetRelativePath(Config.ConfigDir, output)}";
            }
            finally { if (System.IO.File.Exists(clear)) System.IO.File.Delete(clear); }
            return Page();
        });
        List();
        return result;
    }
}
