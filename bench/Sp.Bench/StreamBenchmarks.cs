using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Sp.Crypto.Streaming;

namespace Sp.Bench;

/// <summary>
/// The SP stream format on 64 MiB in memory, and SHA-256 on its own: MB/s in the "MB/s" column (decimal MB of
/// plaintext per second of the mean). Ciphertext goes to a sink that discards it.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class StreamBenchmarks
{
    public const int Size = 64 * 1024 * 1024;
    private byte[] _plaintext = [];
    private byte[] _ciphertext = [];
    private readonly byte[] _scratch = new byte[65_536];
    private readonly byte[] _key = AeadStream.NewKey();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance));
            AddColumn(new ThroughputColumn());
            SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _plaintext = RandomNumberGenerator.GetBytes(Size);
        var output = new MemoryStream();
        AeadStream.EncryptAsync(new MemoryStream(_plaintext), output, _key).GetAwaiter().GetResult();
        _ciphertext = output.ToArray();
    }

    [Benchmark(Description = "SHA-256 (IncrementalHash, 1 MiB appends)")]
    public byte[] Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < Size; i += 1 << 20) hash.AppendData(_plaintext, i, 1 << 20);
        return hash.GetHashAndReset();
    }

    [Benchmark(Description = "AES-256-GCM alone (AesGcm, 64 KiB chunks)")]
    public int AesGcmChunks()
    {
        using var aes = new AesGcm(_key, 16);
        var nonce = new byte[12];
        var output = _scratch;
        var tag = new byte[16];
        for (var i = 0; i < Size; i += 65_536)
        {
            nonce[10] = (byte)(i >> 16);
            nonce[9] = (byte)(i >> 24);
            aes.Encrypt(nonce, _plaintext.AsSpan(i, 65_536), output, tag);
        }
        return tag[0];
    }

    [Benchmark(Description = "AeadStream.EncryptAsync (AES-256-GCM + SHA-256)")]
    public StreamResult Encrypt() => AeadStream.EncryptAsync(new MemoryStream(_plaintext, writable: false), Stream.Null, _key).GetAwaiter().GetResult();

    [Benchmark(Description = "AeadStream.DecryptAsync (AES-256-GCM + SHA-256)")]
    public StreamResult Decrypt() => AeadStream.DecryptAsync(new MemoryStream(_ciphertext, writable: false), Stream.Null, _key).GetAwaiter().GetResult();

    [Benchmark(Description = "AeadEncryptStream (push, 1 MiB writes)")]
    public StreamResult EncryptPush()
    {
        using var encryptor = new AeadEncryptStream(Stream.Null, _key);
        for (var i = 0; i < Size; i += 1 << 20) encryptor.Write(_plaintext, i, 1 << 20);
        return encryptor.CompleteAsync().GetAwaiter().GetResult();
    }

    /// <summary>Plaintext MB/s of the mean time.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "MBps";
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Plaintext megabytes (10^6) per second, from the mean";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats) return "-";
            return (Size / (stats.Mean / 1e9) / 1e6).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
