using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Sp.Certification;
using Sp.Client;
using Sp.Api;
using Sp.Client.Ledger;
using Sp.Client.Sealing;
using Sp.Client.Storage;
using Sp.Core;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;
using Sp.Ledger.Transactions;
using Sp.Storage.Archive;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;
using Sp.Tee.Runtime;

namespace Sp.Tee.Loader;

/// <summary>What one order's solution may use: from the order's TEE slot where it says, else the loader's configuration.</summary>
public sealed record OrderLimits(TimeSpan TimeLimit, long MemoryBytes, long? NanoCpus, long OutputLimitBytes)
{
    private const long NanoPerCore = 1_000_000_000;

    public static OrderLimits For(TeeConfig config, SlotInfo? slot)
    {
        var time = TimeSpan.FromSeconds(config.OrderTimeLimitSeconds);
        if (slot?.Usage.MaxTimeMinutes is > 0 and var minutes && TimeSpan.FromMinutes(minutes) < time) time = TimeSpan.FromMinutes(minutes);
        var memory = slot?.Info.Ram is > 0 and var ram ? ram : config.MemoryBytes;
        long? cpus = slot?.Info.CpuCores is > 0 and var cores ? cores * NanoPerCore : null;
        var output = slot?.Info.DiskUsage is > 0 and var disk ? Math.Min(disk, config.OutputLimitBytes) : config.OutputLimitBytes;
        return new OrderLimits(time, memory, cpus, output);
    }
}

/// <summary>
/// Executes one order: opens the sealed inputs, verifies every hash (the image against the hash the data owner
/// approved, before any data is fetched), publishes the report, runs the container with the /sp layout and the
/// order's limits, and returns the result (output/ + log.txt) sealed to the consumer. Whatever happens the order
/// ends Done or Error with its reason in log.txt and in the ledger's status message, and its scratch folder
/// (decrypted inputs included) is unmounted and deleted. Calls to the node survive a node restart (see NodeCalls).
/// </summary>
public sealed class OrderExecutor(NodeCalls calls, TeeConfig config, TeeIdentity identity, HpkeKeyPair encryption, OrderProvenance? provenance,
    IContainerRuntime runtime, ScratchSpace scratch, IReadOnlyDictionary<string, string> containerLabels, ImageLeases images, OrderStores stores,
    TimeProvider time, ILogger<OrderExecutor> logger)
{
    /// <summary>The status message of an order this loader had taken before it restarted.</summary>
    public const string RestartedMessage =
        "the loader restarted while executing this order: its inputs were sealed to keys that existed only in the previous loader's memory; start a new workflow";

    private readonly ImageLeases _images = images;
    private NodeClient Node => calls.Node;

    private sealed class OrderFailure(string message) : Exception(message);


    /// <summary>
    /// Ends an order that is Processing but is not being run by this process (taken before a restart, or whose
    /// run failed inside the loader): Error with <paramref name="reason"/>; its report is published if it had none.
    /// </summary>
    public async Task AbandonAsync(Order order, string reason, CancellationToken ct)
    {
        var notes = new OrderNotes(logger, order.Id, time);
        notes.Print(LogLevel.Warning, "ending with Error: {Reason}", reason);
        try
        {
            var limits = OrderLimits.For(config, null);
            // The ledger takes a report only from the TEE that took the order: after a restart this fails, and the
            // Error statement is signed under a fresh order certificate of this TEE instead.
            var published = order.Report is null ? await TryPublishReport(order, [], limits, notes, ct) : null;
            using var signer = published ?? IssueOrderCertificate(order, [], limits);
            await Finish(order, OrderStatus.Error, reason, (null, null), signer, published?.Report ?? order.Report, ct);
        }
        catch (SpError e) when (e is NodeRefusedError or UserError) { notes.Print(LogLevel.Warning, "could not be ended: {Reason}", e.Message); }
    }

    public async Task ExecuteAsync(OrderView view, SlotInfo? slot, CancellationToken ct)
    {
        var order = view.Order;
        var notes = new OrderNotes(logger, order.Id, time);

        try { await calls.SendAsync(new OrderStart(order.Id), order.Id, o => o.Status == OrderStatus.Processing, ct); }
        catch (SpError e) when (e is NodeRefusedError or UserError)
        {
            notes.Print(LogLevel.Information, "not taken: {Reason}", e.Message); // e.g. canceled by its consumer meanwhile
            return;
        }
        notes.Note("order taken");
        var limits = OrderLimits.For(config, slot);
        var work = scratch.Create(order.Id, limits.OutputLimitBytes);
        var runtimeInfo = new List<RuntimeInfoEntry>();
        var run = new OrderRun();
        var status = OrderStatus.Error;
        var containerLog = "";
        var message = "";
        try
        {
            try
            {
                (status, containerLog, message) = await RunOrderAsync(view, limits, work, runtimeInfo, run, notes, ct);
            }
            catch (Exception f) when (f is OrderFailure or ImageRefusedException)
            {
                message = f.Message;
                notes.Note(LogLevel.Warning, "error: {Reason}", f.Message);
            }
            catch (Exception e) when (e is not IntegrityError && (e is not OperationCanceledException || !ct.IsCancellationRequested))
            {
                message = $"loader error: {e.Message}";
                notes.Note(LogLevel.Error, "loader error: {Reason}", e.Message);
            }

            if (run.Signer is null)
            {
                run.Signer = await TryPublishReport(order, runtimeInfo, limits, notes, ct);
                if (run.Signer is not null) run.Published = run.Signer.Report;
            }
            run.Signer ??= IssueOrderCertificate(order, runtimeInfo, limits);
            (string? Sealed, ResourceFile? Resource) result = (null, null);
            try
            {
                if (run.ResultKeyVerified) result = await UploadResult(order, work, containerLog, () => notes.Text, ct);
                else notes.Note(LogLevel.Warning, "no result is sealed: the result key served with the order is not the one the consumer sealed the solution for");
            }
            catch (Exception e) when (e is not IntegrityError && (e is not OperationCanceledException || !ct.IsCancellationRequested))
            {
                status = OrderStatus.Error;
                message = $"{message}; the result could not be uploaded: {e.Message}";
                notes.Print(LogLevel.Error, "the result could not be uploaded: {Reason}", e.Message);
            }
            await Finish(order, status, message, result, run.Signer, run.Published, ct);
            notes.Print(LogLevel.Information, "finished: {Status}: {Message}", status, message);
        }
        catch (SpError e) when (e is NodeRefusedError or UserError)
        {
            // The ledger refused to end it (e.g. its consumer canceled it while it ran).
            notes.Print(LogLevel.Warning, "could not be finished: {Reason}", e.Message);
        }
        finally
        {
            // Decrypted inputs never outlive the order, nor does the order certificate's key.
            scratch.Release(work);
            run.Signer?.Dispose();
        }
    }

    /// <summary>What one run holds: the order certificate's key (it signs the result statement) and the report published.</summary>
    private sealed class OrderRun
    {
        public OrderSigner? Signer { get; set; }
        public OrderReport? Published { get; set; }
        /// <summary>The served result key is the consumer's (her signed workflow.create in the log, or the sealed solution's
        /// AAD, says so): only then is a result sealed to it.</summary>
        public bool ResultKeyVerified { get; set; }
    }

    private async Task<(OrderStatus Status, string ContainerLog, string Message)> RunOrderAsync(
        OrderView view, OrderLimits limits, OrderScratch work, List<RuntimeInfoEntry> runtimeInfo, OrderRun run, OrderNotes notes, CancellationToken ct)
    {
        var order = view.Order;
        // 0. The order as its parties signed it in the log, not as the node says (without a pinned log: the node's word).
        if (provenance is not null
            && await calls.ReadAsync(c => provenance.CheckAsync(view, c), $"checking order {order.Id} in the ledger's log", ct) is { } forged)
            throw new OrderFailure($"{forged}; nothing of the order is opened");
        // The result key is the one the consumer signed (checked in the log just now, or by opening the solution below):
        // from here on a result, even the log of a failure, may be sealed to it.
        if (provenance is not null) run.ResultKeyVerified = true;
        // The node serves the sub-orders: each must be one of this order's, and every one of them must be there.
        foreach (var sub in view.SubOrders)
            if (sub.ParentId != order.Id || !order.SubOrderIds.Contains(sub.Id))
                throw new OrderFailure($"sub-order {sub.Id} was served with order {order.Id} but belongs to order {sub.ParentId?.ToString() ?? "none"}; no dataset is released");
        if (!view.SubOrders.Select(s => s.Id).ToHashSet().SetEquals(order.SubOrderIds) || view.SubOrders.Count != order.SubOrderIds.Count)
            throw new OrderFailure($"order {order.Id} has sub-orders {string.Join(", ", order.SubOrderIds)}, the node served {view.SubOrders.Count}; no dataset is released");

        // 1. The solution: open, download, decrypt, and check its hash against the order's declared one, before any dataset.
        var solution = OpenSolution(order, view.SubOrders.Where(s => s.Type == OfferType.Solution).ToList(), run);
        var imagePath = Path.Combine(work.Path, "solution.tar.gz");
        var (imageSha, imageSize) = await DownloadToFile(TransferFor(solution), solution, imagePath, verify: false, "solution", ct);
        var imageHash = Convert.ToHexStringLower(imageSha);
        runtimeInfo.Add(new RuntimeInfoEntry { Type = "Image", Size = imageSize, Hash = HashInfo.Sha256(imageSha) });
        notes.Note("solution image loaded: sha256 {ImageSha256}, {ImageBytes} bytes", imageHash, imageSize);
        if (imageHash != order.Solution!.Hash)
            throw new OrderFailure($"solution hash mismatch: the order declares {order.Solution.Hash}, the downloaded image is {imageHash}; the dataset is not released");

        // 2. Every data release must name this exact image before any dataset is downloaded.
        var releases = new List<(Order Sub, DataRelease Release)>();
        var dataSubOrders = view.SubOrders.Where(s => s.Type == OfferType.Data).OrderBy(s => s.Id).ToList();
        foreach (var sub in dataSubOrders)
        {
            // The AAD names this parent order: another order's released data does not open here.
            var release = sub.SealedResource is { } sealedData
                ? Sealed.Open<DataRelease>(encryption.PrivateKey, Sealed.DataInfo, Sealed.DataAad(order.Id, order.CreatedSeq ?? 0, sub.Id), sealedData)
                : null;
            if (release is null) throw new OrderFailure($"the data of sub-order {sub.Id} is not sealed to this TEE's current key for order {order.Id}");
            if (!string.Equals(release.SolutionHash, imageHash, StringComparison.OrdinalIgnoreCase))
                throw new OrderFailure($"sub-order {sub.Id}: the data owner approved solution {release.SolutionHash}, but the image is {imageHash}; the dataset is not released");
            releases.Add((sub, release));
        }

        // 3. Every input in its place: the consumer's own datasets at their positions, the released ones in the others.
        var placed = PlaceInputs(order, imageHash, releases);

        // 4. Datasets, each into its own /sp/inputs/input-000N; each one's plaintext must hash to its resource file's.
        var inputs = new List<string>();
        for (var i = 0; i < placed.Count; i++)
        {
            var dir = Path.Combine(work.Inputs, $"input-{i + 1:0000}");
            Directory.CreateDirectory(dir);
            var (sha, size) = await DownloadInput(TransferFor(placed[i].Resource), placed[i].Resource, dir, work.Path, ct);
            runtimeInfo.Add(new RuntimeInfoEntry { Type = "Data", Size = size, Hash = HashInfo.Sha256(sha) });
            inputs.Add(dir);
            if (placed[i].SubOrderId is { } subId)
                notes.Note("dataset of sub-order {SubOrderId} loaded: sha256 {DataSha256}, {DataBytes} bytes", subId, Convert.ToHexStringLower(sha), size);
            else
                notes.Note("the consumer's dataset for {Input} loaded: sha256 {DataSha256}, {DataBytes} bytes", Path.GetFileName(dir), Convert.ToHexStringLower(sha), size);
        }

        // 5. The report goes on the ledger before the solution runs; its order certificate goes to /sp/certs.
        run.Signer = IssueOrderCertificate(order, runtimeInfo, limits);
        await PublishReport(order, run.Signer.Report, ct);
        run.Published = run.Signer.Report;
        var report = run.Published;
        notes.Note("order report published");
        var certs = work.Certs;
        await File.WriteAllTextAsync(Path.Combine(certs, "order-certificate.pem"), report.Certificate, ct);

        // 6. Run. Another loader on the same engine may remove an identical image (same id) between our load and
        // our container's creation: the archive stays in the order's scratch, and is loaded again once if so.
        var image = await _images.AcquireAsync(imagePath, limits.OutputLimitBytes, ct);
        try
        {
            notes.Note("image {ImageId} loaded; container starting", image.ImageId);
            var spec = new ContainerSpec
            {
                InputDirectories = inputs,
                OutputDirectory = work.Output,
                CertsDirectory = certs,
                TimeLimit = limits.TimeLimit,
                MemoryBytes = limits.MemoryBytes,
                NanoCpus = limits.NanoCpus,
                PidsLimit = config.PidsLimit,
                LogCapBytes = config.LogCapBytes,
                LogLimitBytes = config.LogLimitBytes,
                Labels = containerLabels,
                Name = $"sp-order-{order.Id}",
                StopWhen = c => new OrderWatch(c => calls.GetOrderAsync(order.Id, c), TimeSpan.FromSeconds(config.OrderWatchSeconds), time, notes).UntilStopAsync(c),
            };
            ContainerOutcome outcome;
            try { outcome = await runtime.RunAsync(image, spec, ct); }
            catch (ImageNotFoundException)
            {
                notes.Note(LogLevel.Warning, "image {ImageId} was removed from the engine before the container started; loading it again", image.ImageId);
                await _images.ReleaseAsync(image);
                image = await _images.AcquireAsync(imagePath, limits.OutputLimitBytes, ct);
                outcome = await runtime.RunAsync(image, spec, ct);
            }
            if (outcome.StartedAt is { } started && outcome.FinishedAt is { } finished)
                notes.Note("container ran from {Started:yyyy-MM-ddTHH:mm:ss.fffffffZ} to {Finished:yyyy-MM-ddTHH:mm:ss.fffffffZ} (exit code {ExitCode})",
                    started.UtcDateTime, finished.UtcDateTime, outcome.ExitCode);
            var failure = outcome.FailureReason;
            // A full /sp/output explains a failed write (non-zero exit) and fails an order that exited 0 as well.
            if ((failure is null || (!outcome.TimedOut && !outcome.OutOfMemory && !outcome.ProcessLimitReached && !outcome.LogLimitExceeded))
                && work.OutputLimitReached())
                failure = $"output limit of {work.OutputLimitBytes} bytes reached" + (failure is null ? "" : $" ({failure})");
            if (outcome.LogTruncated) notes.Note("the solution's log was cut at {LogCapBytes} bytes (see the note at its end)", config.LogCapBytes);
            var message = failure ?? "solution finished";
            notes.Note("{Outcome}", message);
            return (failure is null ? OrderStatus.Done : OrderStatus.Error, outcome.Log, message);
        }
        finally
        {
            await _images.ReleaseAsync(image);
        }
    }

    /// <summary>
    /// The solution's resource file: sealed in the order by its consumer (the AAD names her result key: opened, it proves
    /// the key served with the order is hers), or released by a solution offer's owner in the order's Solution sub-order
    /// (sealed like a dataset release, for the order's declared hash only; the result key then rests on the log check).
    /// </summary>
    private ResourceFile OpenSolution(Order order, List<Order> solutionSubOrders, OrderRun run)
    {
        if (solutionSubOrders.Count > 1)
            throw new OrderFailure($"order {order.Id} is served with {solutionSubOrders.Count} Solution sub-orders; nothing is opened");
        if (solutionSubOrders.Count == 0)
        {
            var own = Sealed.Open<ResourceFile>(encryption.PrivateKey, Sealed.SolutionInfo,
                          Sealed.SolutionAad(order.OfferId, order.Consumer, order.ResultPublicKey ?? ""), order.Solution!.SealedResource)
                ?? throw new OrderFailure("the solution is not sealed to this TEE's current key for this order's consumer and result key " +
                                          "(was the loader restarted after the order was placed, or does the node serve another result key?)");
            run.ResultKeyVerified = true;
            return own;
        }
        var sub = solutionSubOrders[0];
        var release = sub.SealedResource is { } sealedSolution
            ? Sealed.Open<DataRelease>(encryption.PrivateKey, Sealed.DataInfo, Sealed.DataAad(order.Id, order.CreatedSeq ?? 0, sub.Id), sealedSolution)
            : null;
        if (release is null) throw new OrderFailure($"the solution of sub-order {sub.Id} is not sealed to this TEE's current key for order {order.Id}");
        if (!string.Equals(release.SolutionHash, order.Solution!.Hash, StringComparison.OrdinalIgnoreCase))
            throw new OrderFailure($"sub-order {sub.Id}: the solution's owner released solution {release.SolutionHash}, but the order declares {order.Solution.Hash}; the dataset is not released");
        return release.Resource;
    }

    /// <summary>
    /// The order's inputs in mount order: each of the consumer's own datasets (sealed in the order, its AAD naming this
    /// order's TEE offer, consumer, result key and solution, its position and its declared hash) at its position, the
    /// released sub-orders' datasets (id order) in the remaining places. The sealed resource file must declare the hash
    /// and size the order does; the download then checks the plaintext against them.
    /// </summary>
    private List<(long? SubOrderId, ResourceFile Resource)> PlaceInputs(Order order, string imageHash, List<(Order Sub, DataRelease Release)> releases)
    {
        var own = order.ConsumerData ?? [];
        var total = own.Count + releases.Count;
        var placed = new (long? SubOrderId, ResourceFile Resource)?[total];
        foreach (var input in own)
        {
            var where = $"input-{input.Position + 1:0000}";
            if (input.Position < 0 || input.Position >= total || placed[input.Position] is not null)
                throw new OrderFailure($"the consumer's dataset at position {input.Position} has no free place among the order's {total} inputs; no dataset is released");
            var resource = Sealed.Open<ResourceFile>(encryption.PrivateKey, Sealed.DataInfo,
                               Sealed.ConsumerDataAad(order.OfferId, order.Consumer, order.ResultPublicKey ?? "", imageHash, input.Position, input.Hash), input.SealedResource)
                ?? throw new OrderFailure($"the consumer's dataset for {where} is not sealed to this TEE's current key for this order (its consumer, result key, solution, place and hash)");
            if (!string.Equals(resource.Hash.Value, input.Hash, StringComparison.OrdinalIgnoreCase) || resource.Size != input.Size)
                throw new OrderFailure($"the consumer's dataset for {where}: the order declares sha256 {input.Hash}, {input.Size} bytes, its sealed resource file says sha256 {resource.Hash.Value}, {resource.Size} bytes");
            placed[input.Position] = (null, resource);
        }
        var next = 0;
        foreach (var (sub, release) in releases)
        {
            while (placed[next] is not null) next++;
            placed[next] = (sub.Id, release.Resource);
        }
        return placed.Select(p => p!.Value).ToList();
    }

    /// <summary>The order certificate over what the TEE loaded, with its key kept for the result statement.</summary>
    private OrderSigner IssueOrderCertificate(Order order, List<RuntimeInfoEntry> runtimeInfo, OrderLimits limits)
    {
        var workload = new WorkloadInfo
        {
            RuntimeInfo = runtimeInfo,
            Created = time.GetUtcNow().ToUnixTimeMilliseconds(),
            OrderId = order.Id.ToString(),
            AttestationType = config.Attestation,
            OrderCapacity = new Dictionary<string, long>
            {
                ["ram"] = limits.MemoryBytes,
                ["timeLimitSeconds"] = (long)limits.TimeLimit.TotalSeconds,
                ["diskUsage"] = limits.OutputLimitBytes,
            },
        };
        return identity.IssueOrder(workload, time.GetUtcNow());
    }

    private Task PublishReport(Order order, OrderReport report, CancellationToken ct) =>
        calls.SendAsync(new OrderReportPublish(order.Id, report), order.Id, o => o.Report is not null, ct);

    /// <summary>Issues and publishes the report; null (and a note) when the ledger refuses it.</summary>
    private async Task<OrderSigner?> TryPublishReport(Order order, List<RuntimeInfoEntry> runtimeInfo, OrderLimits limits, OrderNotes notes, CancellationToken ct)
    {
        var signer = IssueOrderCertificate(order, runtimeInfo, limits);
        try
        {
            await PublishReport(order, signer.Report, ct);
            notes.Note("order report published");
            return signer;
        }
        catch (SpError e) when (e is NodeRefusedError or UserError)
        {
            notes.Note(LogLevel.Warning, "report not published: {Reason}", e.Message);
            signer.Dispose();
            return null;
        }
        catch
        {
            signer.Dispose(); // the order key never outlives a failure either
            throw;
        }
    }

    /// <summary>Ends the order with the TEE's signed statement of the result (docs/formats-result-statement.md).</summary>
    private async Task Finish(Order order, OrderStatus status, string message, (string? Sealed, ResourceFile? Resource) result,
        OrderSigner signer, OrderReport? report, CancellationToken ct)
    {
        var statement = signer.SignResult(new ResultClaims
        {
            OrderId = order.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Status = status.ToString(),
            Message = message,
            ResultSha256 = result.Resource?.Hash.Value.ToLowerInvariant(),
            ResultSize = result.Resource?.Size,
            ReportSha256 = report is null ? null : ResultStatements.ReportDigest(report),
        });
        await calls.SendAsync(new OrderFinish(order.Id, status, result.Sealed, message, statement), order.Id,
            o => o.Status is OrderStatus.Done or OrderStatus.Error, ct);
    }

    /// <summary>output/ and log.txt in one gzip tar, encrypted with a fresh key, uploaded, location sealed to the consumer.</summary>
    private async Task<(string? Sealed, ResourceFile? Resource)> UploadResult(Order order, OrderScratch work, string containerLog, Func<string> loaderLog, CancellationToken ct)
    {
        var archive = Path.Combine(work.Path, "result.tar.gz");
        // Created 0600: the result's plaintext is for the loader alone until it is encrypted and uploaded.
        await using (var fs = new FileStream(archive, new FileStreamOptions
                     {
                         Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                     }))
        await using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        // Every entry is DeterministicArchive's (GNU, each once): output/ is written by AppendDirectoryAsync alone.
        await using (var tar = new TarWriter(gz, DeterministicArchive.Format, leaveOpen: true))
        {
            if (Directory.Exists(work.Output)) await DeterministicArchive.AppendDirectoryAsync(tar, work.Output, ResultLayout.OutputDir, ct);
            else await DeterministicArchive.AppendDirectoryEntryAsync(tar, ResultLayout.OutputDir, ct);
            var log = Encoding.UTF8.GetBytes(containerLog + (containerLog.EndsWith('\n') || containerLog.Length == 0 ? "" : "\n") + "--- loader ---\n" + loaderLog());
            await DeterministicArchive.AppendFileAsync(tar, ResultLayout.LogFile, new MemoryStream(log), ct);
        }
        var resource = await calls.TransferAsync(c => new FileTransfer(stores.Results).UploadAsync(archive, "result.tar.gz", null, c),
            () => { }, $"order {order.Id}: result upload", ct);
        if (order.ResultPublicKey is null) return (null, resource);
        return (Sealed.Seal(Convert.FromBase64String(order.ResultPublicKey), Sealed.ResultInfo, Sealed.ResultAad(order.Id), resource), resource);
    }

    /// <summary>Downloads and decrypts (again from the start after a broken connection); with <paramref name="verify"/>,
    /// the plaintext must be the resource file's hash and size. (The solution is checked by the caller against the order's declared hash instead.)</summary>
    /// <summary>Inputs are read from the store their resource file names (the node's storage, S3, or the loader's LOCAL folder).</summary>
    private FileTransfer TransferFor(ResourceFile resource) => new(BlobStores.ForResource(resource.Resource, Node, stores.Local, stores.InputEndpoints));

    private async Task<(byte[] Sha, long Size)> DownloadToFile(FileTransfer transfer, ResourceFile resource, string path, bool verify, string what, CancellationToken ct)
    {
        var (sha, size) = await calls.TransferAsync(async c =>
        {
            // Decrypted: root's alone (the container runtime gives inputs to the container's user).
            await using var fs = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
            return await transfer.DownloadToStreamAsync(resource, fs, ct: c);
        }, () => File.Delete(path), $"download of {what}", ct);
        if (verify && (size != resource.Size || !string.Equals(Convert.ToHexStringLower(sha), resource.Hash.Value, StringComparison.OrdinalIgnoreCase)))
            throw new OrderFailure($"downloaded content (sha256 {Convert.ToHexStringLower(sha)}, {size} bytes) differs from its resource file (sha256 {resource.Hash.Value}, {resource.Size} bytes)");
        return (sha, size);
    }

    /// <summary>A directory dataset is unpacked so its entries sit directly in the input folder; a file keeps its name.</summary>
    private async Task<(byte[] Sha, long Size)> DownloadInput(FileTransfer transfer, ResourceFile resource, string dir, string work, CancellationToken ct)
    {
        if (resource.Kind == ResourceKinds.Directory)
        {
            var tarPath = Path.Combine(work, $"dataset-{Guid.NewGuid():N}.tar");
            try
            {
                var result = await DownloadToFile(transfer, resource, tarPath, verify: true, "dataset", ct);
                await using var tarStream = File.OpenRead(tarPath);
                try { await DeterministicArchive.ExtractTarAsync(tarStream, dir, ct); }
                catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
                {
                    // The reason names the archive's entries: the dataset's own plaintext, never put in a status or a log.
                    throw new OrderFailure($"the dataset could not be unpacked ({e.GetType().Name}; the details are the dataset's content and are withheld)");
                }
                return result;
            }
            finally { File.Delete(tarPath); }
        }
        var name = Path.GetFileName(resource.Filename ?? "data");
        if (string.IsNullOrEmpty(name) || name is "." or "..") name = "data";
        return await DownloadToFile(transfer, resource, Path.Combine(dir, name), verify: true, "dataset", ct);
    }
}

/// <summary>
/// What the loader says about one order. <see cref="Print"/> goes to the loader's log, with the order's id as a field;
/// <see cref="Note(string, object?[])"/> goes there too and to the order's own log (<see cref="Text"/>: log.txt in
/// the consumer's result, one line per note, timed by <paramref name="time"/>). Each is a message template whose fields are its arguments.
/// </summary>
public sealed partial class OrderNotes(ILogger logger, long orderId, TimeProvider time)
{
    private readonly StringBuilder _text = new();

    /// <summary>The order's own log so far.</summary>
    public string Text
    {
        get { lock (_text) return _text.ToString(); }
    }

    public void Note(string template, params object?[] args) => Note(LogLevel.Information, template, args);

    public void Note(LogLevel level, string template, params object?[] args)
    {
        lock (_text) _text.Append(CultureInfo.InvariantCulture, $"[{time.GetUtcNow():HH:mm:ss.fff}] {Render(template, args)}\n");
        Print(level, template, args);
    }

#pragma warning disable CA2254 // the template is the caller's constant, behind the order's id
    public void Print(LogLevel level, string template, params object?[] args) =>
        logger.Log(level, "order {OrderId}: " + template, [orderId, .. args]);
#pragma warning restore CA2254

    /// <summary>The template with each field replaced by its argument, in order, as the log renders it.</summary>
    public static string Render(string template, object?[] args)
    {
        var i = 0;
        return Field().Replace(template, m =>
        {
            var value = i < args.Length ? args[i++] : null;
            var format = m.Groups[1].Success ? m.Groups[1].Value : null;
            return value switch
            {
                null => "(null)",
                IFormattable f => f.ToString(format, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
        });
    }

    [GeneratedRegex(@"\{[A-Za-z0-9_]+(?::([^{}]+))?\}")]
    private static partial Regex Field();
}

/// <summary>How long an order's deposit pays for its run (pure: from the order and its sub-orders as the ledger has them).</summary>
public static class OrderFunding
{
    /// <summary>Unix milliseconds up to which the deposit pays for the run; null when the cost does not grow
    /// with time (no per-hour slot) or the order has not started.</summary>
    public static long? FundedUntil(OrderView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Order.Started is not { } started) return null;
        var usages = view.SubOrders.Select(s => s.Usage).Prepend(view.Order.Usage).ToList();
        return SlotPricing.FundedMillis(usages, view.Order.Deposit ?? TokenAmount.Zero) is { } funded ? started + funded : null;
    }

    /// <summary>Whether the deposit is spent at <paramref name="now"/>: from <paramref name="fundedUntil"/> (Unix milliseconds,
    /// <see cref="FundedUntil"/>) on, the order ends; a millisecond before, it runs on.</summary>
    public static bool IsSpentAt(long fundedUntil, DateTimeOffset now) => now.ToUnixTimeMilliseconds() >= fundedUntil;

    /// <summary>How long the deposit still pays for at <paramref name="now"/> (zero once it is spent).</summary>
    public static TimeSpan TimeLeftAt(long fundedUntil, DateTimeOffset now) =>
        TimeSpan.FromMilliseconds(Math.Max(0, fundedUntil - now.ToUnixTimeMilliseconds()));

    public static string Seconds(long millis) => (millis / 1000.0).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The loader's stores: where results go (tee.json <c>storage</c>), its LOCAL folder for inputs kept in one, and
/// the storage endpoints inputs may come from (tee.json <c>allowedStorageHosts</c>, the node, the loader's own S3).</summary>
public sealed record OrderStores(IBlobStore Results, IBlobStore? Local, StorageEndpointPolicy InputEndpoints);
