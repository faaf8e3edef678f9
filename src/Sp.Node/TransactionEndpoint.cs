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
public static partial class TransactionEndpoint
{
    /// <param name="failover">With fail-over, a follower forwards the transaction to the leader (docs/ledger.md, "Fail-over").</param>
    public static void MapTransactions(this IEndpointRouteBuilder app, LedgerService ledger, NodeLimits limits, ILogger? log = null,
        LedgerFailover? failover = null)
    {
        log ??= Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        app.MapPost("/api/transactions", async (HttpContext http, CancellationToken ct) =>
        {
            if (failover is not null && ledger.Following) return await failover.ForwardAsync(http, "/api/transactions", limits.RequestBytes, ct);
            SignedTransaction? tx;
            try { tx = await JsonSerializer.DeserializeAsync<SignedTransaction>(http.Request.Body, SpJson.Options, ct); }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { return RequestLimits.TooLarge(limits.RequestBytes); }
            catch (TxPayloadException e) { return RequestLimits.Error(400, $"transaction refused: {e.Message}"); } // unknown type or bad payload: named
            catch (JsonException e) { return RequestLimits.Error(400, $"not a signed transaction: {e.Message}"); }
            if (tx is null) return RequestLimits.Error(400, "not a signed transaction: the body is empty or null");

            TxOutcome outcome;
            try { outcome = await ledger.SubmitAsync(tx); } // group commit: concurrent requests share one durable write
            catch (LedgerQueueFullException e)
            {
                http.Response.Headers.RetryAfter = limits.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                QueueFull(log, tx.Tx.Type, tx.Tx.From, limits.RetryAfterSeconds);
                return RequestLimits.Error(StatusCodes.Status503ServiceUnavailable, $"node busy: {e.Message}; retry after {limits.RetryAfterSeconds} s");
            }
            catch (LedgerStorageException e) when (e.InnerException is Sp.Ledger.Store.LedgerLeaseLostException)
            {
                // Deposed while writing (the session died, perhaps mid-commit): it may be stored; this node stops.
                return RequestLimits.Error(StatusCodes.Status502BadGateway, $"this node lost the sequencer lease while writing: {e.Message}; " +
                    "the transaction may or may not be stored: send the same signed transaction to another node (nonce_conflict then means it was)");
            }
            catch (LedgerNotLeaderException e)
            {
                // Not queued: a follower since the check above, or deposed. Another node leads.
                http.Response.Headers.RetryAfter = limits.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return RequestLimits.Error(StatusCodes.Status503ServiceUnavailable, $"no leader: {e.Message}; retry after {limits.RetryAfterSeconds} s");
            }
            if (!outcome.Accepted)
            {
                Refused(log, tx.Tx.Type, tx.Tx.From, tx.Tx.Nonce, outcome.Error ?? "");
                return RequestLimits.Error(400, $"transaction refused: {outcome.Error}", outcome.Code);
            }
            if (log.IsEnabled(LogLevel.Information)) Accepted(log, outcome.Seq ?? 0, tx.Tx.Type, tx.Tx.From, Ids(outcome));
            return Results.Json(new SubmitResponse(outcome.Seq ?? 0, outcome.Hash ?? "", outcome.Ids, outcome.SubOrderIds.ToList()), SpJson.Options);
        });
    }

    /// <summary>The ids a transaction created (" (offerId 3, slotId 4)", or nothing), for the log.</summary>
    private static string Ids(TxOutcome outcome)
    {
        IEnumerable<string?> created =
        [
            outcome.Ids.OfferId is { } offer ? $"offerId {offer}" : null,
            outcome.Ids.SlotId is { } slot ? $"slotId {slot}" : null,
            outcome.Ids.OrderId is { } order ? $"orderId {order}" : null,
        ];
        var ids = string.Join(", ", created.OfType<string>().Concat(outcome.SubOrderIds.Select(id => $"subOrderId {id}")));
        return ids.Length == 0 ? "" : $" ({ids})";
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ledger entry {Seq}: {TxType} from {Account} accepted{Ids}")]
    private static partial void Accepted(ILogger logger, long seq, string txType, string account, string ids);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{TxType} from {Account} (nonce {Nonce}) refused: {Reason}")]
    private static partial void Refused(ILogger logger, string txType, string account, long nonce, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{TxType} from {Account} not queued: the sequencer's queue is full (client told to retry after {RetryAfterSeconds} s)")]
    private static partial void QueueFull(ILogger logger, string txType, string account, int retryAfterSeconds);
}
