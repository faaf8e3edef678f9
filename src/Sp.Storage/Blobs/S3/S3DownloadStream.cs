using System.Collections.Concurrent;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sp.Storage.Blobs.S3;

/// <summary>
/// A read-only, forward-only stream over one S3 object of known length, fetched as ranged GETs of PartSize
/// bytes with up to Parallelism ranges in flight ahead of the reader. Each range is retried on its own on
/// transient errors (a connection reset mid-body refetches that range), and must match the ETag seen when the
/// object was opened. Memory is at most (Parallelism + 1) x min(PartSize, object size).
/// </summary>
internal sealed class S3DownloadStream : Stream
{
    private readonly IAmazonS3 _client;
    private readonly S3Retry _retry;
    private readonly string _bucket;
    private readonly string _key;
    private readonly long _length;
    private readonly string? _etag;
    private readonly int _rangeSize;
    private readonly int _parallelism;
    private readonly Queue<Task<byte[]>> _pending = new();
    private readonly ConcurrentStack<byte[]> _free = new();
    private readonly CancellationTokenSource _stop = new();
    private long _nextFetch;
    private long _position;
    private byte[]? _current;
    private int _currentLength;
    private int _currentOffset;
    private bool _disposed;

    public S3DownloadStream(IAmazonS3 client, S3Retry retry, string bucket, string key, long length, string? etag, int partSize, int parallelism)
    {
        _client = client;
        _retry = retry;
        _bucket = bucket;
        _key = key;
        _length = length;
        _etag = etag;
        _rangeSize = (int)Math.Max(1, Math.Min(partSize, length));
        _parallelism = parallelism;
        TopUp();
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (_current is null || _currentOffset == _currentLength)
        {
            if (NextRange() is not { } next) return 0;
            Accept(await next.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        return CopyOut(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (_current is null || _currentOffset == _currentLength)
        {
            if (NextRange() is not { } next) return 0;
            Accept(next.GetAwaiter().GetResult());
        }
        return CopyOut(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Recycles the exhausted range buffer and returns the next range's fetch, or null at the end.</summary>
    private Task<byte[]>? NextRange()
    {
        if (_current is not null)
        {
            _free.Push(_current);
            _current = null;
        }
        return _pending.TryDequeue(out var next) ? next : null;
    }

    private void Accept(byte[] range)
    {
        _current = range;
        _currentLength = (int)Math.Min(_rangeSize, _length - _position);
        _currentOffset = 0;
        TopUp();
    }

    private int CopyOut(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _currentLength - _currentOffset);
        _current.AsSpan(_currentOffset, n).CopyTo(destination);
        _currentOffset += n;
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Starts range fetches until <c>Parallelism</c> are queued ahead of the reader.</summary>
    private void TopUp()
    {
        while (_pending.Count < _parallelism && _nextFetch < _length)
        {
            var start = _nextFetch;
            var size = (int)Math.Min(_rangeSize, _length - start);
            _nextFetch += size;
            var buffer = _free.TryPop(out var b) ? b : GC.AllocateUninitializedArray<byte>(_rangeSize);
            _pending.Enqueue(Task.Run(() => FetchAsync(start, size, buffer), CancellationToken.None));
        }
    }

    private async Task<byte[]> FetchAsync(long start, int size, byte[] buffer)
    {
        var range = $"bytes {start}-{start + size - 1}";
        try
        {
            await _retry.RunAsync($"GetObject {range}", async c =>
            {
                var request = new GetObjectRequest { BucketName = _bucket, Key = _key, ByteRange = new ByteRange(start, start + size - 1) };
                if (_etag is not null) request.EtagToMatch = _etag;
                using var response = await _client.GetObjectAsync(request, c).ConfigureAwait(false);
                var body = response.ResponseStream;
                var read = await body.ReadAtLeastAsync(buffer.AsMemory(0, size), size, throwOnEndOfStream: false, c).ConfigureAwait(false);
                if (read != size)
                    throw new IOException($"s3://{_bucket}/{_key}: {range} ended after {read} of {size} bytes");
            }, _stop.Token).ConfigureAwait(false);
            return buffer;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"object '{_key}' disappeared from bucket '{_bucket}' while it was being read", _key, e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw new IOException($"object '{_key}' in bucket '{_bucket}' changed while it was being read ({S3Errors.Describe(e)})", e);
        }
        catch (AmazonServiceException e)
        {
            throw new IOException($"s3://{_bucket}/{_key}: reading {range} failed: {S3Errors.Describe(e)}", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel();
            // Fetches still running own their buffers (plain arrays, not pooled): they end on the cancellation.
            foreach (var t in _pending) _ = t.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            _pending.Clear();
            _current = null;
            _free.Clear();
        }
        base.Dispose(disposing);
    }
}
