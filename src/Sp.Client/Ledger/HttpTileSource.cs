using System.Net;
using Sp.Client.Config;
using Sp.Core;
using Sp.Tlog;

namespace Sp.Client.Ledger;

/// <summary>A tiled log read over HTTP from its log URL: the node's <c>/log</c>, or any static web server or mirror.</summary>
public sealed class HttpTileSource : ITileSource, IDisposable
{
    private readonly HttpClient _http;

    public HttpTileSource(string logUrl, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logUrl);
        LogUrl = logUrl.TrimEnd('/');
        // Accept-Encoding: gzip (entry bundles come compressed, as tlog-tiles recommends), decompressed here.
        var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.GZip };
        _http = new HttpClient(handler) { BaseAddress = new Uri(LogUrl + "/"), Timeout = timeout ?? TimeSpan.FromMinutes(2) };
    }

    public string LogUrl { get; }

    /// <summary>The bytes at <c>LogUrl/path</c>; null on 404 (a partial tile that is gone, a missing file).</summary>
    public async Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        HttpResponseMessage resp;
        try
        {
            resp = await _http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new NodeUnreachableError($"cannot reach the log at {LogUrl}/{path}: {e.Message}", "is the node running? (check backend.url in config.json or --log-url)");
        }
        using (resp)
        {
            if (resp.StatusCode == HttpStatusCode.NotFound) return null;
            if (!resp.IsSuccessStatusCode)
                throw new UserError($"the log at {LogUrl}/{path} answered {(int)resp.StatusCode} {resp.ReasonPhrase}");
            return await resp.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Opens a log location given as a URL (<c>http(s)://…</c>) or a folder written by <c>sp-node log export</c>.</summary>
public static class LogLocation
{
    public static ITileSource Open(string urlOrDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urlOrDir);
        if (urlOrDir.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || urlOrDir.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new HttpTileSource(urlOrDir);
        if (!Directory.Exists(urlOrDir)) throw new UserError($"{urlOrDir}: no such folder (and not an http(s) URL)", "pass --log-url URL or a folder written by `sp-node log export`");
        return new FolderTileSource(urlOrDir);
    }

    /// <summary>The log URL of a node: <c>BACKEND/log</c>.</summary>
    public static string OfNode(string backendUrl) => backendUrl.TrimEnd('/') + "/log";
}
