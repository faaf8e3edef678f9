using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sp.Storage.Tests;

/// <summary>
/// A loopback HTTP/1.1 server that records every connection it accepts and answers each request with what
/// <see cref="Answer"/> returns (status, headers, body). Enough of HTTP for an S3 client's HEAD and ranged GETs.
/// </summary>
internal sealed class FakeHttpServer : IDisposable
{
    public sealed record Response(int Status, string Reason, Dictionary<string, string> Headers, byte[] Body);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public FakeHttpServer(Func<string, string, Response> answer)
    {
        Answer = answer;
        _listener.Start();
        _ = Task.Run(AcceptLoopAsync);
    }

    /// <summary>(method, path) → the response.</summary>
    public Func<string, string, Response> Answer { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Url => $"http://127.0.0.1:{Port}";
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A server that answers every request with <paramref name="status"/> and <paramref name="body"/>.</summary>
    public static FakeHttpServer Always(int status, string body, string contentType = "application/xml") =>
        new((_, _) => new Response(status, "Whatever", new() { ["Content-Type"] = contentType }, Encoding.UTF8.GetBytes(body)));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
                while (true)
                {
                    var requestLine = await reader.ReadLineAsync();
                    if (string.IsNullOrEmpty(requestLine)) return;
                    long contentLength = 0;
                    string? line;
                    while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
                        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) contentLength = long.Parse(line[15..].Trim());
                    for (var i = 0L; i < contentLength; i++) reader.Read(); // the request body, unused
                    var parts = requestLine.Split(' ');
                    var response = Answer(parts[0], parts[1]);
                    var head = new StringBuilder($"HTTP/1.1 {response.Status} {response.Reason}\r\n");
                    foreach (var (k, v) in response.Headers) head.Append($"{k}: {v}\r\n");
                    if (!response.Headers.ContainsKey("Content-Length")) head.Append($"Content-Length: {response.Body.Length}\r\n");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
                    if (parts[0] != "HEAD") await stream.WriteAsync(response.Body);
                }
            }
            catch (IOException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Dispose();
        _stop.Dispose();
    }
}
