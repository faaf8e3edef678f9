namespace Sp.Storage.Blobs;

/// <summary>
/// Where and how <see cref="S3BlobStore"/> stores objects: an S3-compatible endpoint (AWS, MinIO, s3rver...),
/// a bucket, a key prefix, static credentials, and the multipart tuning. Serialisable as the "s3" section
/// of config.json (docs/storage.md).
/// </summary>
public sealed record S3StorageOptions
{
    public const int MiB = 1024 * 1024;
    /// <summary>Default size of a multipart part and of a ranged read.</summary>
    public const int DefaultPartSize = 16 * MiB;
    /// <summary>S3's minimum size for every part but the last.</summary>
    public const int MinPartSize = 5 * MiB;
    /// <summary>Largest part this store buffers (S3 allows 5 GiB; memory is (Parallelism + 1) x PartSize).</summary>
    public const int MaxPartSize = 512 * MiB;
    /// <summary>S3's limit on the number of parts of one multipart upload.</summary>
    public const int MaxParts = 10_000;
    public const int DefaultParallelism = 4;
    public const int MaxParallelism = 64;
    public const int DefaultMaxAttempts = 5;
    public const string DefaultRegion = "us-east-1";

    /// <summary>Service URL, e.g. "https://s3.eu-central-1.amazonaws.com" or "http://127.0.0.1:4568".</summary>
    public required string Endpoint { get; init; }
    public required string Bucket { get; init; }
    /// <summary>Prepended to every object key, e.g. "datasets/" (may be empty).</summary>
    public string Prefix { get; init; } = "";
    public required string AccessKey { get; init; }
    public required string SecretKey { get; init; }
    /// <summary>Signing region (S3-compatible servers usually accept any; AWS needs the bucket's).</summary>
    public string Region { get; init; } = DefaultRegion;
    /// <summary>Multipart part size and ranged-read size in bytes (5 MiB to 512 MiB).</summary>
    public int PartSize { get; init; } = DefaultPartSize;
    /// <summary>Parts uploaded, or ranges fetched, at once.</summary>
    public int Parallelism { get; init; } = DefaultParallelism;
    /// <summary>Attempts per request on transient errors (5xx, 429, timeouts, connection resets), 1 = no retry.</summary>
    public int MaxAttempts { get; init; } = DefaultMaxAttempts;
    /// <summary>Back-off before the second attempt; doubled before each further one (with jitter), capped at 10 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Limit for one HTTP request (one part, one range).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is unusable, and why.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Endpoint) || !Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"s3 endpoint '{Endpoint}' is not an absolute http(s) URL", nameof(Endpoint));
        if (string.IsNullOrWhiteSpace(Bucket) || Bucket.Length is < 3 or > 63 || Bucket.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
            throw new ArgumentException($"s3 bucket '{Bucket}' is not a bucket name (3-63 characters: a-z, 0-9, '-', '.')", nameof(Bucket));
        if (Prefix is null || Prefix.StartsWith('/') || Prefix.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException($"s3 prefix '{Prefix}' must not start with '/' or contain NUL", nameof(Prefix));
        if (string.IsNullOrEmpty(AccessKey))
            throw new ArgumentException("s3 accessKey is empty", nameof(AccessKey));
        if (string.IsNullOrEmpty(SecretKey))
            throw new ArgumentException("s3 secretKey is empty", nameof(SecretKey));
        if (string.IsNullOrWhiteSpace(Region))
            throw new ArgumentException("s3 region is empty", nameof(Region));
        if (PartSize is < MinPartSize or > MaxPartSize)
            throw new ArgumentException($"s3 partSize is {PartSize} bytes, expected {MinPartSize} to {MaxPartSize}", nameof(PartSize));
        if (Parallelism is < 1 or > MaxParallelism)
            throw new ArgumentException($"s3 parallelism is {Parallelism}, expected 1 to {MaxParallelism}", nameof(Parallelism));
        if (MaxAttempts < 1)
            throw new ArgumentException($"s3 maxAttempts is {MaxAttempts}, expected at least 1", nameof(MaxAttempts));
        if (RetryBaseDelay < TimeSpan.Zero)
            throw new ArgumentException($"s3 retryBaseDelay is {RetryBaseDelay}, expected zero or more", nameof(RetryBaseDelay));
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"s3 requestTimeout is {RequestTimeout}, expected more than zero", nameof(RequestTimeout));
    }

    /// <summary>The largest object one upload can hold: <see cref="MaxParts"/> x <see cref="PartSize"/>.</summary>
    public long MaxObjectSize => (long)MaxParts * PartSize;

    /// <summary>Hides the secret key, so options can be logged.</summary>
    public override string ToString() =>
        $"S3StorageOptions {{ Endpoint = {Endpoint}, Bucket = {Bucket}, Prefix = {Prefix}, AccessKey = {AccessKey}, Region = {Region}, PartSize = {PartSize}, Parallelism = {Parallelism} }}";
}
