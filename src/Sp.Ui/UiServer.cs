using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sp.Ui;

/// <summary>What `spctl ui` was given: the config, where to listen, the port (0: any free one).</summary>
public sealed record UiOptions(string ConfigPath, IPAddress Listen, int Port);

/// <summary>The user's config folder, as every page sees it (a page opens a ClientContext per request, as a command does).</summary>
public sealed record UiConfig(string ConfigPath)
{
    public string ConfigDir => Path.GetDirectoryName(ConfigPath)!;
    public Sp.Cli.ClientContext Open() => new(ConfigPath);
}

/// <summary>
/// The web app of `spctl ui`: Razor Pages on Kestrel, behind a random token (as Jupyter): the first request with
/// <c>?token=</c> sets an HttpOnly, SameSite=Strict cookie and redirects to the same page without it; every request
/// without the cookie is 403. Forms carry ASP.NET Core's antiforgery token. Keys stay in this process: pages show
/// addresses and hashes, never config.json's secrets.
/// </summary>
public static class UiServer
{
    public static WebApplication Build(UiOptions options, string token)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(options.Listen, options.Port));
        builder.Services.AddSingleton(new UiConfig(Path.GetFullPath(options.ConfigPath)));
        builder.Services.AddSingleton(new Transfers(TimeProvider.System));
        builder.Services.AddRazorPages().AddApplicationPart(typeof(UiServer).Assembly);
        builder.Services.AddAntiforgery(a =>
        {
            a.Cookie.Name = "spctl-ui-af";
            a.Cookie.SameSite = SameSiteMode.Strict;
        });
        // Uploads are streamed to a temporary file by the form reader beyond this many bytes; no size limit here.
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f => { f.MultipartBodyLengthLimit = long.MaxValue; f.MemoryBufferThreshold = 64 * 1024; });
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        app.UseExceptionHandler("/Error");
        app.Use(TokenGate(token));
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new EmbeddedFileProvider(typeof(UiServer).Assembly, "Sp.Ui.wwwroot") });
        app.MapRazorPages();
        return app;
    }

    /// <summary>A fresh URL-safe token of 192 random bits.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static Func<HttpContext, RequestDelegate, Task> TokenGate(string token)
    {
        var expected = System.Text.Encoding.UTF8.GetBytes(token);
        bool Matches(string? given) => given is not null &&
            CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given), expected);
        return async (http, next) =>
        {
            // Cookies are per host, not per port: each UI names its own, so two UIs on one machine do not clash.
            var cookie = $"spctl-ui-{http.Connection.LocalPort}";
            if (Matches(http.Request.Query["token"]))
            {
                http.Response.Cookies.Append(cookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
                // The token leaves the address bar (and the history) at once.
                var query = QueryString.Create(http.Request.Query.Where(q => q.Key != "token"));
                http.Response.Redirect(http.Request.PathBase + http.Request.Path + query);
                return;
            }
            if (!Matches(http.Request.Cookies[cookie]))
            {
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                http.Response.ContentType = "text/plain; charset=utf-8";
                await http.Response.WriteAsync("403: open the address `spctl ui` printed (it carries the access token).\n");
                return;
            }
            await next(http);
        };
    }

    /// <summary>Starts the app and returns the address to open (with the token); the app runs until stopped.</summary>
    public static async Task<(WebApplication App, string Url)> StartAsync(UiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var token = NewToken();
        var app = Build(options, token);
        await app.StartAsync();
        var address = app.Urls.First();
        var port = new Uri(address).Port;
        var host = options.Listen.Equals(IPAddress.Any) || options.Listen.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : options.Listen.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Listen}]" : options.Listen.ToString();
        return (app, $"http://{host}:{port}/?token={token}");
    }

    /// <summary>What a failure says on a page: the one line the CLI prints (its message and hint), never a stack trace.</summary>
    public static string Describe(Exception e) =>
        Sp.Cli.Operations.Orders.IsFailure(e) ? Sp.Cli.Operations.Orders.Reason(e) : $"internal error ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")})";

    internal static Exception? Failure(HttpContext http) => http.Features.Get<IExceptionHandlerPathFeature>()?.Error;
}
