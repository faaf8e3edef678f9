using System.Net;
using Sp.Core.Resilience;

namespace Sp.Core.Tests;

/// <summary>The one retry shape: what it retries (by type, never by words), how often, and how long it waits.</summary>
public sealed class RetryPolicyTests
{
    private static RetryPolicy Quick(int attempts) => RetryPolicies.Loader with { MaxAttempts = attempts, BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

    private static async Task<(int Calls, Exception? Error)> Run(RetryPolicy policy, Func<int, Exception?> failure, CancellationToken ct = default)
    {
        var calls = 0;
        try
        {
            await policy.Build().ExecuteAsync(_ =>
            {
                if (failure(++calls) is { } e) throw e;
                return ValueTask.CompletedTask;
            }, ct);
            return (calls, null);
        }
        catch (Exception e) { return (calls, e); }
    }

    [Fact]
    public async Task A_transient_failure_is_retried_until_the_call_succeeds()
    {
        var (calls, error) = await Run(Quick(5), n => n <= 3 ? new NodeUnreachableError("connection refused") : null);
        Assert.Null(error);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task A_transient_failure_is_given_up_after_the_policys_attempts()
    {
        var (calls, error) = await Run(Quick(3), _ => new HttpRequestException("reset"));
        Assert.IsType<HttpRequestException>(error);
        Assert.Equal(3, calls);
    }

    public static TheoryData<Exception> NeverRetried => new()
    {
        // Whatever their words say: a refusal, bad input, an integrity failure are each tried once.
        new NodeRefusedError(HttpStatusCode.BadRequest, "transaction refused: node unreachable, nonce timeout"),
        new UserError("cannot reach the node: no such file config.json"),
        new IntegrityError("signature does not verify: connection reset"),
        new LogIntegrityError("the log's checkpoint is a rollback; retry later"),
        new InvalidOperationException("a bug"),
        new HttpRequestException("404", null, HttpStatusCode.NotFound),
    };

    [Theory]
    [MemberData(nameof(NeverRetried))]
    public async Task Refusals_bad_input_and_integrity_failures_are_never_retried(Exception failure)
    {
        // Loader's policy retries forever: one call shows it did not retry at all.
        var (calls, error) = await Run(RetryPolicies.Loader with { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero }, _ => failure);
        Assert.Same(failure, error);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Each_boundarys_policy_retries_only_its_own_types()
    {
        var busy = RetryPolicies.NodeBusy with { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };
        Assert.Equal(1, (await Run(busy, _ => new NodeUnreachableError("down"))).Calls); // a CLI fails at once when the node is down
        Assert.Equal(1, (await Run(busy, _ => new NonceConflictError("nonce taken"))).Calls);
        Assert.Equal(busy.MaxAttempts, (await Run(busy, _ => new NodeBusyError("node busy", TimeSpan.Zero))).Calls);

        var nonce = RetryPolicies.NonceConflict with { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };
        Assert.Equal(nonce.MaxAttempts, (await Run(nonce, _ => new NonceConflictError("nonce taken"))).Calls);
        Assert.Equal(1, (await Run(nonce, _ => new NodeRefusedError(HttpStatusCode.BadRequest, "nonce of 0x..: expected 1, got 0"))).Calls);
    }

    [Fact]
    public async Task Nothing_is_retried_once_the_caller_cancels()
    {
        using var cts = new CancellationTokenSource();
        var (calls, error) = await Run(Quick(RetryPolicy.Forever), _ =>
        {
            cts.Cancel();
            return new TaskCanceledException("the HTTP client's time-out");
        }, cts.Token);
        Assert.IsType<TaskCanceledException>(error);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Back_off_doubles_with_jitter_is_capped_and_never_sooner_than_the_node_asked()
    {
        var policy = RetryPolicies.Loader; // 200 ms doubling, at most 5 s
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(policy.DelayBefore(0, null).TotalMilliseconds, 100, 200);
            Assert.InRange(policy.DelayBefore(2, null).TotalMilliseconds, 400, 800);
            Assert.InRange(policy.DelayBefore(40, null).TotalMilliseconds, 2_500, 5_000);
            var busy = new NodeBusyError("node busy", TimeSpan.FromSeconds(1));
            Assert.InRange(policy.DelayBefore(0, busy).TotalMilliseconds, 1_000, 1_250);
            Assert.InRange(policy.DelayBefore(1, busy).TotalMilliseconds, 2_000, 2_500);
            Assert.InRange(policy.DelayBefore(9, busy).TotalMilliseconds, 5_000, 6_250);
        }
    }

    [Fact]
    public void Transient_means_the_network_failed_not_that_anyone_refused()
    {
        Assert.True(RetryPolicy.IsTransient(new NodeUnreachableError("connection refused")));
        Assert.True(RetryPolicy.IsTransient(new NodeBusyError("busy", TimeSpan.FromSeconds(1))));
        Assert.True(RetryPolicy.IsTransient(new NonceConflictError("nonce taken")));
        Assert.True(RetryPolicy.IsTransient(new IOException("response ended early", new HttpIOException(HttpRequestError.ResponseEnded))));
        Assert.True(RetryPolicy.IsTransient(new HttpRequestException("502", null, HttpStatusCode.BadGateway)));
        Assert.False(RetryPolicy.IsTransient(new FileNotFoundException("storage object 5 not found")));
        Assert.False(RetryPolicy.IsTransient(new IntegrityError("hash mismatch", null)));
    }

    [Fact]
    public void A_policy_that_cannot_work_is_refused_when_built()
    {
        Assert.Throws<InvalidOperationException>(() => Quick(0).Build());
        Assert.Throws<InvalidOperationException>(() => (RetryPolicies.Loader with { MaxDelay = TimeSpan.FromMilliseconds(1) }).Build());
    }
}
