using System.Net;
using System.Text.Json.Nodes;
using Sp.Client;
using Sp.Core;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;

namespace Sp.Node.Tests;

/// <summary>
/// Two processes of one account race for a nonce through a real sp-node: the node says what happened in its error's
/// <c>code</c> (<c>nonce_conflict</c>, the human <c>error</c> unchanged), and the client signs again with a fresh
/// nonce because of that code's type, not the words. Any other refusal is tried once.
/// </summary>
public sealed class NonceConflictTests
{
    /// <summary>
    /// Before the first transaction it forwards, lets <paramref name="racer"/> send one of the same account (taking
    /// the nonce just read); records every transaction answer, body included.
    /// </summary>
    private sealed class Racer(Func<Task>? racer) : DelegatingHandler(new SocketsHttpHandler())
    {
        public readonly List<(HttpStatusCode Status, string Body)> Answers = [];
        private Func<Task>? _racer = racer;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var isTx = request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath == "/api/transactions";
            if (isTx && Interlocked.Exchange(ref _racer, null) is { } race) await race();
            var resp = await base.SendAsync(request, ct);
            if (isTx)
            {
                await resp.Content.LoadIntoBufferAsync(ct);
                var body = await resp.Content.ReadAsStringAsync(ct);
                lock (Answers) Answers.Add((resp.StatusCode, body));
            }
            return resp;
        }
    }

    [Fact]
    public async Task A_nonce_taken_by_another_process_of_the_account_is_signed_again_and_succeeds()
    {
        await using var node = await NodeProcess.StartAsync();
        using var key = AccountKey.Generate();
        // The other process: the account's provider record, sent between our nonce read and our submit.
        var racer = new Racer(async () => await node.Client.SendAsync(key, NodeProcess.Network, new ProviderCreate("p", "d")));
        using var client = new NodeClient(node.Url, TimeSpan.FromSeconds(60), racer);

        var receipt = await client.SendAsync(key, NodeProcess.Network, new ProviderUpdate("p2", "d2"));

        Assert.Equal(2, receipt.Seq);
        Assert.Equal(2, racer.Answers.Count);
        var (status, body) = racer.Answers[0];
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("nonce_conflict", (string?)error["code"]);
        Assert.Equal($"transaction refused: nonce 0 of {key.Address.Lower} was already used (replayed transaction?): expected 1", (string?)error["error"]);
        Assert.Equal(HttpStatusCode.OK, racer.Answers[1].Status);
        Assert.Equal("p2", (await client.GetProviderAsync(key.Address))!.Name);
    }

    [Fact]
    public async Task A_refusal_for_another_reason_is_tried_once_and_says_the_nodes_reason_and_status()
    {
        await using var node = await NodeProcess.StartAsync();
        using var key = AccountKey.Generate();
        var observer = new Racer(null);
        using var client = new NodeClient(node.Url, TimeSpan.FromSeconds(60), observer);

        // No provider record yet: the update is refused by the ledger's rules, whatever it is retried.
        var e = await Assert.ThrowsAsync<NodeRefusedError>(() => client.SendAsync(key, NodeProcess.Network, new ProviderUpdate("p2", "d2")));

        Assert.Single(observer.Answers);
        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.Null(e.Code);
        Assert.StartsWith("transaction refused: ", e.Reason);
        Assert.DoesNotContain("\"code\"", observer.Answers[0].Body); // no code for a refusal that has none: the JSON is as before
    }
}
