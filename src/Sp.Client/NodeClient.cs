using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sp.Api;
using Polly;
using Sp.Core;
using Sp.Core.Json;
using Sp.Core.Resilience;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;

namespace Sp.Client;

/// <summary>Typed client of sp-node's HTTP API, used by spctl, provider-tools and sp-tee.</summary>
public sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="handler">The HTTP handler (tests observe the exchanges with one); the default when null.</param>
    /// <param name="time">The client's clock (<see cref="Time"/>); the system's when null.</param>
    public NodeClient(string baseUrl, TimeSpan? timeout = null, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        BaseUrl = baseUrl.TrimEnd('/');
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: true);
        _http.BaseAddress = new Uri(BaseUrl + "/");
        _http.Timeout = timeout ?? TimeSpan.FromMinutes(5);
    }

    public string BaseUrl { get; }
    /// <summary>The clock of this client and of what uses it: request signatures' times, a Retry-After date's delay.</summary>
    public TimeProvider Time { get; }
    public HttpClient Http => _http;

    public Task<NodeInfo> GetInfoAsync(CancellationToken ct = default) => GetAsync<NodeInfo>("api/info", ct);

    public async Task<long> GetNonceAsync(Address address, CancellationToken ct = default) =>
        (await GetAsync<NonceResponse>($"api/accounts/{address.Lower}/nonce", ct)).Nonce;

    public Task<BalanceResponse> GetBalanceAsync(Address address, CancellationToken ct = default) =>
        GetAsync<BalanceResponse>($"api/accounts/{address.Lower}/balance", ct);

    public async Task<Provider?> GetProviderAsync(Address address, CancellationToken ct = default) =>
        await GetOrNullAsync<Provider>($"api/providers/{address.Lower}", ct);

    /// <summary>One page of providers: addresses after <paramref name="cursor"/> (lowercase order), at most <paramref name="limit"/>.</summary>
    public Task<List<Provider>> ListProvidersAsync(string? cursor, int? limit, CancellationToken ct = default) =>
        GetAsync<List<Provider>>($"api/providers?{(cursor is { } c ? $"cursor={Uri.EscapeDataString(c)}&" : "")}{(limit is { } l ? $"limit={l}" : "")}", ct);

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

    /// <summary>
    /// Builds, signs and submits a transaction from <paramref name="key"/>, fetching its next nonce. When another
    /// process of the same account took that nonce between the read and the submit (the node answers code
    /// <c>nonce_conflict</c>, <see cref="NonceConflictError"/>), signs again with a fresh nonce
    /// (<see cref="RetryPolicies.NonceConflict"/>).
    /// </summary>
    public async Task<SubmitResponse> SendAsync(AccountKey key, string network, TxPayload payload, CancellationToken ct = default) =>
        await NonceRetry.ExecuteAsync(async c =>
        {
            var nonce = await GetNonceAsync(key.Address, c);
            var tx = SignedTransaction.Sign(Transaction.Create(network, key.Address, nonce, payload), key);
            return await SubmitAsync(tx, c);
        }, ct);

    private static readonly ResiliencePipeline NonceRetry = RetryPolicies.NonceConflict.Build();
    private static readonly ResiliencePipeline BusyRetry = RetryPolicies.NodeBusy.Build();

    private async Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        await GetOrNullAsync<T>(path, ct) ?? throw new NodeRefusedError(HttpStatusCode.NotFound, $"{BaseUrl}/{path}: not found");

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken ct)
    {
        using var resp = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, path), ct);
        if (resp.StatusCode == HttpStatusCode.NotFound) return default;
        await EnsureOkAsync(resp, Time, ct);
        return await resp.Content.ReadFromJsonAsync<T>(SpJson.Options, ct);
    }

    private async Task<TResp> PostAsync<TReq, TResp>(string path, TReq body, CancellationToken ct)
    {
        using var resp = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(body, options: SpJson.Options),
        }, ct);
        await EnsureOkAsync(resp, Time, ct);
        return (await resp.Content.ReadFromJsonAsync<TResp>(SpJson.Options, ct))!;
    }

    /// <summary>
    /// Sends a request built by <paramref name="request"/> (called again for each attempt). A node that answers 503
    /// with Retry-After did not take the request (its sequencer's queue is full): the request is sent again through
    /// <see cref="RetryPolicies.NodeBusy"/> (after that delay, doubled on each further 503, jittered, at most 30 s, up
    /// to 8 attempts), then <see cref="NodeBusyError"/> is thrown. Pass <paramref name="retryWhenBusy"/> false for a
    /// body that can be produced only once: the busy answer is then returned as it is. A connection that fails or a
    /// request that times out throws <see cref="NodeUnreachableError"/> (not retried here).
    /// </summary>
    public async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> request, CancellationToken ct, bool retryWhenBusy = true)
    {
        if (!retryWhenBusy) return await SendOnceAsync(request, ct);
        return await BusyRetry.ExecuteAsync(async c =>
        {
            var resp = await SendOnceAsync(request, c);
            if (resp.StatusCode == HttpStatusCode.ServiceUnavailable && resp.Headers.RetryAfter is not null)
                using (resp) await EnsureOkAsync(resp, Time, c); // throws NodeBusyError
            return resp;
        }, ct);
    }

    private async Task<HttpResponseMessage> SendOnceAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        try { return await _http.SendAsync(request(), HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e)
        {
            throw new NodeUnreachableError($"cannot reach the node at {BaseUrl}: {e.Message}",
                "is the network running? (`./bin/sp-devnet up DIR`; check backend.url in config.json)", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new NodeUnreachableError($"the node at {BaseUrl} did not answer within {_http.Timeout.TotalSeconds:0} s",
                "is the node overloaded or stopped? (check backend.url in config.json)", e);
        }
    }

    /// <summary>How long a 503 answer asks to wait (its Retry-After, a date counted from <paramref name="time"/>'s now); zero when it names no delay.</summary>
    private static TimeSpan RetryAfterOf(HttpResponseMessage resp, TimeProvider time)
    {
        if (resp.Headers.RetryAfter is not { } after) return TimeSpan.Zero;
        var asked = after.Delta ?? (after.Date is { } date ? date - time.GetUtcNow() : TimeSpan.Zero);
        return asked > TimeSpan.Zero ? asked : TimeSpan.Zero;
    }

    /// <summary>Longest error text of the node's that a message quotes.</summary>
    private const int MaxErrorChars = 1000;

    /// <summary>
    /// Throws for an answer that is not a success, with the <c>error</c> of the node's JSON answer as the message (at
    /// most <see cref="MaxErrorChars"/> characters, one line), else the status alone. Other bodies are never quoted: an
    /// error path must not copy bytes of a download into a message or a log. The type says what happened: 503 with
    /// Retry-After is <see cref="NodeBusyError"/>; the answer's <c>code</c> <c>nonce_conflict</c> is
    /// <see cref="NonceConflictError"/>; any other is <see cref="NodeRefusedError"/> with the status and code.
    /// </summary>
    /// <param name="time">The clock a Retry-After date is counted from (the client's <see cref="Time"/>).</param>
    public static async Task EnsureOkAsync(HttpResponseMessage resp, TimeProvider time, CancellationToken ct)
    {
        if (resp.IsSuccessStatusCode) return;
        ErrorResponse? answer = null;
        if (resp.Content.Headers.ContentType?.MediaType == "application/json")
        {
            try
            {
                // At most 64 KiB of it: an error answer is short.
                var buffer = new byte[64 * 1024];
                await using var body = await resp.Content.ReadAsStreamAsync(ct);
                var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
                if (read < buffer.Length) answer = JsonSerializer.Deserialize<ErrorResponse>(buffer.AsSpan(0, read), SpJson.Options);
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException) { }
        }
        var message = answer?.Error;
        if (string.IsNullOrWhiteSpace(message)) message = $"node answered {(int)resp.StatusCode} {resp.ReasonPhrase}";
        else
        {
            message = message.ReplaceLineEndings(" ");
            if (message.Length > MaxErrorChars) message = message[..MaxErrorChars] + "…";
        }
        if (resp.StatusCode == HttpStatusCode.ServiceUnavailable && resp.Headers.RetryAfter is not null)
            throw new NodeBusyError(message, RetryAfterOf(resp, time));
        if (answer?.Code == Sp.Ledger.Machine.RefusalCodes.NonceConflict) throw new NonceConflictError(message);
        throw new NodeRefusedError(resp.StatusCode, message, answer?.Code);
    }

    public void Dispose() => _http.Dispose();
}
