using Sp.Client;
using Sp.Api;
using Sp.Client.Config;
using Sp.Crypto.Accounts;
using Sp.Ledger.State;

namespace Sp.Tee.Loader;

/// <summary>
/// The loader's calls to sp-node, made to survive a node that restarts: reads retry with back-off until they
/// succeed (or the loader stops); transactions are sent one at a time (one account, one nonce sequence) and
/// retried the same way; when a retried transaction is refused, the ledger is asked whether the first attempt
/// had in fact been applied before its answer was lost, so nothing is done twice and nothing is given up on.
/// </summary>
public sealed class NodeCalls(NodeClient node, AccountKey account, string network, Action<string> warn)
{
    internal static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    /// <summary>Attempts of one storage transfer (download or upload) before the order gives up on it.</summary>
    internal const int TransferAttempts = 10;

    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public NodeClient Node => node;

    /// <summary>A failure that says the node could not be reached or the connection broke, not that it refused.</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        NodeUnreachableError => true,
        HttpRequestException => true,
        HttpIOException => true,
        TaskCanceledException => !ct.IsCancellationRequested, // the HTTP client's own time-out
        _ => false,
    };

    internal static TimeSpan NextDelay(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * 2));

    /// <summary>Runs a read until it gets an answer.</summary>
    public async Task<T> ReadAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken ct)
    {
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try { return await call(ct); }
            catch (Exception e) when (IsTransient(e, ct))
            {
                if (attempt == 1 || attempt % 10 == 0) warn($"{what}: node unreachable (attempt {attempt}), retrying: {e.Message}");
                await Task.Delay(delay, ct);
                delay = NextDelay(delay);
            }
        }
    }

    /// <summary>
    /// Sends a transaction about order <paramref name="orderId"/>. <paramref name="applied"/> tells from the
    /// order's state whether it took effect: used when a retry is refused after a lost answer.
    /// </summary>
    public async Task SendAsync<T>(string type, T payload, long orderId, Func<Order, bool> applied, CancellationToken ct)
    {
        var delay = FirstDelay;
        var lostAnswer = false;
        for (var attempt = 1; ; attempt++)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                await node.SendAsync(account, network, type, payload, ct);
                return;
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                lostAnswer = true;
                if (attempt == 1 || attempt % 10 == 0) warn($"{type} for order {orderId}: node unreachable (attempt {attempt}), retrying: {e.Message}");
            }
            catch (UserError) when (lostAnswer)
            {
                var view = await ReadAsync(c => node.GetOrderAsync(orderId, c), $"order {orderId}", ct);
                if (view is not null && applied(view.Order)) return;
                throw;
            }
            finally { _sendLock.Release(); }
            await Task.Delay(delay, ct);
            delay = NextDelay(delay);
        }
    }

    /// <summary>
    /// Runs a storage transfer, again from the start after a broken connection, at most
    /// <see cref="TransferAttempts"/> times. <paramref name="reset"/> discards a partial result first.
    /// </summary>
    public async Task<T> TransferAsync<T>(Func<CancellationToken, Task<T>> attempt, Action reset, string what, CancellationToken ct)
    {
        var delay = FirstDelay;
        for (var n = 1; ; n++)
        {
            try { return await attempt(ct); }
            catch (Exception e) when (n < TransferAttempts && (IsTransient(e, ct) || e is IOException && !ct.IsCancellationRequested && IsNodeDown(e)))
            {
                warn($"{what}: transfer broken (attempt {n} of {TransferAttempts}), retrying: {e.Message}");
                reset();
                await Task.Delay(delay, ct);
                delay = NextDelay(delay);
            }
        }
    }

    /// <summary>An IOException that came from the connection (not from the local disk).</summary>
    private static bool IsNodeDown(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is HttpIOException or HttpRequestException or System.Net.Sockets.SocketException) return true;
        return false;
    }

    /// <summary>The order's current view, or null when it does not exist.</summary>
    public Task<OrderView?> GetOrderAsync(long orderId, CancellationToken ct) =>
        ReadAsync(c => node.GetOrderAsync(orderId, c), $"order {orderId}", ct);
}
