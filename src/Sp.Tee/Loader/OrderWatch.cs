using Microsoft.Extensions.Logging;
using Sp.Api;
using Sp.Core;
using Sp.Core.Model;

namespace Sp.Tee.Loader;

/// <summary>
/// Reads the order back while its solution runs and completes with the reason to stop it: the order was
/// canceled (by its consumer or the TEE's owner), or its deposit no longer pays for the time run so far (the
/// deposit's funded time, from its slots' prices, counted from <c>order.start</c>; a replenishment moves it on;
/// <see cref="OrderFunding"/>). It reads every <paramref name="interval"/>, and wakes at the deadline when that comes
/// sooner. Runs until the container ends (its token), never failing the order by itself: a node that does not answer
/// is retried (see NodeCalls), one that refuses is asked again an interval later.
/// </summary>
/// <param name="readOrder">Reads the order and its sub-orders as the ledger has them (null: it no longer exists).</param>
/// <param name="time">The loader's clock: the deadline is compared with it, the waits run on it.</param>
public sealed class OrderWatch(Func<CancellationToken, Task<OrderView?>> readOrder, TimeSpan interval, TimeProvider time, OrderNotes notes)
{
    public async Task<string> UntilStopAsync(CancellationToken ct)
    {
        long? announcedUntil = null;
        while (true)
        {
            OrderView? view;
            try { view = await readOrder(ct).ConfigureAwait(false); }
            catch (SpError e) when (e is NodeRefusedError or UserError)
            {
                notes.Note(LogLevel.Warning, "could not read the order back (the run goes on): {Reason}", e.Message);
                await Task.Delay(interval, time, ct).ConfigureAwait(false);
                continue;
            }
            if (view is null) return "the order no longer exists on the ledger";
            var order = view.Order;
            if (order.Status == OrderStatus.Canceled)
                return $"the order was canceled while its solution ran ({order.StatusMessage ?? "canceled"})";
            var wait = interval;
            if (OrderFunding.FundedUntil(view) is { } until)
            {
                var now = time.GetUtcNow();
                if (OrderFunding.IsSpentAt(until, now))
                    return $"deposit exhausted: the order's deposit of {order.Deposit} tokens pays for " +
                           $"{OrderFunding.Seconds(until - (order.Started ?? until))} s of run time at its slots' prices; " +
                           "replenish a running order's deposit with `spctl orders replenish-deposit`";
                if (announcedUntil != until)
                {
                    notes.Note("the deposit of {Deposit} tokens pays for the run until {FundedUntil:yyyy-MM-ddTHH:mm:ss.fffZ}", order.Deposit, DateTimeOffset.FromUnixTimeMilliseconds(until));
                    announcedUntil = until;
                }
                if (OrderFunding.TimeLeftAt(until, now) < wait) wait = OrderFunding.TimeLeftAt(until, now);
            }
            await Task.Delay(wait, time, ct).ConfigureAwait(false);
        }
    }
}
