using System.Net;
using System.Text;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using Sp.Client;
using Sp.Core;

namespace Sp.Node.Tests;

/// <summary>
/// The client's error for a failed answer is the node's JSON <c>error</c> (one line, bounded) or the status alone:
/// other bodies are never quoted, so no error path copies bytes of a download into a message, a log or an order status.
/// </summary>
public sealed class ClientErrorTests
{
    private static async Task<string> ErrorOf(HttpStatusCode status, string body, string contentType)
    {
        using var resp = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        return (await Assert.ThrowsAsync<NodeRefusedError>(() => NodeClient.EnsureOkAsync(resp, TimeProvider.System, default))).Message;
    }

    [Fact]
    public async Task A_body_that_is_not_the_nodes_JSON_error_is_never_quoted()
    {
        Assert.Equal("node answered 502 Bad Gateway", await ErrorOf(HttpStatusCode.BadGateway, "SECRET bytes of some object", "application/octet-stream"));
        Assert.Equal("node answered 500 Internal Server Error", await ErrorOf(HttpStatusCode.InternalServerError, "SECRET <html>", "text/html"));
        Assert.Equal("node answered 404 Not Found", await ErrorOf(HttpStatusCode.NotFound, "{\"SECRET\":1}", "application/json"));
        var huge = "{\"error\":\"" + new string('x', 70_000) + "\"}";
        Assert.Equal("node answered 400 Bad Request", await ErrorOf(HttpStatusCode.BadRequest, huge, "application/json"));
    }

    [Fact]
    public async Task The_nodes_JSON_error_is_the_message_on_one_line_and_bounded()
    {
        Assert.Equal("transaction refused: bad nonce", await ErrorOf(HttpStatusCode.BadRequest, "{\"error\":\"transaction refused: bad nonce\"}", "application/json"));
        Assert.Equal("two lines", await ErrorOf(HttpStatusCode.BadRequest, "{\"error\":\"two\\nlines\"}", "application/json"));
        var longError = await ErrorOf(HttpStatusCode.BadRequest, "{\"error\":\"" + new string('y', 5000) + "\"}", "application/json");
        Assert.Equal(1001, longError.Length);
        Assert.EndsWith("…", longError);
    }

    [Fact]
    public async Task A_busy_answers_Retry_After_date_is_counted_from_the_clients_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        async Task<TimeSpan> AskedAt(DateTimeOffset date)
        {
            using var resp = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("") };
            resp.Headers.RetryAfter = new RetryConditionHeaderValue(date);
            return (await Assert.ThrowsAsync<NodeBusyError>(() => NodeClient.EnsureOkAsync(resp, time, default))).RetryAfter;
        }
        var retryAt = time.GetUtcNow().AddSeconds(7);
        Assert.Equal(TimeSpan.FromSeconds(7), await AskedAt(retryAt));
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(TimeSpan.FromSeconds(1), await AskedAt(retryAt));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.Zero, await AskedAt(retryAt)); // a date already past: no wait
    }
}
