using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Sp.Core.Model;
using Sp.Storage.Blobs.S3;

namespace Sp.Storage.Blobs;

/// <summary>
/// Objects in an S3-compatible bucket (AWS S3, MinIO, s3rver...) through AWSSDK.S3. Keys are
/// <c>Prefix + 32 random hex digits</c>. Uploads are multipart with <see cref="S3StorageOptions.Parallelism"/>
/// parts in flight from a bounded set of buffers (memory (Parallelism + 1) x PartSize, whatever the size), an
/// object smaller than one part is a single PutObject, and nothing is visible under the key before the upload
/// completes; a failed upload is aborted. Reads are ranged GETs fetched ahead in parallel. Every request is
/// retried with exponential back-off on transient errors (5xx, 429, timeouts, connection resets).
/// </summary>
/// <remarks>
/// The returned <see cref="StorageResource"/> carries the endpoint, bucket, region and keys in
/// <see cref="StorageResource.Credentials"/> (see <see cref="CredentialKeys"/>), so whoever holds the resource
/// file can open the object with <see cref="ForResource"/>. The client is configured for plain S3 servers:
/// path-style addressing, no aws-chunked bodies, checksums only when required.
/// </remarks>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    public const string Type = "S3";
    private const int ObjectNameBytes = 16;

    /// <summary>Names of the entries of <see cref="StorageResource.Credentials"/> for an S3 object.</summary>
    public static class CredentialKeys
    {
        public const string Endpoint = "endpoint";
        public const string Bucket = "bucket";
        public const string AccessKey = "accessKey";
        public const string SecretKey = "secretKey";
        public const string Region = "region";
    }

    private readonly AmazonS3Client _client;
    private readonly S3Retry _retry;

    public S3BlobStore(S3StorageOptions options) : this(options, endpoints: null) { }

    /// <param name="options">Validated here.</param>
    /// <param name="endpoints">When given, the endpoint must be one it allows (checked here, before any connection)
    /// and every connection goes through it (a DNS name only to the addresses it allows).</param>
    public S3BlobStore(S3StorageOptions options, StorageEndpointPolicy? endpoints) : this(options, wrapHandler: null, onRetry: null, endpoints) { }

    /// <param name="options">Validated here.</param>
    /// <param name="wrapHandler">Wraps the HTTP handler (tests inject faults with it).</param>
    /// <param name="onRetry">Called before each retry with the operation, the failed attempt's number and its error.</param>
    /// <param name="endpoints">See the public constructor.</param>
    internal S3BlobStore(S3StorageOptions options, Func<HttpMessageHandler, HttpMessageHandler>? wrapHandler, Action<string, int, Exception>? onRetry,
        StorageEndpointPolicy? endpoints = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        endpoints?.CheckEndpoint(options.Endpoint);
        Options = options;
        var config = new AmazonS3Config
        {
            ServiceURL = options.Endpoint,
            AuthenticationRegion = options.Region,
            ForcePathStyle = true,
            // Plain S3 servers (s3rver, older MinIO) predate the checksummed aws-chunked bodies sent by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 0, // retries are ours (S3Retry), so they are the same for every request and observable
            Timeout = options.RequestTimeout,
        };
        if (wrapHandler is not null || endpoints is not null)
        {
            var wrap = wrapHandler ?? (h => h);
            config.HttpClientFactory = new WrappingHttpClientFactory(() => wrap(endpoints?.CreateHandler() ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }));
        }
        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        _retry = new S3Retry(options.MaxAttempts, options.RetryBaseDelay, onRetry);
    }

    public S3StorageOptions Options { get; }
    public string StorageType => Type;

    /// <summary>Options to open an object from the credentials its resource carries; tuning from <paramref name="tuning"/> when given.</summary>
    /// <exception cref="ArgumentException">The resource is not an S3 one, or a credential entry is missing.</exception>
    public static S3StorageOptions OptionsFor(StorageResource resource, S3StorageOptions? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.StorageType != Type)
            throw new ArgumentException($"storage type '{resource.StorageType}' is not handled by the S3 store (expected '{Type}')", nameof(resource));
        string Get(string name) => resource.Credentials.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v)
            ? v
            : throw new ArgumentException($"S3 resource '{resource.Filepath}' has no credentials.{name}", nameof(resource));
        return new S3StorageOptions
        {
            Endpoint = Get(CredentialKeys.Endpoint),
            Bucket = Get(CredentialKeys.Bucket),
            AccessKey = Get(CredentialKeys.AccessKey),
            SecretKey = Get(CredentialKeys.SecretKey),
            Region = resource.Credentials.TryGetValue(CredentialKeys.Region, out var region) && !string.IsNullOrEmpty(region) ? region : S3StorageOptions.DefaultRegion,
            PartSize = tuning?.PartSize ?? S3StorageOptions.DefaultPartSize,
            Parallelism = tuning?.Parallelism ?? S3StorageOptions.DefaultParallelism,
            MaxAttempts = tuning?.MaxAttempts ?? S3StorageOptions.DefaultMaxAttempts,
        };
    }

    /// <summary>A store that can open <paramref name="resource"/> with the credentials it carries (a downloader's view),
    /// connecting only where <paramref name="endpoints"/> allows when given.</summary>
    public static S3BlobStore ForResource(StorageResource resource, S3StorageOptions? tuning = null, StorageEndpointPolicy? endpoints = null) =>
        new(OptionsFor(resource, tuning), endpoints);

    /// <summary>Creates the bucket if it does not exist yet.</summary>
    public async Task EnsureBucketAsync(CancellationToken ct = default)
    {
        try
        {
            await _retry.RunAsync("PutBucket", c => _client.PutBucketAsync(new PutBucketRequest { BucketName = Options.Bucket }, c), ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
        catch (AmazonServiceException e)
        {
            throw Describe(e, "creating bucket", Options.Bucket, key: null);
        }
    }

    public async Task<StorageResource> WriteAsync(Func<Stream, CancellationToken, Task> writeContent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        var key = Options.Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(ObjectNameBytes));
        var upload = new S3UploadStream(_client, _retry, Options.Bucket, key, Options.PartSize, Options.Parallelism);
        await using (upload.ConfigureAwait(false))
        {
            try
            {
                await writeContent(upload, ct).ConfigureAwait(false);
                await upload.CompleteAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                await upload.AbortAsync().ConfigureAwait(false);
                if (e is AmazonServiceException service) throw Describe(service, "uploading", Options.Bucket, key);
                throw;
            }
        }
        return new StorageResource
        {
            StorageType = Type,
            Filepath = key,
            Credentials = new Dictionary<string, string>
            {
                [CredentialKeys.Endpoint] = Options.Endpoint,
                [CredentialKeys.Bucket] = Options.Bucket,
                [CredentialKeys.AccessKey] = Options.AccessKey,
                [CredentialKeys.SecretKey] = Options.SecretKey,
                [CredentialKeys.Region] = Options.Region,
            },
        };
    }

    /// <exception cref="FileNotFoundException">No object under the resource's key.</exception>
    public async Task<Stream> OpenReadAsync(StorageResource resource, CancellationToken ct)
    {
        var key = KeyOf(resource);
        GetObjectMetadataResponse head;
        try
        {
            head = await _retry.RunAsync("HeadObject", c => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Options.Bucket, Key = key }, c), ct).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw Describe(e, "opening", Options.Bucket, key);
        }
        var length = head.ContentLength;
        if (length < 0) throw new IOException($"s3://{Options.Bucket}/{key}: HeadObject gave no Content-Length");
        return new S3DownloadStream(_client, _retry, Options.Bucket, key, length, head.ETag, Options.PartSize, Options.Parallelism);
    }

    public async Task DeleteAsync(StorageResource resource, CancellationToken ct)
    {
        var key = KeyOf(resource);
        try
        {
            await _retry.RunAsync("DeleteObject", c => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Options.Bucket, Key = key }, c), ct).ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
        }
        catch (AmazonServiceException e)
        {
            throw Describe(e, "deleting", Options.Bucket, key);
        }
    }

    /// <summary>
    /// Writes a small object under a name of the caller's choosing (<see cref="S3StorageOptions.Prefix"/> + <paramref name="name"/>),
    /// with the headers a web reader of the bucket gets back (e.g. the static transparency log's tiles and checkpoint).
    /// One PutObject: the object is replaced whole or not at all.
    /// </summary>
    public async Task PutNamedAsync(string name, ReadOnlyMemory<byte> data, string contentType, string cacheControl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = Options.Prefix + name;
        try
        {
            await _retry.RunAsync("PutObject", async c =>
            {
                using var body = new MemoryStream(data.ToArray(), writable: false);
                // Plain S3 servers (s3rver) store an aws-chunked body as it is: a plain signed body, as the uploads send.
                var request = new PutObjectRequest { BucketName = Options.Bucket, Key = key, InputStream = body, ContentType = contentType, AutoCloseStream = false, UseChunkEncoding = false };
                request.Headers.CacheControl = cacheControl;
                return await _client.PutObjectAsync(request, c).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw Describe(e, "writing", Options.Bucket, key);
        }
    }

    /// <summary>A small object written by <see cref="PutNamedAsync"/>, or null when there is none under that name.</summary>
    public async Task<byte[]?> ReadNamedAsync(string name, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = Options.Prefix + name;
        try
        {
            return await _retry.RunAsync("GetObject", async c =>
            {
                using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = Options.Bucket, Key = key }, c).ConfigureAwait(false);
                using var buffer = new MemoryStream();
                await response.ResponseStream.CopyToAsync(buffer, c).ConfigureAwait(false);
                return buffer.ToArray();
            }, ct).ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (AmazonServiceException e)
        {
            throw Describe(e, "reading", Options.Bucket, key);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The resource's key, after checking it is an S3 resource of this store's endpoint and bucket.</summary>
    private string KeyOf(StorageResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.StorageType != Type)
            throw new ArgumentException($"storage type '{resource.StorageType}' is not handled by the S3 store (expected '{Type}')", nameof(resource));
        var key = resource.Filepath;
        if (string.IsNullOrEmpty(key) || key.StartsWith('/') || key.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException($"filepath '{key}' is not an S3 object key", nameof(resource));
        if (resource.Credentials.TryGetValue(CredentialKeys.Bucket, out var bucket) && !string.IsNullOrEmpty(bucket) && bucket != Options.Bucket)
            throw new ArgumentException($"S3 resource '{key}' is in bucket '{bucket}', this store uses '{Options.Bucket}' (open it with S3BlobStore.ForResource)", nameof(resource));
        if (resource.Credentials.TryGetValue(CredentialKeys.Endpoint, out var endpoint) && !string.IsNullOrEmpty(endpoint)
            && !string.Equals(endpoint.TrimEnd('/'), Options.Endpoint.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"S3 resource '{key}' is at endpoint '{endpoint}', this store uses '{Options.Endpoint}' (open it with S3BlobStore.ForResource)", nameof(resource));
        return key;
    }

    private Exception Describe(AmazonServiceException e, string doing, string bucket, string? key)
    {
        var where = key is null ? $"bucket '{bucket}' at {Options.Endpoint}" : $"s3://{bucket}/{key} at {Options.Endpoint}";
        var what = S3Errors.Describe(e); // status and code only: the server's own text is never quoted
        return e.StatusCode == HttpStatusCode.NotFound && key is not null && e.ErrorCode != "NoSuchBucket"
            ? new FileNotFoundException($"object '{key}' not found in bucket '{bucket}' at {Options.Endpoint} ({doing}: {what})", key, e)
            : new IOException($"S3 error {doing} {where}: {what}", e);
    }

    /// <summary>The SDK's HTTP client over our handler (an endpoint policy's; fault injection in tests).</summary>
    private sealed class WrappingHttpClientFactory(Func<HttpMessageHandler> handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(handler(), disposeHandler: true)
            {
                Timeout = clientConfig.Timeout ?? TimeSpan.FromMinutes(5),
            };

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;
        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    }
}
