using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sp.Api;
using Sp.Client.Config;
using Sp.Core.Json;
using Sp.Crypto.Accounts;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Client;

/// <summary>Typed client of sp-node's HTTP API, used by spctl, provider-tools and sp-tee.</summary>
public sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="handler">The HTTP handler (tests observe the exchanges with one); the default when null.</param>
    public NodeClient(string baseUrl, TimeSpan? timeout = null, HttpMessageHandler? handler = null)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: true);
        _http.BaseAddress = new Uri(BaseUrl + "/");
        _http.Timeout = timeout ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>Attempts of one request the node answers 503 with Retry-After (its sequencer's queue is full).</summary>
    public const int BusyAttempts = 8;
    private static readonly TimeSpan MaxBusyDelay = TimeSpan.FromSeconds(30);

    public string BaseUrl { get; }
    public HttpClient Http => _http;

    public Task<NodeInfo> GetInfoAsync(CancellationToken ct = default) => GetAsync<NodeInfo>("api/info", ct);

    public async Task<long> GetNonceAsync(Address address, CancellationToken ct = default) =>
        (await GetAsync<NonceResponse>($"api/accounts/{address.Lower}/nonce", ct)).Nonce;

    public Task<BalanceResponse> GetBalanceAsync(Address address, CancellationToken ct = default) =>
        GetAsync<BalanceResponse>($"api/accounts/{address.Lower}/balance", ct);

    public async Task<Provider?> GetProviderAsync(Address address, CancellationToken ct = default) =>
        await GetOrNullAsync<Provider>($"api/providers/{address.Lower}", ct);

    public Task<List<OfferView>> ListOffersAsync(string type, CancellationToken ct = default) =>
        GetAsync<List<OfferView>>($"api/offers?type={Uri.EscapeDataString(type)}", ct);

    /// <summary>One page of offers: ids above <paramref name="cursor"/>, at most <paramref name="limit"/>, in id order.</summary>
    public Task<List<OfferView>> ListOffersAsync(string type, long? cursor, int? limit, CancellationToken ct = default) =>
        GetAsync<List<OfferView>>($"api/offers?type={Uri.EscapeDataString(type)}{(cursor is { } c ? $"&cursor={c}" : "")}{(limit is { } l ? $"&limit={l}" : "")}", ct);

    public Task<OfferView?> GetOfferAsync(long id, CancellationToken ct = default) => GetOrNullAsync<OfferView>($"api/offers/{id}", ct);

    public Task<OrderView?> GetOrderAsync(long id, CancellationToken ct = default) => GetOrNullAsync<OrderView>($"api/orders/{id}", ct);

    public Task<List<Order>> ListOrdersAsync(string query, CancellationToken ct = default) => GetAsync<List<Order>>($"api/orders?{query}", ct);

    public Task<ReportView?> GetReportAsync(long orderId, CancellationToken ct = default) =>
        GetOrNullAsync<ReportView>($"api/orders/{orderId}/report", ct);

    public Task<List<OrderView>> GetTeeQueueAsync(long teeOfferId, CancellationToken ct = default) =>
        GetAsync<List<OrderView>>($"api/tee/{teeOfferId}/queue", ct);

    public Task<TeeCertificateResponse> RequestTeeCertificateAsync(TeeCertificateRequest request, CancellationToken ct = default) =>
        PostAsync<TeeCertificateRequest, TeeCertificateResponse>("api/ca/tee", request, ct);

    /// <summary>
    /// Runs after every accepted transaction, before <see cref="SubmitAsync"/> returns: a client that pins the
    /// log key proves there that the transaction is in the log (<see cref="Ledger.ClientLog.ProveSubmittedAsync"/>).
    /// </summary>
    public Func<SignedTransaction, SubmitResponse, CancellationToken, Task>? AfterSubmit { get; set; }

    /// <summary>Submits a signed transaction; returns once the node has applied and stored it (and
    /// <see cref="AfterSubmit"/> has checked it).</summary>
    public async Task<SubmitResponse> SubmitAsync(SignedTransaction tx, CancellationToken ct = default)
    {
        var receipt = await PostAsync<SignedTransaction, SubmitResponse>("api/transactions", tx, ct);
        if (AfterSubmit is { } check) await check(tx, receipt, ct);
        return receipt;
    }

    /// <summary>Builds, signs and submits a transaction from <paramref name="key"/>, fetching its next nonce.</summary>
    public async Task<SubmitResponse> SendAsync<T>(AccountKey key, string network, string type, T payload, CancellationToken ct = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var nonce = await GetNonceAsync(key.Address, ct);
            var tx = SignedTransaction.Sign(Transaction.Create(network, key.Address, nonce, type, payload), key);
            try { return await SubmitAsync(tx, ct); }
            // Another process of the same account took this nonce between our read and our submit: retry.
            catch (UserError e) when (attempt < 3 && e.Message.Contains("nonce", StringComparison.OrdinalIgnoreCase)) { }
        }
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        await GetOrNullAsync<T>(path, ct) ?? throw new UserError($"{BaseUrl}/{path}: not found");

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken ct)
    {
        using var resp = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, path), ct);
        if (resp.StatusCode == HttpStatusCode.NotFound) return default;
        await EnsureOkAsync(resp, ct);
        return await resp.Content.ReadFromJsonAsync<T>(SpJson.Options, ct);
    }

    private async Task<TResp> PostAsync<TReq, TResp>(string path, TReq body, CancellationToken ct)
    {
        using var resp = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(body, options: SpJson.Options),
        }, ct);
        await EnsureOkAsync(resp, ct);
        return (await resp.Content.ReadFromJsonAsync<TResp>(SpJson.Options, ct))!;
    }

    /// <summary>
    /// Sends a request built by <paramref name="request"/> (called again for each attempt). A node that answers 503
    /// with Retry-After did not take the request (its sequencer's queue is full): the request is sent again after
    /// that delay, doubled on each further 503 (jittered, at most 30 s), up to <see cref="BusyAttempts"/> times;
    /// the last answer is returned as it is. Pass <paramref name="retryWhenBusy"/> false for a body that can be
    /// produced only once.
    /// </summary>
    public async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> request, CancellationToken ct, bool retryWhenBusy = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage resp;
            try { resp = await _http.SendAsync(request(), HttpCompletionOption.ResponseHeadersRead, ct); }
            catch (HttpRequestException e)
            {
                throw new NodeUnreachableError($"cannot reach the node at {BaseUrl}: {e.Message}",
                    "is the network running? (`./bin/sp-devnet up DIR`; check backend.url in config.json)");
            }
            if (!retryWhenBusy || attempt >= BusyAttempts || BusyDelay(resp, attempt) is not { } delay) return resp;
            resp.Dispose();
            await Task.Delay(delay, ct);
        }
    }

    /// <summary>How long to wait before attempt <paramref name="attempt"/> + 1 after a busy answer; null when the answer is not one.</summary>
    private static TimeSpan? BusyDelay(HttpResponseMessage resp, int attempt)
    {
        if (resp.StatusCode != HttpStatusCode.ServiceUnavailable || resp.Headers.RetryAfter is not { } after) return null;
        var asked = after.Delta ?? (after.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
        var wait = TimeSpan.FromTicks(Math.Max(asked.Ticks, TimeSpan.FromMilliseconds(100).Ticks) << Math.Min(attempt - 1, 8));
        if (wait > MaxBusyDelay) wait = MaxBusyDelay;
        // Up to a quarter more, so clients turned away together do not all come back at the same moment.
        return wait + TimeSpan.FromTicks((long)(wait.Ticks * 0.25 * Random.Shared.NextDouble()));
    }

    /// <summary>Longest error text of the node's that a message quotes.</summary>
    private const int MaxErrorChars = 1000;

    /// <summary>
    /// Throws a <see cref="UserError"/> for an answer that is not a success: the <c>error</c> of the node's JSON
    /// answer (at most <see cref="MaxErrorChars"/> characters, one line), else the status alone. Other bodies are
    /// never quoted: an error path must not copy bytes of a download into a message or a log.
    /// </summary>
    public static async Task EnsureOkAsync(HttpResponseMessage resp, CancellationToken ct)
    {
        if (resp.IsSuccessStatusCode) return;
        string? message = null;
        if (resp.Content.Headers.ContentType?.MediaType == "application/json")
        {
            try
            {
                // At most 64 KiB of it: an error answer is short.
                var buffer = new byte[64 * 1024];
                await using var body = await resp.Content.ReadAsStreamAsync(ct);
                var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
                if (read < buffer.Length) message = JsonSerializer.Deserialize<ErrorResponse>(buffer.AsSpan(0, read), SpJson.Options)?.Error;
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException) { }
        }
        var status = $"node answered {(int)resp.StatusCode} {resp.ReasonPhrase}";
        if (string.IsNullOrWhiteSpace(message)) throw new UserError(status);
        message = message.ReplaceLineEndings(" ");
        throw new UserError(message.Length > MaxErrorChars ? message[..MaxErrorChars] + "…" : message);
    }

    public void Dispose() => _http.Dispose();
}
