using Sp.Client;
using Sp.Api;
using Sp.Core;
using Sp.Core.Resilience;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;

namespace Sp.Tee.Loader;

/// <summary>
/// The loader's calls to sp-node, made to survive a node that restarts: reads retry with back-off until they
/// succeed (or the loader stops); transactions are sent one at a time (one account, one nonce sequence) and
/// retried the same way; when a retried transaction is refused, the ledger is asked whether the first attempt
/// had in fact been applied before its answer was lost, so nothing is done twice and nothing is given up on.
/// </summary>
public sealed class NodeCalls(NodeClient node, AccountKey account, string network, Action<string> warn)
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public NodeClient Node => node;

    /// <summary>A failure that says the node could not be reached or the connection broke, not that it refused
    /// (<see cref="RetryPolicy.IsTransient"/>); never when <paramref name="ct"/> itself was cancelled.</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => !ct.IsCancellationRequested && RetryPolicy.IsTransient(e);

    /// <summary>Runs a read until it gets an answer (<see cref="RetryPolicies.Loader"/>).</summary>
    public async Task<T> ReadAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken ct) =>
        await Pipeline(RetryPolicies.Loader, (e, attempt) => $"{what}: node unreachable (attempt {attempt}), retrying: {e.Message}")
            .ExecuteAsync(async c => await call(c), ct);

    /// <summary>
    /// Sends a transaction about order <paramref name="orderId"/>, again after a transient failure
    /// (<see cref="RetryPolicies.Loader"/>). <paramref name="applied"/> tells from the order's state whether it took
    /// effect: used when a retry is refused after a lost answer.
    /// </summary>
    public async Task SendAsync(TxPayload payload, long orderId, Func<Order, bool> applied, CancellationToken ct)
    {
        var lostAnswer = false;
        var retry = Pipeline(RetryPolicies.Loader, (e, attempt) =>
        {
            lostAnswer = true;
            return $"{payload.TypeName} for order {orderId}: node unreachable (attempt {attempt}), retrying: {e.Message}";
        });
        try
        {
            await retry.ExecuteAsync(async c =>
            {
                await _sendLock.WaitAsync(c);
                try { await node.SendAsync(account, network, payload, c); }
                finally { _sendLock.Release(); }
            }, ct);
        }
        catch (NodeRefusedError) when (lostAnswer)
        {
            var view = await ReadAsync(c => node.GetOrderAsync(orderId, c), $"order {orderId}", ct);
            if (view is not null && applied(view.Order)) return;
            throw;
        }
    }

    /// <summary>
    /// Runs a storage transfer, again from the start after a broken connection (<see cref="RetryPolicies.Transfer"/>).
    /// <paramref name="reset"/> discards a partial result first.
    /// </summary>
    public async Task<T> TransferAsync<T>(Func<CancellationToken, Task<T>> attempt, Action reset, string what, CancellationToken ct) =>
        await Pipeline(RetryPolicies.Transfer, (e, n) =>
        {
            reset();
            return $"{what}: transfer broken (attempt {n} of {RetryPolicies.Transfer.MaxAttempts}), retrying: {e.Message}";
        }, everyRetry: true).ExecuteAsync(async c => await attempt(c), ct);

    /// <summary>A pipeline of <paramref name="policy"/> that warns of its first retry and of every tenth (or of each).</summary>
    private Polly.ResiliencePipeline Pipeline(RetryPolicy policy, Func<Exception, int, string> describe, bool everyRetry = false) =>
        policy.Build((e, attempt) =>
        {
            var message = describe(e, attempt);
            if (everyRetry || attempt == 1 || attempt % 10 == 0) warn(message);
        });

    /// <summary>The order's current view, or null when it does not exist.</summary>
    public Task<OrderView?> GetOrderAsync(long orderId, CancellationToken ct) =>
        ReadAsync(c => node.GetOrderAsync(orderId, c), $"order {orderId}", ct);
}
