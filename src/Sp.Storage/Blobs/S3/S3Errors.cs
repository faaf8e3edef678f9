using System.Net.Sockets;
using Amazon.Runtime;

namespace Sp.Storage.Blobs.S3;

/// <summary>
/// What an S3 failure says, in words that never come from the server's body: an S3 error's message (and an
/// unmarshalling error's text) are bytes the endpoint sent, and failure messages end up in logs and in public
/// order statuses. Only the HTTP status and an error code of plain letters are kept; a failure without an HTTP
/// answer is described by the local network error.
/// </summary>
public static class S3Errors
{
    public static string Describe(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case AmazonServiceException s when s.StatusCode != 0:
                    var code = IsPlainCode(s.ErrorCode) ? " " + s.ErrorCode : "";
                    return $"HTTP {(int)s.StatusCode}{code}";
                case HttpRequestException or SocketException or TimeoutException or OperationCanceledException:
                    return x.Message; // from this machine's network stack, not from the server
                case IOException when x.InnerException is null:
                    return x.Message;
            }
        }
        return e.GetType().Name;
    }

    private static bool IsPlainCode(string? code) =>
        !string.IsNullOrEmpty(code) && code.Length <= 64 && code.All(c => char.IsAsciiLetterOrDigit(c) || c == '.');
}
