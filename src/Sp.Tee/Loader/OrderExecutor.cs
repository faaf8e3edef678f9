using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Sp.Certification;
using Sp.Client;
using Sp.Client.Api;
using Sp.Client.Sealing;
using Sp.Client.Storage;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Crypto.Hpke;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;
using Sp.Storage.Archive;
using Sp.Storage.Transfer;
using Sp.Tee.Runtime;

namespace Sp.Tee.Loader;

/// <summary>
/// Executes one order: opens the sealed inputs, verifies every hash (the image against the hash the data owner
/// approved, before any data is fetched), publishes the report, runs the container with the /sp layout, and
/// returns the result (output/ + log.txt) sealed to the consumer. Whatever happens the order ends Done or Error
/// with its reason in log.txt, and decrypted inputs are deleted.
/// </summary>
public sealed class OrderExecutor(NodeClient node, AccountKey account, TeeConfig config, TeeIdentity identity, HpkeKeyPair encryption, IContainerRuntime runtime)
{
    private const long LogCap = 1 << 20;

    private sealed class OrderFailure(string message) : Exception(message);

    public async Task ExecuteAsync(OrderView view, CancellationToken ct)
    {
        var order = view.Order;
        var loaderLog = new StringBuilder();
        void Note(string m) { loaderLog.Append($"[{DateTimeOffset.UtcNow:HH:mm:ss.fff}] {m}\n"); Console.WriteLine($"sp-tee: order {order.Id}: {m}"); }

        if (order.Status == OrderStatus.Processing)
        {
            // Taken before a restart: its inputs were sealed to keys that died with the previous process.
            if (order.Report is null) await TryPublishReport(order, [], Note, ct);
            await Finish(order, OrderStatus.Error, "the loader restarted while executing this order; start a new workflow", null, ct);
            return;
        }

        await node.SendAsync(account, config.Network, TxTypes.OrderStart, new OrderStart(order.Id), ct);
        Note("order taken");
        var work = CreateWorkDir(order.Id);
        var runtimeInfo = new List<RuntimeInfoEntry>();
        var reportPublished = false;
        var status = OrderStatus.Error;
        var containerLog = "";
        var message = "";
        try
        {
            var store = new NodeBlobStore(node);
            var transfer = new FileTransfer(store);
            // 1. The solution: open, download, decrypt, and check its hash against the order's declared one.
            var solution = Sealed.Open<ResourceFile>(encryption.PrivateKey, Sealed.SolutionInfo, Sealed.SolutionAad(order.OfferId, order.Consumer), order.Solution!.SealedResource)
                ?? throw new OrderFailure("the solution is not sealed to this TEE's current key (was the loader restarted after the order was placed?)");
            var imagePath = Path.Combine(work, "solution.tar.gz");
            var (imageSha, imageSize) = await DownloadToFile(transfer, solution, imagePath, verify: false, ct);
            var imageHash = Convert.ToHexStringLower(imageSha);
            runtimeInfo.Add(new RuntimeInfoEntry { Type = "Image", Size = imageSize, Hash = HashInfo.Sha256(imageSha) });
            Note($"solution image loaded: sha256 {imageHash}, {imageSize} bytes");
            if (imageHash != order.Solution.Hash)
                throw new OrderFailure($"solution hash mismatch: the order declares {order.Solution.Hash}, the downloaded image is {imageHash}; the dataset is not released");

            // 2. Every data release must name this exact image before any dataset is downloaded.
            var releases = new List<(Order Sub, DataRelease Release)>();
            foreach (var sub in view.SubOrders.Where(s => s.Type == OfferType.Data).OrderBy(s => s.Id))
            {
                var release = sub.SealedResource is { } sealedData
                    ? Sealed.Open<DataRelease>(encryption.PrivateKey, Sealed.DataInfo, Sealed.DataAad(sub.Id), sealedData)
                    : null;
                if (release is null) throw new OrderFailure($"the data of sub-order {sub.Id} is not sealed to this TEE's current key");
                if (!string.Equals(release.SolutionHash, imageHash, StringComparison.OrdinalIgnoreCase))
                    throw new OrderFailure($"sub-order {sub.Id}: the data owner approved solution {release.SolutionHash}, but the image is {imageHash}; the dataset is not released");
                releases.Add((sub, release));
            }

            // 3. Datasets, each into its own /sp/inputs/input-000N.
            var inputs = new List<string>();
            for (var i = 0; i < releases.Count; i++)
            {
                var dir = Path.Combine(work, "inputs", $"input-{i + 1:0000}");
                Directory.CreateDirectory(dir);
                var (sha, size) = await DownloadInput(transfer, releases[i].Release.Resource, dir, work, ct);
                runtimeInfo.Add(new RuntimeInfoEntry { Type = "Data", Size = size, Hash = HashInfo.Sha256(sha) });
                MakeReadable(dir);
                inputs.Add(dir);
                Note($"dataset of sub-order {releases[i].Sub.Id} loaded: sha256 {Convert.ToHexStringLower(sha)}, {size} bytes");
            }

            // 4. The report goes on the ledger before the solution runs; its order certificate goes to /sp/certs.
            var report = await PublishReport(order, runtimeInfo, ct);
            reportPublished = true;
            Note("order report published");
            var certs = Path.Combine(work, "certs");
            Directory.CreateDirectory(certs);
            await File.WriteAllTextAsync(Path.Combine(certs, "order-certificate.pem"), report.Certificate, ct);
            MakeReadable(certs);
            var output = Path.Combine(work, "output");
            Directory.CreateDirectory(output);

            // 5. Run.
            var image = await runtime.LoadImageAsync(imagePath, ct);
            File.Delete(imagePath);
            Note($"image {image.ImageId} loaded; container starting");
            try
            {
                var outcome = await runtime.RunAsync(image, new ContainerSpec
                {
                    InputDirectories = inputs,
                    OutputDirectory = output,
                    CertsDirectory = certs,
                    TimeLimit = TimeSpan.FromSeconds(config.OrderTimeLimitSeconds),
                    MemoryBytes = config.MemoryBytes,
                    LogCapBytes = LogCap,
                    Name = $"sp-order-{order.Id}",
                }, ct);
                containerLog = outcome.Log;
                if (outcome.FailureReason is null && outcome.ExitCode == 0)
                {
                    status = OrderStatus.Done;
                    message = "solution finished";
                }
                else message = outcome.FailureReason ?? $"solution exited with code {outcome.ExitCode}";
                Note(message);
            }
            finally
            {
                await runtime.RemoveImageAsync(image, CancellationToken.None);
            }
        }
        catch (OrderFailure f)
        {
            message = f.Message;
            Note($"error: {f.Message}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Security.Cryptography.CryptographicException
                                      or Sp.Client.Config.UserError or HttpRequestException or Docker.DotNet.DockerApiException)
        {
            message = $"loader error: {e.Message}";
            Note(message);
        }

        try
        {
            if (!reportPublished) await TryPublishReport(order, runtimeInfo, Note, ct);
            var sealedResult = await UploadResult(order, work, containerLog, loaderLog.ToString(), ct);
            await Finish(order, status, message, sealedResult, ct);
        }
        finally
        {
            // Decrypted inputs never outlive the order.
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task<OrderReport> PublishReport(Order order, List<RuntimeInfoEntry> runtimeInfo, CancellationToken ct)
    {
        var workload = new WorkloadInfo
        {
            RuntimeInfo = runtimeInfo,
            Created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            OrderId = order.Id.ToString(),
            AttestationType = config.Attestation,
            OrderCapacity = new Dictionary<string, long> { ["ram"] = config.MemoryBytes, ["timeLimitSeconds"] = config.OrderTimeLimitSeconds },
        };
        var report = identity.BuildReport(workload, DateTimeOffset.UtcNow);
        await node.SendAsync(account, config.Network, TxTypes.OrderReport, new OrderReportPublish(order.Id, report), ct);
        return report;
    }

    private async Task TryPublishReport(Order order, List<RuntimeInfoEntry> runtimeInfo, Action<string> note, CancellationToken ct)
    {
        try { await PublishReport(order, runtimeInfo, ct); note("order report published"); }
        catch (Sp.Client.Config.UserError e) { note($"report not published: {e.Message}"); }
    }

    private async Task Finish(Order order, OrderStatus status, string message, string? sealedResult, CancellationToken ct) =>
        await node.SendAsync(account, config.Network, TxTypes.OrderFinish, new OrderFinish(order.Id, status, sealedResult, message), ct);

    /// <summary>output/ and log.txt in one gzip tar, encrypted with a fresh key, uploaded, location sealed to the consumer.</summary>
    private async Task<string?> UploadResult(Order order, string work, string containerLog, string loaderLog, CancellationToken ct)
    {
        var archive = Path.Combine(work, "result.tar.gz");
        await using (var fs = File.Create(archive))
        await using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            var output = Path.Combine(work, "output");
            var outDir = new PaxTarEntry(TarEntryType.Directory, ResultLayout.OutputDir) { ModificationTime = DateTimeOffset.UnixEpoch, Mode = (UnixFileMode)0x1ED };
            await tar.WriteEntryAsync(outDir, ct);
            if (Directory.Exists(output)) await DeterministicArchive.AppendDirectoryAsync(tar, output, ResultLayout.OutputDir, ct);
            var log = Encoding.UTF8.GetBytes(containerLog + (containerLog.EndsWith('\n') || containerLog.Length == 0 ? "" : "\n") + "--- loader ---\n" + loaderLog);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, ResultLayout.LogFile)
            {
                DataStream = new MemoryStream(log), ModificationTime = DateTimeOffset.UnixEpoch, Mode = (UnixFileMode)0x1A4,
            };
            await tar.WriteEntryAsync(entry, ct);
        }
        var resource = await new FileTransfer(new NodeBlobStore(node)).UploadAsync(archive, "result.tar.gz", null, ct);
        if (order.ResultPublicKey is null) return null;
        return Sealed.Seal(Convert.FromBase64String(order.ResultPublicKey), Sealed.ResultInfo, Sealed.ResultAad(order.Id), resource);
    }

    /// <summary>Downloads and decrypts; with <paramref name="verify"/>, the plaintext must be the resource file's hash and size.
    /// (The solution is checked by the caller against the order's declared hash instead.)</summary>
    private static async Task<(byte[] Sha, long Size)> DownloadToFile(FileTransfer transfer, ResourceFile resource, string path, bool verify, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var (sha, size) = await transfer.DownloadToStreamAsync(resource, fs, ct);
        if (verify && (size != resource.Size || !string.Equals(Convert.ToHexStringLower(sha), resource.Hash.Value, StringComparison.OrdinalIgnoreCase)))
            throw new OrderFailure($"downloaded content (sha256 {Convert.ToHexStringLower(sha)}, {size} bytes) differs from its resource file (sha256 {resource.Hash.Value}, {resource.Size} bytes)");
        return (sha, size);
    }

    /// <summary>A directory dataset is unpacked so its entries sit directly in the input folder; a file keeps its name.</summary>
    private static async Task<(byte[] Sha, long Size)> DownloadInput(FileTransfer transfer, ResourceFile resource, string dir, string work, CancellationToken ct)
    {
        if (resource.Kind == ResourceKinds.Directory)
        {
            var tarPath = Path.Combine(work, $"dataset-{Guid.NewGuid():N}.tar");
            try
            {
                var result = await DownloadToFile(transfer, resource, tarPath, verify: true, ct);
                await using var tarStream = File.OpenRead(tarPath);
                await DeterministicArchive.ExtractTarAsync(tarStream, dir, ct);
                return result;
            }
            finally { File.Delete(tarPath); }
        }
        var name = Path.GetFileName(resource.Filename ?? "data");
        if (string.IsNullOrEmpty(name) || name is "." or "..") name = "data";
        return await DownloadToFile(transfer, resource, Path.Combine(dir, name), verify: true, ct);
    }

    private string CreateWorkDir(long orderId)
    {
        var root = config.WorkDir ?? (Directory.Exists("/dev/shm") ? "/dev/shm/sp-tee" : Path.Combine(Path.GetTempPath(), "sp-tee"));
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0x1C0 | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        var dir = Path.Combine(root, $"order-{orderId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        return dir;
    }

    /// <summary>The container runs as an unprivileged user: inputs and certs must be readable by it (never writable).</summary>
    private static void MakeReadable(string dir)
    {
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(d, (UnixFileMode)0x1ED);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(f, (UnixFileMode)0x1A4);
    }
}
