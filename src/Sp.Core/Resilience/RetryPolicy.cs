using System.Net;
using System.Net.Sockets;
using Polly;
using Polly.Retry;

namespace Sp.Core.Resilience;

/// <summary>
/// The one retry shape of the platform (docs/errors.md): at most <see cref="MaxAttempts"/> attempts, for the failures
/// <see cref="ShouldRetry"/> picks by their type, with exponential back-off and jitter between them. Before retry k
/// (k = 0, 1, ...) the ceiling is c = min(max(<see cref="BaseDelay"/>, asked) x 2^k, <see cref="MaxDelay"/>), where
/// asked is the delay the failure names (a <see cref="NodeBusyError"/>'s Retry-After), else zero. The wait is uniform
/// in [c/2, c], or in [c, 1.25 c] when the failure asked for a delay (never sooner than asked). Nothing is retried
/// once the caller's token is cancelled. Build a <see cref="ResiliencePipeline"/> with <see cref="Build"/>.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Attempts in all, the first included; <see cref="Forever"/> retries until the caller cancels.</summary>
    public required int MaxAttempts { get; init; }
    public required TimeSpan BaseDelay { get; init; }
    public required TimeSpan MaxDelay { get; init; }
    /// <summary>Which failures are retried, by type (never by message text).</summary>
    public required Func<Exception, bool> ShouldRetry { get; init; }

    public const int Forever = int.MaxValue;

    /// <summary>A pipeline of this policy. <paramref name="onRetry"/> hears each failure that is retried, with its attempt (1-based).</summary>
    public ResiliencePipeline Build(Action<Exception, int>? onRetry = null, TimeProvider? time = null)
    {
        if (MaxAttempts < 1) throw new InvalidOperationException($"{nameof(MaxAttempts)}: expected at least 1 attempt, got {MaxAttempts}");
        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
            throw new InvalidOperationException($"delays: base {BaseDelay}, max {MaxDelay}: expected 0 <= base <= max");
        if (MaxAttempts == 1) return ResiliencePipeline.Empty;
        var builder = new ResiliencePipelineBuilder();
        if (time is not null) builder.TimeProvider = time;
        return builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = MaxAttempts == Forever ? int.MaxValue : MaxAttempts - 1,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && ShouldRetry(e)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DelayBefore(args.AttemptNumber, args.Outcome.Exception)),
            OnRetry = args =>
            {
                if (args.Outcome.Exception is { } e) onRetry?.Invoke(e, args.AttemptNumber + 1);
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    /// <summary>The wait before retry <paramref name="retry"/> (0-based) after <paramref name="failure"/> (see the type's summary).</summary>
    public TimeSpan DelayBefore(int retry, Exception? failure)
    {
        var asked = failure is NodeBusyError busy ? busy.RetryAfter : TimeSpan.Zero;
        var start = Math.Max(BaseDelay.Ticks, asked.Ticks);
        var ceiling = Math.Min(MaxDelay.Ticks, start << Math.Min(retry, 20));
        if (ceiling < 0) ceiling = MaxDelay.Ticks; // the shift overflowed
        return asked > TimeSpan.Zero
            ? TimeSpan.FromTicks(ceiling + (long)(ceiling * 0.25 * Random.Shared.NextDouble()))
            : TimeSpan.FromTicks(ceiling / 2 + (long)(ceiling / 2 * Random.Shared.NextDouble()));
    }

    /// <summary>
    /// A failure of the network, not a refusal: a <see cref="TransientError"/>, or (anywhere in the chain of inner
    /// exceptions) a connection failure, a broken response, a time-out, or an HTTP status of 5xx or none. Never an
    /// <see cref="IntegrityError"/>, a <see cref="NodeRefusedError"/> or a <see cref="UserError"/>. A
    /// cancellation counts (an HTTP client's own time-out): the pipeline does not retry once the caller's token is
    /// cancelled.
    /// </summary>
    public static bool IsTransient(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case IntegrityError or NodeRefusedError or UserError: return false;
                case TransientError: return true;
                case HttpRequestException h when h.StatusCode is null || (int)h.StatusCode >= 500 || h.StatusCode == HttpStatusCode.RequestTimeout:
                case HttpIOException or SocketException or TimeoutException or OperationCanceledException:
                    return true;
            }
        }
        return false;
    }
}

/// <summary>The platform's retry policies: one shape (<see cref="RetryPolicy"/>), chosen per boundary (docs/errors.md).</summary>
public static class RetryPolicies
{
    /// <summary>
    /// A node request answered 503 with Retry-After (<see cref="NodeBusyError"/>): 8 attempts, from the asked delay
    /// (at least 100 ms) doubling up to 30 s. CLIs retry nothing else: an unreachable node fails the command at once.
    /// </summary>
    public static readonly RetryPolicy NodeBusy = new()
    {
        MaxAttempts = 8,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(30),
        ShouldRetry = e => e is NodeBusyError,
    };

    /// <summary>
    /// A transaction whose nonce another transaction of the same account took meanwhile (<see cref="NonceConflictError"/>):
    /// signed again with a fresh nonce, 4 attempts, 50 ms doubling up to 1 s.
    /// </summary>
    public static readonly RetryPolicy NonceConflict = new()
    {
        MaxAttempts = 4,
        BaseDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromSeconds(1),
        ShouldRetry = e => e is NonceConflictError,
    };

    /// <summary>
    /// The TEE loader's reads and transactions (a node that restarts): every transient failure
    /// (<see cref="RetryPolicy.IsTransient"/>), until the loader stops, 200 ms doubling up to 5 s.
    /// </summary>
    public static readonly RetryPolicy Loader = new()
    {
        MaxAttempts = RetryPolicy.Forever,
        BaseDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(5),
        ShouldRetry = RetryPolicy.IsTransient,
    };

    /// <summary>The loader's storage transfers (a download or an upload, from the start again): as <see cref="Loader"/>, 10 attempts.</summary>
    public static readonly RetryPolicy Transfer = Loader with { MaxAttempts = 10 };

    /// <summary>The loader's start-up calls (its TEE certificate): a node not yet up, 30 attempts, 100 ms doubling up to 2 s.</summary>
    public static readonly RetryPolicy Startup = Loader with
    {
        MaxAttempts = 30,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(2),
        ShouldRetry = e => e is NodeUnreachableError or NodeBusyError,
    };
}
