using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Storage.Blobs;
using Sp.Storage.Transfer;

namespace Sp.Bench;

/// <summary>
/// Two modes. <c>--whole OPERATION ARGS</c> runs one storage operation once, as a command would, and prints its
/// wall time, rate and peak resident memory (VmHWM); bench/storage.sh times it next to OpenSSL. Anything else
/// goes to BenchmarkDotNet (the in-memory suites in <see cref="StreamBenchmarks"/>).
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: Sp.Bench --whole hash FILE
               Sp.Bench --whole upload FILE STORE_DIR RESOURCE_JSON
               Sp.Bench --whole download RESOURCE_JSON STORE_DIR DEST_DIR
               Sp.Bench [BenchmarkDotNet arguments, e.g. --filter '*']
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "--whole")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
            return 0;
        }
        if (args.Length < 3) { Console.Error.WriteLine(Usage); return 2; }
        var watch = Stopwatch.StartNew();
        long bytes;
        switch (args[1])
        {
            case "hash" when args.Length == 3:
                var (hex, size) = await FileTransfer.CalculateHashAsync(args[2]);
                Console.Error.WriteLine($"sha256 {hex}");
                bytes = size;
                break;
            case "upload" when args.Length == 5:
                var resource = await new FileTransfer(new LocalFolderBlobStore(args[3])).UploadAsync(args[2], filename: null);
                await File.WriteAllTextAsync(args[4], SpJson.Serialize(resource));
                Console.Error.WriteLine($"sha256 {resource.Hash.Value}");
                bytes = resource.Size;
                break;
            case "download" when args.Length == 5:
                var file = SpJson.Deserialize<ResourceFile>(await File.ReadAllTextAsync(args[2]));
                await new FileTransfer(new LocalFolderBlobStore(args[3])).DownloadAsync(file, args[4]);
                bytes = file.Size;
                break;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"op={args[1]} bytes={bytes} seconds={seconds:F3} MBps={bytes / seconds / 1e6:F0} peak_rss_mib={PeakResidentMiB():F1}"));
        return 0;
    }

    /// <summary>VmHWM from /proc/self/status: the peak resident set size, in MiB.</summary>
    private static double PeakResidentMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
