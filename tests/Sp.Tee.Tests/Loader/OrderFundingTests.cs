using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sp.Api;
using Sp.Core;
using Sp.Core.Model;
using Sp.Tee.Loader;

namespace Sp.Tee.Tests.Loader;

/// <summary>
/// The deposit watch on the loader's clock (a <see cref="FakeTimeProvider"/>): a running order ends at the millisecond
/// its deposit stops paying, not a millisecond sooner, and the watch wakes for it even between its reads.
/// </summary>
public sealed class OrderFundingTests
{
    private const long Started = 1_700_000_000_000;
    /// <summary>3,600 base units an hour: one a second, so a deposit of N units pays for N s.</summary>
    private static readonly SlotUsage OneUnitASecond = new() { Price = "3600", PriceType = SlotPricing.PerHour, MinTimeMinutes = 0 };

    private static OrderView Running(long depositUnits, OrderStatus status = OrderStatus.Processing, string message = "") => new(new Order
    {
        Id = 7, Type = OfferType.TeeOffer, OfferId = 1, Consumer = "0xconsumer", Status = status, StatusMessage = message,
        Usage = OneUnitASecond, Deposit = TokenAmount.FromUnits(depositUnits), Started = Started,
    }, []);

    private static DateTimeOffset At(long unixMillis) => DateTimeOffset.FromUnixTimeMilliseconds(unixMillis);

    [Fact]
    public void The_deposit_is_spent_at_its_funded_millisecond_and_not_before()
    {
        var until = OrderFunding.FundedUntil(Running(4));
        Assert.Equal(Started + 4_000, until);
        Assert.False(OrderFunding.IsSpentAt(Started + 4_000, At(Started + 3_999)));
        Assert.False(OrderFunding.IsSpentAt(Started + 4_000, At(Started + 4_000).AddTicks(-1))); // within the millisecond before
        Assert.True(OrderFunding.IsSpentAt(Started + 4_000, At(Started + 4_000)));
        Assert.True(OrderFunding.IsSpentAt(Started + 4_000, At(Started + 5_000)));
        Assert.Equal(TimeSpan.FromMilliseconds(1), OrderFunding.TimeLeftAt(Started + 4_000, At(Started + 3_999)));
        Assert.Equal(TimeSpan.Zero, OrderFunding.TimeLeftAt(Started + 4_000, At(Started + 4_000)));
        Assert.Equal(TimeSpan.Zero, OrderFunding.TimeLeftAt(Started + 4_000, At(Started + 9_000)));
    }

    [Fact]
    public void An_order_not_started_or_priced_per_run_has_no_deadline()
    {
        Assert.Null(OrderFunding.FundedUntil(Running(4) with { Order = Running(4).Order with { Started = null } }));
        Assert.Null(OrderFunding.FundedUntil(Running(4) with { Order = Running(4).Order with { Usage = OneUnitASecond with { PriceType = SlotPricing.Fixed } } }));
    }

    /// <summary>
    /// A fake clock that knows when the watch waits: each wait is one timer. <see cref="AdvanceAsync"/> moves the clock
    /// on and, when that ends a wait, returns once the watch waits again or has ended (its reads and notes are then done).
    /// </summary>
    private sealed class WatchClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private int _created, _fired;
        private readonly SemaphoreSlim _waits = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(s => { Interlocked.Increment(ref _fired); callback(s); }, state, dueTime, period);
            Interlocked.Increment(ref _created);
            _waits.Release();
            return timer;
        }

        public async Task AdvanceAsync(long millis, Task watch)
        {
            Advance(TimeSpan.FromMilliseconds(millis));
            // A guard against a hang, not a margin: nothing here waits on the real clock for the outcome.
            using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Volatile.Read(ref _created) <= Volatile.Read(ref _fired) && !watch.IsCompleted)
                await Task.WhenAny(_waits.WaitAsync(hang.Token), watch);
        }
    }

    /// <summary>The watch over a fake ledger whose order the test changes; every read is recorded at the fake clock's time.</summary>
    private sealed class Watched
    {
        private readonly WatchClock _time = new(At(Started));
        public OrderView? Order { get; set; }
        public List<long> Reads { get; } = [];
        public OrderNotes Notes { get; }
        public Task<string> Stop { get; }

        /// <param name="refusal">What the second read throws.</param>
        public Watched(OrderView order, TimeSpan interval, Exception? refusal = null, CancellationToken ct = default)
        {
            Order = order;
            Notes = new OrderNotes(NullLogger.Instance, order.Order.Id, _time);
            Stop = new OrderWatch(_ =>
            {
                Reads.Add(_time.GetUtcNow().ToUnixTimeMilliseconds() - Started);
                // A watch that reads again without waiting would spin on the fake clock: it fails instead.
                if (Reads.Count > 100) throw new InvalidOperationException($"the watch read the order {Reads.Count} times, lastly at {Reads[^1]} ms");
                if (Reads.Count == 2 && refusal is not null) throw refusal;
                return Task.FromResult<OrderView?>(Order);
            }, interval, _time, Notes).UntilStopAsync(ct);
        }

        /// <summary>Moves the clock on by <paramref name="millis"/> (no more than the watch's wait, so each read sees the time it woke at).</summary>
        public Task AdvanceAsync(long millis) => _time.AdvanceAsync(millis, Stop);

        public async Task AdvanceAsync(int times, long millis)
        {
            for (var i = 0; i < times; i++) await AdvanceAsync(millis);
        }
    }

    [Fact]
    public async Task The_watch_wakes_at_the_deadline_between_its_reads_and_ends_the_order_there()
    {
        var w = new Watched(Running(4), interval: TimeSpan.FromSeconds(60));
        Assert.Contains("[22:13:20.000] the deposit of 0.000000000000000004 tokens pays for the run until 2023-11-14T22:13:24.000Z", w.Notes.Text);
        await w.AdvanceAsync(3_999);
        Assert.False(w.Stop.IsCompleted); // 1 ms before the deadline it runs on
        Assert.Equal([0], w.Reads);
        await w.AdvanceAsync(1);
        Assert.True(w.Stop.IsCompleted); // at the deadline it ends, 56 s before its next read was due
        Assert.Equal([0, 4_000], w.Reads);
        Assert.StartsWith("deposit exhausted: the order's deposit of 0.000000000000000004 tokens pays for 4 s of run time", await w.Stop);
    }

    [Fact]
    public async Task A_replenishment_read_before_the_deadline_moves_it_on()
    {
        var w = new Watched(Running(4), interval: TimeSpan.FromSeconds(1));
        await w.AdvanceAsync(2, 1_000);
        w.Order = Running(8); // the consumer adds 4 units at 2.x s
        await w.AdvanceAsync(1_000);
        Assert.Contains("[22:13:23.000] the deposit of 0.000000000000000008 tokens pays for the run until 2023-11-14T22:13:28.000Z", w.Notes.Text);
        await w.AdvanceAsync(4, 1_000);
        await w.AdvanceAsync(999);
        Assert.False(w.Stop.IsCompleted); // past the first deadline (4 s), 1 ms before the second
        await w.AdvanceAsync(1);
        Assert.True(w.Stop.IsCompleted);
        Assert.Equal([0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000], w.Reads);
        Assert.StartsWith("deposit exhausted: the order's deposit of 0.000000000000000008 tokens pays for 8 s of run time", await w.Stop);
    }

    [Fact]
    public async Task A_cancel_is_seen_at_the_next_read_and_a_refused_read_is_asked_again_an_interval_later()
    {
        var w = new Watched(Running(1_000), interval: TimeSpan.FromSeconds(1), refusal: new NodeRefusedError(HttpStatusCode.BadGateway, "node restarting"));
        await w.AdvanceAsync(1_000); // refused: noted, the run goes on
        Assert.Contains("[22:13:21.000] could not read the order back (the run goes on): node restarting", w.Notes.Text);
        w.Order = Running(1_000, OrderStatus.Canceled, "canceled by the consumer");
        await w.AdvanceAsync(999);
        Assert.False(w.Stop.IsCompleted);
        await w.AdvanceAsync(1);
        Assert.True(w.Stop.IsCompleted);
        Assert.Equal([0, 1_000, 2_000], w.Reads);
        Assert.Equal("the order was canceled while its solution ran (canceled by the consumer)", await w.Stop);
    }

    [Fact]
    public async Task The_watch_ends_with_the_container_and_when_the_order_is_gone()
    {
        using var ended = new CancellationTokenSource();
        var running = new Watched(Running(1_000), interval: TimeSpan.FromSeconds(1), ct: ended.Token);
        await ended.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.Stop);

        var gone = new Watched(Running(1_000), interval: TimeSpan.FromSeconds(1)) { Order = null };
        await gone.AdvanceAsync(1_000);
        Assert.Equal("the order no longer exists on the ledger", await gone.Stop);
    }
}
