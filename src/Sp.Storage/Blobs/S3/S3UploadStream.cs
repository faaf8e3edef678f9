using System.Collections.Concurrent;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sp.Storage.Blobs.S3;

/// <summary>
/// A write-only stream that uploads to one S3 key. Bytes fill a part buffer; each full buffer is uploaded as a
/// multipart part on the thread pool while the next fills, with at most <c>Parallelism</c> parts in flight, so
/// memory is at most (Parallelism + 1) x PartSize whatever the object's size. An object smaller than one part
/// is sent with a single PutObject at <see cref="CompleteAsync"/>. Nothing becomes visible under the key until
/// <see cref="CompleteAsync"/> succeeds; <see cref="AbortAsync"/> discards the uploaded parts.
/// </summary>
internal sealed class S3UploadStream : Stream
{
    private readonly IAmazonS3 _client;
    private readonly S3Retry _retry;
    private readonly string _bucket;
    private readonly string _key;
    private readonly int _partSize;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentStack<byte[]> _free = new();
    private readonly ConcurrentDictionary<int, string> _etags = new();
    private readonly List<Task> _inFlight = [];
    private byte[]? _current;
    private int _filled;
    private int _partCount;
    private long _length;
    private string? _uploadId;
    private Exception? _failure;
    private bool _finished;

    public S3UploadStream(IAmazonS3 client, S3Retry retry, string bucket, string key, int partSize, int parallelism)
    {
        _client = client;
        _retry = retry;
        _bucket = bucket;
        _key = key;
        _partSize = partSize;
        _slots = new SemaphoreSlim(parallelism, parallelism);
    }

    /// <summary>Number of part buffers allocated so far (at most Parallelism + 1): for tests of the memory bound.</summary>
    internal int BuffersAllocated { get; private set; }

    /// <summary>The multipart upload id, once one was started.</summary>
    internal string? UploadId => _uploadId;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_finished;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        while (!buffer.IsEmpty)
        {
            _current ??= TakeBuffer();
            var n = Math.Min(buffer.Length, _partSize - _filled);
            buffer.Span[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            _length += n;
            buffer = buffer[n..];
            if (_filled == _partSize)
                await DispatchCurrentAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // Synchronous producers (a TarWriter) block only when a part is handed over.
        EnsureWritable();
        while (!buffer.IsEmpty)
        {
            _current ??= TakeBuffer();
            var n = Math.Min(buffer.Length, _partSize - _filled);
            buffer[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            _length += n;
            buffer = buffer[n..];
            if (_filled == _partSize)
                DispatchCurrentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Uploads what is buffered and makes the object visible under its key.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        EnsureWritable();
        if (_uploadId is null)
        {
            // The whole object fits in one part: one PutObject, no multipart upload.
            var body = _current ?? [];
            var length = _filled;
            await _retry.RunAsync("PutObject", async c =>
            {
                using var content = new MemoryStream(body, 0, length, writable: false);
                await _client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = _key,
                    InputStream = content,
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                }, c).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        else
        {
            if (_filled > 0) await DispatchCurrentAsync(ct).ConfigureAwait(false);
            await Task.WhenAll(_inFlight).ConfigureAwait(false);
            ThrowIfFailed();
            var parts = _etags.OrderBy(p => p.Key).Select(p => new PartETag(p.Key, p.Value)).ToList();
            await _retry.RunAsync("CompleteMultipartUpload", c => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = _key,
                UploadId = _uploadId,
                PartETags = parts,
            }, c), ct).ConfigureAwait(false);
        }
        _finished = true;
        ReleaseBuffers();
    }

    /// <summary>Stops, waits for the parts in flight, and aborts the multipart upload (best effort, never throws).</summary>
    public async Task AbortAsync()
    {
        _finished = true;
        try { await Task.WhenAll(_inFlight).ConfigureAwait(false); }
        catch (Exception) { /* the failure is already being reported */ }
        if (_uploadId is { } id)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = _key, UploadId = id }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception) { /* the server reclaims abandoned uploads by its own lifecycle rules */ }
        }
        ReleaseBuffers();
    }

    private async ValueTask DispatchCurrentAsync(CancellationToken ct)
    {
        ThrowIfFailed();
        var partNumber = _partCount + 1;
        if (partNumber > S3StorageOptions.MaxParts)
            throw new IOException($"s3://{_bucket}/{_key}: the object needs more than {S3StorageOptions.MaxParts} parts of {_partSize} bytes; raise s3 partSize");
        if (_uploadId is null)
        {
            var created = await _retry.RunAsync("CreateMultipartUpload", c => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = _key }, c), ct).ConfigureAwait(false);
            _uploadId = created.UploadId ?? throw new IOException($"s3://{_bucket}/{_key}: CreateMultipartUpload returned no upload id");
        }
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        ThrowIfFailed();
        var buffer = _current!;
        var length = _filled;
        _current = null;
        _filled = 0;
        _partCount = partNumber;
        _inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
        _inFlight.Add(Task.Run(() => UploadPartAsync(partNumber, buffer, length, ct), CancellationToken.None));
    }

    private async Task UploadPartAsync(int partNumber, byte[] buffer, int length, CancellationToken ct)
    {
        try
        {
            var response = await _retry.RunAsync($"UploadPart {partNumber}", async c =>
            {
                using var content = new MemoryStream(buffer, 0, length, writable: false);
                return await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = _key,
                    UploadId = _uploadId,
                    PartNumber = partNumber,
                    PartSize = length,
                    InputStream = content,
                    UseChunkEncoding = false,
                }, c).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            _etags[partNumber] = response.ETag ?? throw new IOException($"s3://{_bucket}/{_key}: part {partNumber} was stored without an ETag");
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            throw;
        }
        finally
        {
            _free.Push(buffer);
            _slots.Release();
        }
    }

    private byte[] TakeBuffer()
    {
        if (_free.TryPop(out var b)) return b;
        BuffersAllocated++;
        return GC.AllocateUninitializedArray<byte>(_partSize);
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } e)
            throw new IOException($"s3://{_bucket}/{_key}: uploading a part failed: {S3Errors.Describe(e)}", e);
    }

    private void EnsureWritable()
    {
        if (_finished) throw new InvalidOperationException($"the upload of s3://{_bucket}/{_key} is already finished");
    }

    private void ReleaseBuffers()
    {
        _current = null;
        _free.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished) AbortAsync().GetAwaiter().GetResult();
        if (disposing) _slots.Dispose();
        base.Dispose(disposing);
    }

    // Not base.DisposeAsync(): it would call Dispose(), which finishes the stream synchronously; this is the async twin.
#pragma warning disable CA2215
    public override async ValueTask DisposeAsync()
    {
        if (!_finished) await AbortAsync().ConfigureAwait(false);
        _slots.Dispose();
        GC.SuppressFinalize(this);
    }
#pragma warning restore CA2215
}
