using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Sp.Core;
using Sp.Core.Json;
using Microsoft.Extensions.Hosting;
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

    public IReadOnlyList<(string File, string Hash, long Size)> Listed { get; private set; } = [];

    public void OnGet() => List();

    private void List() => Listed = ResourceFiles().Select(f =>
    {
        try { var r = Sp.Cli.Operations.Workflows.ReadResourceFile(Path.Combine(Config.ConfigDir, f)); return (f, r.Hash.Value, r.Size); }
        catch (UserError) { return (f, "(not a resource file)", 0L); }
    }).ToList();

    /// <summary>
    /// The browser's leg ends here (the form reader spooled the body to a temporary file; it is copied beside the
    /// config as a stream, never whole in memory); the store's leg (hash, encrypt, store) runs as a transfer whose
    /// page shows its progress. The clear copy is deleted once the store holds the file, or the upload failed.
    /// </summary>
    public async Task<IActionResult> OnPostUploadAsync(IFormFile? file, [FromServices] Transfers transfers, [FromServices] IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(lifetime);
        try
        {
            if (file is null || file.Length == 0) throw new UserError("no file was sent", "choose a file, then Upload");
            var name = Path.GetFileName(file.FileName);
            if (name.Length == 0 || name.StartsWith('.')) throw new UserError($"'{file.FileName}': not a file name to keep");
            var dir = SecretFile.PrivateDirectory(UploadDir(Config)); // the clear copy waits here: the owner's alone
            var clear = Path.Combine(dir, $".{name}.{Guid.NewGuid():N}.part");
            try
            {
                await using (var fs = new FileStream(clear, FileMode.CreateNew, FileAccess.Write))
                    await file.CopyToAsync(fs, HttpContext.RequestAborted);
            }
            catch { System.IO.File.Delete(clear); throw; }
            var transfer = transfers.Start($"Upload of {name}", (progress, ct) => StoreAsync(clear, name, dir, progress, ct), lifetime.ApplicationStopping);
            return RedirectToPage("/Transfer", new { id = transfer.Id });
        }
        catch (Exception e) when (Sp.Cli.Operations.Orders.IsFailure(e) || e is IOException)
        {
            Error = UiServer.Describe(e);
            List();
            return Page();
        }
    }

    private async Task<TransferOutcome> StoreAsync(string clear, string name, string dir, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        try
        {
            using var ctx = Config.Open();
            var resource = await new FileTransfer(ctx.BlobStore).UploadAsync(clear, name, progress, ct);
            var output = Path.Combine(dir, $"{name}.resource.json");
            SecretFile.Write(output, SpJson.Serialize(resource, indented: true) + "\n");
            var shown = Path.GetRelativePath(Config.ConfigDir, output);
            return new TransferOutcome($"Resource file was created in {shown}", resource.Hash.Value, resource.Size, FileName: shown);
        }
        finally { System.IO.File.Delete(clear); }
    }
}
