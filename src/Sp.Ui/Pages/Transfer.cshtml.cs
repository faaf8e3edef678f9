using Microsoft.AspNetCore.Mvc;

namespace Sp.Ui.Pages;

/// <summary>
/// One upload or download (<see cref="Transfers"/>): its progress, refreshed every second while it runs, then what it
/// made (the stored file's hash and resource file; the verified result to save) or why it failed.
/// </summary>
public sealed class TransferModel(UiConfig config, Transfers transfers) : UiPage(config)
{
    [BindProperty(SupportsGet = true)] public string? Id { get; set; }

    public Transfer? Found { get; private set; }

    public IActionResult OnGet()
    {
        Found = transfers.Find(Id);
        if (Found is null) Error = $"no transfer '{Id}' in this spctl ui (transfers are kept only while it runs)";
        else if (Found.Error is { } error) Error = error;
        else if (Found.Outcome is { } done) Notice = done.Notice;
        return Page();
    }

    /// <summary>The verified file a finished download made, streamed from disk.</summary>
    public IActionResult OnGetFile()
    {
        Found = transfers.Find(Id);
        if (Found?.Outcome is { File: { } file, FileName: { } name }) return PhysicalFile(file, "application/gzip", name);
        Error = $"transfer '{Id}' has no file to save (not finished, failed, or not a download)";
        return Page();
    }
}
