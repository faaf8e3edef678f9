using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace Sp.Storage.Blobs.S3;

/// <summary>
/// Retries one S3 request on transient failures with exponential back-off and full jitter. Transient: HTTP 5xx,
/// 429, S3's RequestTimeout/SlowDown codes, request timeouts, and connection failures or resets. Anything else
/// (403, 404, a bad request) fails at once.
/// </summary>
internal sealed class S3Retry(int maxAttempts, TimeSpan baseDelay, Action<string, int, Exception>? onRetry)
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);
    private static readonly string[] TransientCodes = ["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed"];

    public int MaxAttempts => maxAttempts;

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> attempt, CancellationToken ct)
    {
        for (var n = 1; ; n++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return await attempt(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (n < maxAttempts && IsTransient(e, ct))
            {
                onRetry?.Invoke(operation, n, e);
                await Task.Delay(DelayBefore(n + 1), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (StorageEndpointRefusedException.FindIn(e) is { } refused && refused != e)
            {
                // The SDK wraps the connect callback's refusal: the caller hears the refusal itself, which names the host.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
            }
        }
    }

    public Task RunAsync(string operation, Func<CancellationToken, Task> attempt, CancellationToken ct) =>
        RunAsync<bool>(operation, async c => { await attempt(c).ConfigureAwait(false); return true; }, ct);

    /// <summary>Back-off before attempt <paramref name="attempt"/> (2, 3, ...): uniform in [d/2, d], d = base x 2^(attempt-2), capped.</summary>
    internal TimeSpan DelayBefore(int attempt)
    {
        var exponent = Math.Min(attempt - 2, 16);
        var ceiling = Math.Min(baseDelay.TotalMilliseconds * (1L << exponent), MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    /// <summary>Whether <paramref name="e"/> is worth another attempt (not when <paramref name="ct"/> itself was cancelled).</summary>
    internal static bool IsTransient(Exception e, CancellationToken ct)
    {
        if (ct.IsCancellationRequested || StorageEndpointRefusedException.FindIn(e) is not null) return false;
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case AmazonServiceException s when IsTransientStatus(s.StatusCode) || TransientCodes.Contains(s.ErrorCode, StringComparer.Ordinal):
                    return true;
                case HttpRequestException h when h.StatusCode is null || IsTransientStatus(h.StatusCode.Value):
                    return true;
                case SocketException or TimeoutException:
                    return true;
                case OperationCanceledException:
                    return true; // not ours (checked above): an HTTP timeout
                case IOException when x is not FileNotFoundException and not DirectoryNotFoundException:
                    return true; // connection reset, response ended early
            }
        }
        return false;
    }

    private static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
}
