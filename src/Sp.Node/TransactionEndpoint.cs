using System.Text.Json;
using Sp.Api;
using Sp.Core.Json;
using Sp.Ledger.Machine;
using Sp.Ledger.Service;
using Sp.Ledger.Transactions;

namespace Sp.Node;

/// <summary>
/// <c>POST /api/transactions</c>. The body is read within the request limit (413 past it) before anything is
/// parsed or verified, so a huge transaction costs the node no more than the limit; the ledger then checks the
/// signature and sequences it. A full sequencer queue answers 503 with Retry-After (the transaction was not queued).
/// </summary>
public static class TransactionEndpoint
{
    public static void MapTransactions(this IEndpointRouteBuilder app, LedgerService ledger, NodeLimits limits)
    {
        app.MapPost("/api/transactions", async (HttpContext http, CancellationToken ct) =>
        {
            SignedTransaction? tx;
            try { tx = await JsonSerializer.DeserializeAsync<SignedTransaction>(http.Request.Body, SpJson.Options, ct); }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { return RequestLimits.TooLarge(limits.RequestBytes); }
            catch (JsonException e) { return RequestLimits.Error(400, $"not a signed transaction: {e.Message}"); }
            if (tx is null) return RequestLimits.Error(400, "not a signed transaction: the body is empty or null");

            TxOutcome outcome;
            try { outcome = await ledger.SubmitAsync(tx); } // group commit: concurrent requests share one durable write
            catch (LedgerQueueFullException e)
            {
                http.Response.Headers.RetryAfter = limits.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return RequestLimits.Error(StatusCodes.Status503ServiceUnavailable, $"node busy: {e.Message}; retry after {limits.RetryAfterSeconds} s");
            }
            return outcome.Accepted
                ? Results.Json(new SubmitResponse(outcome.Seq ?? 0, outcome.Hash ?? "", new Dictionary<string, long>(outcome.Ids), outcome.SubOrderIds.ToList()), SpJson.Options)
                : RequestLimits.Error(400, $"transaction refused: {outcome.Error}");
        });
    }
}
