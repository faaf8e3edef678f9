using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// A dishonest node operator between a loader and the real sp-node: forwards every request, and lets a test rewrite
/// the JSON answers of the order views the loader reads (the TEE queue and single orders). Loopback only.
/// </summary>
internal sealed class RewritingNodeProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly Func<JsonNode, JsonNode?>? _rewriteOrderView;
    private readonly Func<Exchange, byte[]>? _rewriteAny;

    /// <summary>One forwarded request and the node's answer.</summary>
    public sealed record Exchange(string Method, string Path, byte[] RequestBody, byte[] ResponseBody);
    private readonly Task _serving;

    /// <param name="rewriteOrderView">Applied to each order view ({ order, subOrders }) of GET /api/tee/*/queue and
    /// GET /api/orders/{id}; null leaves a view out of the queue.</param>
    public RewritingNodeProxy(string upstreamUrl, Func<JsonNode, JsonNode?> rewriteOrderView, Func<Exchange, byte[]>? rewriteAny = null)
    {
        _rewriteAny = rewriteAny;
        _upstream = new HttpClient { BaseAddress = new Uri(upstreamUrl.TrimEnd('/') + "/") };
        _rewriteOrderView = rewriteOrderView;
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>How many order views were rewritten (so a test knows the attack happened).</summary>
    public int Rewritten => Volatile.Read(ref _rewritten);
    private int _rewritten;

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => ForwardAsync(context));
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        try
        {
            var path = context.Request.RawUrl!.TrimStart('/');
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), path);
            foreach (var name in context.Request.Headers.AllKeys.OfType<string>())
                if (name is not ("Host" or "Content-Length" or "Content-Type" or "Accept-Encoding" or "Connection" or "Transfer-Encoding"))
                    request.Headers.TryAddWithoutValidation(name, context.Request.Headers.GetValues(name) ?? []);
            var requestBody = Array.Empty<byte>();
            if (context.Request.HasEntityBody)
            {
                var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                requestBody = body.ToArray();
                request.Content = new ByteArrayContent(requestBody);
                if (context.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            using var response = await _upstream.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (response.IsSuccessStatusCode && context.Request.HttpMethod == "GET" && IsOrderView(path))
                bytes = Encoding.UTF8.GetBytes(Rewrite(JsonNode.Parse(bytes)!).ToJsonString());
            if (_rewriteAny is not null && response.IsSuccessStatusCode)
                bytes = _rewriteAny(new Exchange(context.Request.HttpMethod, path, requestBody, bytes));
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } contentType) context.Response.ContentType = contentType.ToString();
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpRequestException or HttpListenerException or IOException or ObjectDisposedException)
        {
            try { context.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private static bool IsOrderView(string path) =>
        System.Text.RegularExpressions.Regex.IsMatch(path, @"^api/(tee/\d+/queue|orders/\d+)$");

    private JsonNode Rewrite(JsonNode node)
    {
        if (node is JsonArray views) return new JsonArray(views.Select(v => RewriteOne(v!)).Where(v => v is not null).ToArray());
        return RewriteOne(node) ?? node;
    }

    private JsonNode? RewriteOne(JsonNode view)
    {
        var rewritten = _rewriteOrderView!(view.DeepClone());
        if (rewritten?.ToJsonString() != view.ToJsonString()) Interlocked.Increment(ref _rewritten);
        return rewritten;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _serving; } catch (ObjectDisposedException) { }
        _upstream.Dispose();
    }
}
