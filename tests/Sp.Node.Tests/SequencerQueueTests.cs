using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Sp.Client;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Service;
using Sp.Ledger.Store;
using Sp.Ledger.Transactions;

using Sp.Testing;

namespace Sp.Node.Tests;

/// <summary>
/// The transaction endpoint over a ledger whose sequencer is held busy (its store's write waits at a gate): past the
/// queue's bound the node answers 503 with Retry-After, and the client backs off and submits again, successfully.
/// In this process, so the sequencer can be held without timing.
/// </summary>
public sealed class SequencerQueueTests : IAsyncDisposable
{
    private const string Network = "queue-tests";
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-node-queue-").FullName;

    /// <summary>Sees every answer the client gets; opens the gate at the first 503.</summary>
    private sealed class Observer(Action onBusy) : DelegatingHandler(new SocketsHttpHandler())
    {
        public readonly List<(HttpStatusCode Status, string? RetryAfter)> Answers = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var resp = await base.SendAsync(request, ct);
            lock (Answers) Answers.Add((resp.StatusCode, resp.Headers.TryGetValues("Retry-After", out var v) ? v.Single() : null));
            if (resp.StatusCode == HttpStatusCode.ServiceUnavailable) onBusy();
            return resp;
        }
    }

    [Fact]
    public async Task Past_the_queue_bound_the_node_answers_503_with_Retry_After_and_the_client_retries_successfully()
    {
        var store = new GatedStore(new SqliteLedgerStore(Path.Combine(_dir, "ledger.db")));
        using var ledger = new LedgerService(store, Network, TimeProvider.System) { QueueLimit = 1 };
        var limits = new NodeLimits { LedgerQueue = 1, RetryAfterSeconds = 1 };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = limits.RequestBytes);
        await using var app = builder.Build();
        app.UseRequestBodyLimit(limits.RequestBytes);
        app.MapTransactions(ledger, limits);
        await app.StartAsync();

        var keys = Enumerable.Range(0, 3).Select(_ => AccountKey.Generate()).ToArray();
        var txs = keys.Select(k => SignedTransaction.Sign(Transaction.Create(Network, k.Address, 0, new ProviderCreate("p", "d")), k)).ToArray();
        // One transaction held by the sequencer at the gate, one waiting in the queue: the queue is full.
        var held = ledger.SubmitAsync(txs[0]);
        while (Volatile.Read(ref store.Waiting) == 0) await Task.Delay(10);
        var waiting = ledger.SubmitAsync(txs[1]);
        Assert.Equal(1, ledger.Queued);

        var observer = new Observer(store.Open);
        using var client = new NodeClient(app.Urls.Single(), TimeSpan.FromSeconds(30), observer);
        var receipt = await client.SubmitAsync(txs[2]);

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "1"), observer.Answers[0]); // turned away, told when to come back
        Assert.Equal(HttpStatusCode.OK, observer.Answers[^1].Status);
        Assert.Equal(2, observer.Answers.Count);
        Assert.Equal(3, receipt.Seq);
        Assert.True((await held).Accepted);
        Assert.True((await waiting).Accepted);
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public async Task A_client_that_is_turned_away_every_time_gives_up_with_the_nodes_message()
    {
        var store = new GatedStore(new SqliteLedgerStore(Path.Combine(_dir, "ledger-busy.db")));
        using var ledger = new LedgerService(store, Network, TimeProvider.System) { QueueLimit = 1 };
        var limits = new NodeLimits { LedgerQueue = 1, RetryAfterSeconds = 0 };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapTransactions(ledger, limits);
        await app.StartAsync();
        var keys = Enumerable.Range(0, 3).Select(_ => AccountKey.Generate()).ToArray();
        var txs = keys.Select(k => SignedTransaction.Sign(Transaction.Create(Network, k.Address, 0, new ProviderCreate("p", "d")), k)).ToArray();
        var held = ledger.SubmitAsync(txs[0]);
        while (Volatile.Read(ref store.Waiting) == 0) await Task.Delay(10);
        var waiting = ledger.SubmitAsync(txs[1]);

        var observer = new Observer(() => { });
        using var client = new NodeClient(app.Urls.Single(), TimeSpan.FromSeconds(30), observer);
        var e = await Assert.ThrowsAsync<NodeBusyError>(() => client.SubmitAsync(txs[2]));
        Assert.Contains("node busy: the ledger's queue is full (1 transactions waiting", e.Message);
        Assert.Equal(Sp.Core.Resilience.RetryPolicies.NodeBusy.MaxAttempts, observer.Answers.Count);
        Assert.All(observer.Answers, a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status));

        store.Open();
        Assert.True((await held).Accepted);
        Assert.True((await waiting).Accepted);
        Assert.Equal(2, store.Count); // the refused one was never queued
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
