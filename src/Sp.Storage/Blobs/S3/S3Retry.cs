using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using RetryPolicy = Sp.Core.Resilience.RetryPolicy;

namespace Sp.Storage.Blobs.S3;

/// <summary>
/// Retries one S3 request on transient failures through the platform's one retry shape (<see cref="RetryPolicy"/>:
/// exponential back-off from <c>baseDelay</c>, capped at 10 s, jitter in [d/2, d]; docs/errors.md). Transient: HTTP
/// 5xx, 429, S3's RequestTimeout/SlowDown codes, request timeouts, and connection failures or resets. Anything else
/// (403, 404, a bad request) fails at once.
/// </summary>
internal sealed class S3Retry
{
    private static readonly string[] TransientCodes = ["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed"];

    private readonly RetryPolicy _policy;
    private readonly Action<string, int, Exception>? _onRetry;

    public S3Retry(int maxAttempts, TimeSpan baseDelay, Action<string, int, Exception>? onRetry)
    {
        _policy = new RetryPolicy
        {
            MaxAttempts = maxAttempts,
            BaseDelay = baseDelay,
            MaxDelay = TimeSpan.FromSeconds(10) > baseDelay ? TimeSpan.FromSeconds(10) : baseDelay,
            ShouldRetry = e => IsTransient(e, default),
        };
        _onRetry = onRetry;
    }

    public int MaxAttempts => _policy.MaxAttempts;

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> attempt, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var pipeline = _policy.Build((e, n) => _onRetry?.Invoke(operation, n, e));
        try
        {
            return await pipeline.ExecuteAsync(async c => await attempt(c).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageEndpointRefusedException.FindIn(e) is { } refused && refused != e)
        {
            // The SDK wraps the connect callback's refusal: the caller hears the refusal itself, which names the host.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
            throw;
        }
    }

    public Task RunAsync(string operation, Func<CancellationToken, Task> attempt, CancellationToken ct) =>
        RunAsync<bool>(operation, async c => { await attempt(c).ConfigureAwait(false); return true; }, ct);

    /// <summary>Back-off before attempt <paramref name="attempt"/> (2, 3, ...): uniform in [d/2, d], d = base x 2^(attempt-2), capped.</summary>
    internal TimeSpan DelayBefore(int attempt) => _policy.DelayBefore(attempt - 2, null);

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
