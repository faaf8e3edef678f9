using Sp.Api;
using Sp.Client.Config;
using Sp.Client.Sealing;
using Sp.Core;
using Sp.Core.Model;
using Sp.Ledger.Transactions;
using Sp.Storage.Transfer;

namespace Sp.Cli.Operations;

/// <summary>`orders complete` and `orders download-result` without the console: spctl and the UI both call these.</summary>
public static class Orders
{
    /// <summary>What one id of a several-id command may fail with (App.RunAsync maps the same to exit 1).</summary>
    public static bool IsFailure(Exception e) =>
        e is SpError or IOException or InvalidDataException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
            or FormatException or System.Text.Json.JsonException or HttpRequestException or TaskCanceledException;

    /// <summary>The one line a command prints for such a failure.</summary>
    public static string Reason(Exception e) => e is SpError sp ? sp.OneLine : (e?.Message ?? "").ReplaceLineEndings(" ");

    /// <summary>
    /// Completes a Data or Solution sub-order; with Done, releases <paramref name="resource"/> sealed to the order's TEE
    /// for the solution <paramref name="hash"/> only (the ledger refuses a hash other than the order's).
    /// </summary>
    public static async Task CompleteAsync(ClientContext ctx, long subId, OrderStatus status, string hash, ResourceFile? resource)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var sub = (await ctx.Node.GetOrderAsync(subId) ?? throw new UserError($"order {subId} does not exist")).Order;
        if (sub.ParentId is not { } parentId || sub.Type is not (OfferType.Data or OfferType.Solution))
            throw new UserError($"order {subId} is not a Data or Solution sub-order (it is a {sub.Type} order)", "pass the sub-order id shown by `spctl orders get ID --suborders`");
        string? sealedRelease = null;
        if (status == OrderStatus.Done)
        {
            var parent = (await ctx.Node.GetOrderAsync(parentId))!.Order;
            await CheckParentInLogAsync(ctx, parent);
            var tee = await ctx.Node.GetOfferAsync(parent.OfferId) ?? throw new UserError($"TEE offer {parent.OfferId} of order {parentId} does not exist");
            var validated = ctx.Trust.ValidateTee(tee.Offer.TeeCertificate ?? throw new UserError($"TEE offer {parent.OfferId} has no certificate"), ctx.Time.GetUtcNow());
            // The dataset (or a solution offer's image) is released to this TEE for this solution hash only: the TEE
            // checks the image against it.
            sealedRelease = Sealed.Seal(validated.EncryptionPublicKey, Sealed.DataInfo, Sealed.DataAad(parentId, parent.CreatedSeq ?? throw new UserError($"order {parentId} names no ledger entry that created it (a node from before this version?)"), subId), new DataRelease(resource!, hash));
        }
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new OrderComplete(subId, status, hash, sealedRelease));
    }

    /// <summary>
    /// The data owner releases data to the workflow its consumer signed, not to the node's account of it: with a pinned
    /// log, the parent's workflow.create is read from the log, and must be the consumer's, with the TEE offer, solution
    /// and result key the node serves (the ledger itself checks the approved hash against the declared one). The release's AAD names that entry, and the TEE checks the same entry.
    /// </summary>
    private static async Task CheckParentInLogAsync(ClientContext ctx, Order parent)
    {
        if (ctx.Log is not { } log) return;
        if (await new Sp.Client.Ledger.OrderProvenance(log).CheckCreationAsync(parent, CancellationToken.None) is { } forged)
            throw new IntegrityError($"{forged}", "the node's account of the order differs from the log; nothing was released");
    }

    /// <summary>
    /// Downloads the order's result to <paramref name="full"/> (an absolute path) once its statement validates: through
    /// a hidden temporary file in the same folder, renamed over the target after the archive's hash checked, so a
    /// failure leaves nothing and an existing file is replaced only by a complete, verified result. Errors name the file
    /// as <paramref name="shownAs"/> (the path as the user gave it); <paramref name="progress"/> hears of the bytes decrypted.
    /// </summary>
    public static async Task SaveResultAsync(ClientContext ctx, long id, string full, bool noClobber, string? shownAs = null, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var order = (await ctx.Node.GetOrderAsync(id, ct) ?? throw new UserError($"order {id} does not exist")).Order;
        if (order.SealedResult is null)
            throw new UserError($"order {id} has no result yet (status {order.Status})", "wait until `spctl orders get ID` shows Done or Error");
        var resource = Sealed.Open<ResourceFile>(ctx.ResultKey.PrivateKey, Sealed.ResultInfo, Sealed.ResultAad(id), order.SealedResult)
            ?? throw new UserError($"the result of order {id} is not sealed to this account's result key", "download it with the config that created the order");
        // Before a byte is fetched: the TEE that ran the order signed this very archive (hash and size).
        await CheckResultStatementAsync(ctx, order, resource);
        if (Directory.Exists(full)) throw new UserError($"{shownAs ?? full} is a folder", "pass --save-to <file path>");
        if (noClobber && File.Exists(full)) throw new UserError($"{shownAs ?? full} already exists", "remove it, pass --save-to <another path>, or leave out --no-clobber to overwrite it");
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.part");
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                var (sha, size) = await new FileTransfer(ctx.StoreFor(resource.Resource)).DownloadToStreamAsync(resource, fs, progress, ct);
                if (!string.Equals(Convert.ToHexStringLower(sha), resource.Hash.Value, StringComparison.OrdinalIgnoreCase) || size != resource.Size)
                    throw new InvalidDataException($"result of order {id}: hash {Convert.ToHexStringLower(sha)} differs from the sealed {resource.Hash.Value}");
            }
            if (noClobber) File.Move(tmp, full); // refuses if the file appeared meanwhile
            else File.Move(tmp, full, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    /// <summary>
    /// The result is the TEE's only if the order's result statement validates (chain to the pinned root, evidence under
    /// the policy, signature of the order certificate's key), agrees with the order's report on the ledger, and names
    /// the archive's hash and size the sealed result points to. Anyone can seal an archive to the consumer's public
    /// result key; only the attested TEE holds the order key.
    /// </summary>
    private static async Task CheckResultStatementAsync(ClientContext ctx, Order order, ResourceFile resource)
    {
        const string Hint = "the result was not produced by the attested TEE that ran the order: nothing was downloaded";
        var statement = order.ResultStatement
            ?? throw new IntegrityError($"order {order.Id}: its result carries no statement signed by the TEE", Hint);
        var v = ctx.Trust.ValidateResultStatement(statement);
        var offerTee = (await ctx.Node.GetOfferAsync(order.OfferId))?.Offer.TeeAccount;
        var errors = v.Errors.Concat(Sp.Certification.ResultStatements.CheckAgainst(v, order.Id, order.Report))
            .Concat(Sp.Certification.ResultStatements.CheckAgainstOrder(v, order.Status.ToString(), order.TeeAccount, offerTee, order.Solution?.Hash, order.Report))
            .ToList();
        if (!string.Equals(v.Claims?.ResultSha256, resource.Hash.Value, StringComparison.OrdinalIgnoreCase) || v.Claims?.ResultSize != resource.Size)
            errors.Add($"the sealed result is sha256 {resource.Hash.Value} ({resource.Size} bytes), the TEE signed " +
                       $"{v.Claims?.ResultSha256 ?? "no result"} ({v.Claims?.ResultSize?.ToString() ?? "-"} bytes)");
        if (errors.Count > 0) throw new IntegrityError($"order {order.Id}: result refused: {string.Join("; ", errors)}", Hint);
    }
}
