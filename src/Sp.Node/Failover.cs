using System.Net.Http.Headers;
using Sp.Core.Json;
using Sp.Ledger.Service;

namespace Sp.Node;

/// <summary>
/// node.json <c>failover</c>: this node is one of several on one PostgreSQL ledger (docs/ledger.md, "Fail-over").
/// </summary>
public sealed record FailoverSettings
{
    /// <summary>The URL the other nodes forward writes to while this node leads (default: the first of <c>--urls</c>).</summary>
    public string? AdvertiseUrl { get; init; }

    /// <summary>How often a follower tails the store and tries the lease (and a leader checks it still holds it).</summary>
    public int PollMilliseconds { get; init; } = 100;

    public void Validate()
    {
        if (PollMilliseconds is < 10 or > 10_000)
            throw new InvalidOperationException($"node.json: failover.pollMilliseconds: expected 10 to 10000, got {PollMilliseconds}");
        if (AdvertiseUrl is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
            throw new InvalidOperationException($"node.json: failover.advertiseUrl: expected an http(s) URL, got '{url}'");
    }
}

/// <summary>What <c>GET /api/failover</c> answers: this node's role, the leader's address, the lease's fencing token.</summary>
public sealed record FailoverStatus(string Role, string Self, string? Leader, long Epoch, long Height);

/// <summary>
/// Fail-over of the sequencer between nodes on one PostgreSQL ledger. Every <see cref="FailoverSettings.PollMilliseconds"/>
/// a follower tries the store's lease (a session advisory lock, plus a fencing token checked by every append) and
/// otherwise applies what the leader stored, so its state, log tree and checkpoints stay current; the leader checks
/// that it still holds the lease. Writes that reach a follower are forwarded to the leader's recorded address; with no
/// leader reachable they are answered 503 with Retry-After, which clients retry. A node that loses the lease while
/// leading, or whose loop fails (the database is gone), stops (<see cref="Failed"/>): its supervisor starts it again,
/// as a follower.
/// </summary>
public sealed partial class LedgerFailover : IDisposable
{
    /// <summary>Marks a forwarded request: a follower never forwards it again (no loops between followers).</summary>
    public const string ForwardedHeader = "X-Sp-Forwarded";
    private const int RetryAfterSeconds = 1;
    private static readonly TimeSpan LeaseCheckEvery = TimeSpan.FromSeconds(1);

    private readonly LedgerService _ledger;
    private readonly TimeSpan _poll;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly TaskCompletionSource<Exception> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile string? _leader;
    private long _epoch;

    public LedgerFailover(LedgerService ledger, string self, FailoverSettings settings, ILogger log, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(settings);
        _ledger = ledger;
        Self = self.TrimEnd('/');
        _poll = TimeSpan.FromMilliseconds(settings.PollMilliseconds);
        _log = log;
        _time = time;
        ledger.LeaseLost += e => Fail(e);
    }

    /// <summary>This node's advertised URL.</summary>
    public string Self { get; }

    /// <summary>Completes when this node must stop: it lost the lease while leading, or could not follow the store.</summary>
    public Task<Exception> Failed => _failed.Task;

    public FailoverStatus Status => new(_ledger.Following ? "follower" : "leader", Self, _ledger.Following ? _leader : Self,
        Interlocked.Read(ref _epoch), _ledger.Height);

    /// <summary>Takes the lease at once if it is free (a first node leads as soon as it answers), then polls.</summary>
    public void Start()
    {
        Tick();
        var token = _stop.Token;
        _loop = Task.Run(async () =>
        {
            var lastCheck = _time.GetTimestamp();
            while (!token.IsCancellationRequested && !_failed.Task.IsCompleted)
            {
                try { await Task.Delay(_poll, _time, token); }
                catch (OperationCanceledException) { return; }
                if (!_ledger.Following)
                {
                    if (_time.GetElapsedTime(lastCheck) < LeaseCheckEvery) continue;
                    lastCheck = _time.GetTimestamp();
                }
                Tick();
            }
        }, CancellationToken.None);
    }

    private void Tick()
    {
        try
        {
            if (!_ledger.Following)
            {
                _ledger.CheckLease(); // raises LeaseLost (→ Fail) when deposed
                return;
            }
            if (_ledger.TryLead(Self))
            {
                var (epoch, _) = _ledger.ReadLease();
                Interlocked.Exchange(ref _epoch, epoch);
                _leader = Self;
                Leading(_log, epoch, _ledger.Height);
                return;
            }
            var lease = _ledger.ReadLease();
            Interlocked.Exchange(ref _epoch, lease.Epoch);
            if (lease.LeaderUrl != _leader)
            {
                _leader = lease.LeaderUrl;
                Following(_log, lease.LeaderUrl ?? "(none yet)", lease.Epoch, _ledger.Height);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fail(e);
        }
    }

    private void Fail(Exception e)
    {
        if (_failed.TrySetResult(e)) Stopping(_log, e.Message);
    }

    /// <summary>After a forwarded write is acknowledged, this follower applies it before answering (read your writes here).</summary>
    public void CatchUp()
    {
        try { _ledger.CatchUp(); }
        catch (Exception e) when (e is ObjectDisposedException or Sp.Ledger.Store.LedgerLeaseLostException) { }
    }

    /// <summary>Sends a write that reached this follower to the leader and relays its answer.</summary>
    public async Task<IResult> ForwardAsync(HttpContext http, string path, long maxBytes, CancellationToken ct)
    {
        var leader = _leader;
        if (http.Request.Headers.ContainsKey(ForwardedHeader) || leader is null || leader == Self)
            return NoLeader(http, "this node is a follower and knows no other leader yet (fail-over in progress)");
        using var req = new HttpRequestMessage(HttpMethod.Post, leader + path) { Content = new StreamContent(http.Request.Body) };
        if (http.Request.ContentType is { } type) req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        req.Headers.Add(ForwardedHeader, Self);
        try
        {
            using var resp = await _http.SendAsync(req, ct);
            var body = await resp.Content.ReadAsStringAsync(ct);
            if (resp.Headers.RetryAfter is { } after) http.Response.Headers.RetryAfter = after.ToString();
            if (resp.IsSuccessStatusCode) CatchUp();
            return Results.Content(body, resp.Content.Headers.ContentType?.MediaType ?? "application/json", System.Text.Encoding.UTF8, (int)resp.StatusCode);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return RequestLimits.TooLarge(maxBytes);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
        {
            // Nothing was sent: the transaction was not taken (503 with Retry-After says so; clients retry it).
            ForwardFailed(_log, leader, e.Message);
            return NoLeader(http, $"the leader at {leader} is not reachable ({e.Message}); fail-over in progress");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // Sent, and no answer: the leader may have sequenced it. 502, not 503: not "retry, it was not taken".
            ForwardFailed(_log, leader, e.Message);
            return RequestLimits.Error(StatusCodes.Status502BadGateway, $"the leader at {leader} did not answer ({e.Message}): the transaction may or " +
                "may not have been sequenced; sending the same signed transaction again is safe (a nonce is used once: nonce_conflict then means it was)");
        }
    }

    private static IResult NoLeader(HttpContext http, string message)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return RequestLimits.Error(StatusCodes.Status503ServiceUnavailable, $"no leader: {message}; retry after {RetryAfterSeconds} s");
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _stop.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "sequencer lease taken (fencing token {Epoch}): this node leads the ledger from height {Height}")]
    private static partial void Leading(ILogger logger, long epoch, long height);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "following the leader {Leader} (fencing token {Epoch}, ledger height {Height})")]
    private static partial void Following(ILogger logger, string leader, long epoch, long height);

    [LoggerMessage(EventId = 32, Level = LogLevel.Critical, Message = "stopping: {Reason}")]
    private static partial void Stopping(ILogger logger, string reason);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "a write forwarded to the leader {Leader} failed: {Reason}")]
    private static partial void ForwardFailed(ILogger logger, string leader, string reason);
}

/// <summary><c>GET /api/failover</c>.</summary>
public static class FailoverEndpoints
{
    public static void MapFailover(this IEndpointRouteBuilder app, LedgerFailover failover) =>
        app.MapGet("/api/failover", () => Results.Json(failover.Status, SpJson.Options));
}
