using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Sp.Cli;

namespace Sp.Ui.Pages;

/// <summary>What every page has: the user's config, and the failure or notice shown at its top.</summary>
public abstract class UiPage(UiConfig config) : PageModel
{
    protected UiConfig Config { get; } = config;

    /// <summary>What went wrong, in the CLI's words (<see cref="UiServer.Describe"/>).</summary>
    public string? Error { get; set; }

    public string? Notice { get; set; }

    /// <summary>Runs <paramref name="work"/> with a fresh ClientContext; a failure becomes <see cref="Error"/> and the page is shown.</summary>
    protected async Task<IActionResult> TryAsync(Func<ClientContext, Task<IActionResult>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            using var ctx = Config.Open();
            return await work(ctx);
        }
        catch (Exception e) when (Sp.Cli.Operations.Orders.IsFailure(e))
        {
            Error = UiServer.Describe(e);
            return Page();
        }
    }

    /// <summary>The resource files of the config folder (`files upload` output and the UI's uploads).</summary>
    public IReadOnlyList<string> ResourceFiles() =>
        Directory.EnumerateFiles(Config.ConfigDir, "*.json", SearchOption.TopDirectoryOnly)
            .Concat(Directory.Exists(Files.UploadDir(Config)) ? Directory.EnumerateFiles(Files.UploadDir(Config), "*.json") : [])
            .Where(f => f.EndsWith(".resource.json", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Config.ConfigDir, f))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>A resource file named by a form: only one of <see cref="ResourceFiles"/>.</summary>
    protected string ResourcePath(string? relative) =>
        relative is not null && ResourceFiles().Contains(relative) ? Path.Combine(Config.ConfigDir, relative)
            : throw new Sp.Core.UserError($"'{relative}' is not a resource file of {Config.ConfigDir}", "upload it on the Files page, or choose one of the list");
}
