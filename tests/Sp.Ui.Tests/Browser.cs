using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Sp.Ui.Tests;

/// <summary>Debian's chromium (apt package chromium), headless, driven by Playwright; screenshots kept as artefacts.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Every request a page made to anywhere but this machine (refused): the UI must need no CDN or internet.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Offsite { get; } = new();

    /// <summary>Where the screenshots go: the test's output folder.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is missing: run scripts/ensure-test-tools.sh (apt package chromium)");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
    }

    /// <summary>A fresh browser context (its own cookies) <paramref name="width"/> pixels wide, on a UI's token URL.</summary>
    public async Task<IPage> OpenAsync(UiProcess ui, int width = 1100)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 900 }, AcceptDownloads = true });
        context.SetDefaultTimeout(60_000);
        await context.RouteAsync("**/*", async route =>
        {
            if (Uri.TryCreate(route.Request.Url, UriKind.Absolute, out var u) && u.IsLoopback) { await route.ContinueAsync(); return; }
            Offsite.Enqueue(route.Request.Url);
            await route.AbortAsync();
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(ui.Url);
        return page;
    }

    /// <summary>The page reads at its width without scrolling sideways (wide tables scroll inside their own box).</summary>
    public static async Task AssertFitsAsync(IPage page)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"{page.Url} is {widths[0]} px wide in a {widths[1]} px window");
    }

    public static async Task<string> ShotAsync(IPage page, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(Screenshots, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        return path;
    }
}
