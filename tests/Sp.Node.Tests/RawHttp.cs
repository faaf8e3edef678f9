using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sp.Node.Tests;

/// <summary>
/// One HTTP/1.1 request over a plain socket, its body generated as it is sent (a declared Content-Length or
/// chunked) while the answer is read: a server that answers before the body has arrived is seen doing so, and
/// neither side needs the body in memory.
/// </summary>
internal static class RawHttp
{
    public sealed record Answer(int Status, Dictionary<string, string> Headers, string Body, long BodyBytesSent);

    /// <param name="body">Parts of the body, produced lazily.</param>
    /// <param name="declaredLength">Sent as Content-Length; null sends the body chunked.</param>
    public static async Task<Answer> SendAsync(int port, string method, string path, IEnumerable<ReadOnlyMemory<byte>> body, long? declaredLength,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n");
        head.Append(declaredLength is { } n ? $"Content-Length: {n}\r\n" : "Transfer-Encoding: chunked\r\n");
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) head.Append($"{k}: {v}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));

        long sent = 0;
        var writer = Task.Run(async () =>
        {
            try
            {
                foreach (var part in body)
                {
                    if (declaredLength is null) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{part.Length:x}\r\n"));
                    await stream.WriteAsync(part);
                    if (declaredLength is null) await stream.WriteAsync("\r\n"u8.ToArray());
                    Interlocked.Add(ref sent, part.Length);
                }
                if (declaredLength is null) await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            }
            catch (IOException) { } // the server closed the connection after its answer: the rest is not wanted
        });

        var answer = await ReadAnswerAsync(stream);
        socket.Shutdown(SocketShutdown.Both); // stops the writer if it is still going
        await writer;
        return answer with { BodyBytesSent = Interlocked.Read(ref sent) };
    }

    private static async Task<Answer> ReadAnswerAsync(Stream stream)
    {
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0) throw new IOException("the connection closed before an answer");
            received.Write(buffer, 0, n);
        }
        var lines = Encoding.ASCII.GetString(received.GetBuffer(), 0, headEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var rest = new MemoryStream();
        rest.Write(received.GetBuffer(), headEnd + 4, (int)received.Length - headEnd - 4);
        // Answers here are short: read what follows the head until the server ends the message or the connection.
        while (!Complete(rest, headers))
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0) break;
            rest.Write(buffer, 0, n);
        }
        return new Answer(status, headers, Decode(rest.ToArray(), headers), 0);
    }

    private static bool Complete(MemoryStream body, Dictionary<string, string> headers) =>
        headers.TryGetValue("Content-Length", out var n) ? body.Length >= long.Parse(n)
        : headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase) && IndexOf(body, "0\r\n\r\n"u8) >= 0;

    private static string Decode(byte[] body, Dictionary<string, string> headers)
    {
        if (!headers.TryGetValue("Transfer-Encoding", out var te) || !te.Contains("chunked", StringComparison.OrdinalIgnoreCase)) return Encoding.UTF8.GetString(body);
        var text = new StringBuilder();
        var pos = 0;
        while (true)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\r', pos);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body, pos, lineEnd - pos), 16);
            if (size == 0) break;
            text.Append(Encoding.UTF8.GetString(body, lineEnd + 2, size));
            pos = lineEnd + 2 + size + 2;
        }
        return text.ToString();
    }

    private static int IndexOf(MemoryStream s, ReadOnlySpan<byte> what) => s.GetBuffer().AsSpan(0, (int)s.Length).IndexOf(what);
}
