using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Sp.Ui.Pages;

/// <summary>Any failure a page did not catch: its one line, as the CLI prints it, never a stack trace.</summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public string Message { get; private set; } = "";

    public void OnGet() => Message = UiServer.Failure(HttpContext) is { } e ? UiServer.Describe(e) : "unknown error";

    public void OnPost() => OnGet();
}
