using System.Buffers;
using System.Security.Cryptography;
using F = Sp.Crypto.Streaming.AeadStreamFormat;

namespace Sp.Crypto.Streaming;

/// <summary>
/// A write-only stream that encrypts what is written to it into the SP stream format
/// (docs/formats-stream.md), hashing the plaintext as it goes. For producers that push bytes, such as a
/// <see cref="System.Formats.Tar.TarWriter"/>. Call <see cref="CompleteAsync"/> to write the final chunk:
/// disposing without completing leaves a stream that decryption reports as truncated, on purpose, so a
/// failed producer never yields a valid-looking short ciphertext.
/// </summary>
/// <remarks>
/// Memory is constant: one plaintext chunk buffer and two ciphertext chunk buffers from the shared pool.
/// The write of chunk i overlaps reading and encrypting chunk i+1. A full chunk is encrypted only once more
/// data arrives, because only then is it known not to be the final one.
/// </remarks>
public sealed class AeadEncryptStream : Stream
{
    private readonly Stream _ciphertext;
    private readonly bool _leaveOpen;
    private readonly IProgress<long>? _progress;
    private readonly AesGcm _aes;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _header = new byte[F.HeaderSize];
    private readonly byte[] _nonce = new byte[F.NonceSize];
    private byte[]? _plaintext = ArrayPool<byte>.Shared.Rent(F.ChunkSize);
    private readonly byte[][] _chunks = [ArrayPool<byte>.Shared.Rent(F.CiphertextChunkSize), ArrayPool<byte>.Shared.Rent(F.CiphertextChunkSize)];
    private int _plaintextLength;
    private int _nextChunkBuffer;
    private ValueTask _pendingWrite = ValueTask.CompletedTask;
    private bool _headerWritten;
    private long _counter;
    private long _total;
    private StreamResult? _result;
    private bool _disposed;

    public AeadEncryptStream(Stream ciphertext, byte[] key, IProgress<long>? progress = null, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        F.ValidateKey(key);
        if (!ciphertext.CanWrite) throw new ArgumentException("the ciphertext stream must be writable", nameof(ciphertext));
        _ciphertext = ciphertext;
        _leaveOpen = leaveOpen;
        _progress = progress;
        F.Magic.CopyTo(_header);
        RandomNumberGenerator.Fill(_header.AsSpan(F.MagicSize, F.SaltSize));
        var payloadKey = F.DerivePayloadKey(key, _header.AsSpan(F.MagicSize, F.SaltSize));
        try { _aes = new AesGcm(payloadKey, F.TagSize); }
        finally { CryptographicOperations.ZeroMemory(payloadKey); }
    }

    /// <summary>Plaintext bytes accepted so far.</summary>
    public long PlaintextBytes => _total + _plaintextLength;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_disposed && _result is null;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => PlaintextBytes; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        while (!buffer.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_plaintextLength == F.ChunkSize)
                await EmitChunkAsync(last: false, cancellationToken).ConfigureAwait(false);
            var taken = Fill(buffer.Span);
            buffer = buffer[taken..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureWritable();
        while (!buffer.IsEmpty)
        {
            if (_plaintextLength == F.ChunkSize)
                EmitChunkSync(last: false);
            buffer = buffer[Fill(buffer)..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Encrypts the final chunk, waits for every write, flushes, and returns the plaintext digest and size.</summary>
    public async Task<StreamResult> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_result is { } done) return done;
        EnsureWritable();
        await EmitChunkAsync(last: true, cancellationToken).ConfigureAwait(false);
        await AwaitPendingAsync().ConfigureAwait(false);
        await _ciphertext.FlushAsync(cancellationToken).ConfigureAwait(false);
        var result = new StreamResult(_sha256.GetHashAndReset(), _total);
        _result = result;
        return result;
    }

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private int Fill(ReadOnlySpan<byte> source)
    {
        var n = Math.Min(source.Length, F.ChunkSize - _plaintextLength);
        source[..n].CopyTo(_plaintext.AsSpan(_plaintextLength));
        _plaintextLength += n;
        return n;
    }

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_result is not null) throw new InvalidOperationException("the stream was already completed");
    }

    /// <summary>Encrypts the buffered plaintext into the next free ciphertext buffer; returns its length.</summary>
    private ReadOnlyMemory<byte> SealChunk(bool last)
    {
        var plaintext = _plaintext.AsSpan(0, _plaintextLength);
        var chunk = _chunks[_nextChunkBuffer];
        _sha256.AppendData(plaintext);
        F.WriteNonce(_nonce, _counter, last);
        _aes.Encrypt(_nonce, plaintext, chunk.AsSpan(0, plaintext.Length), chunk.AsSpan(plaintext.Length, F.TagSize), _header);
        var sealedLength = plaintext.Length + F.TagSize;
        _total += plaintext.Length;
        _plaintextLength = 0;
        _counter++;
        _nextChunkBuffer ^= 1;
        return chunk.AsMemory(0, sealedLength);
    }

    private async ValueTask EmitChunkAsync(bool last, CancellationToken cancellationToken)
    {
        // The previous write used the other buffer; SealChunk fills the free one while it may still run.
        var chunk = SealChunk(last);
        await AwaitPendingAsync().ConfigureAwait(false);
        if (!_headerWritten)
        {
            await _ciphertext.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
            _headerWritten = true;
        }
        // Held, not awaited: the next chunk is encrypted while this one is written; awaited exactly once (AwaitPendingAsync).
#pragma warning disable CA2012
        _pendingWrite = _ciphertext.WriteAsync(chunk, cancellationToken);
#pragma warning restore CA2012
        _progress?.Report(_total);
    }

    private void EmitChunkSync(bool last)
    {
        var chunk = SealChunk(last);
        AwaitPendingSync();
        if (!_headerWritten)
        {
            _ciphertext.Write(_header);
            _headerWritten = true;
        }
        _ciphertext.Write(chunk.Span);
        _progress?.Report(_total);
    }

    private async ValueTask AwaitPendingAsync()
    {
        var pending = _pendingWrite;
        _pendingWrite = ValueTask.CompletedTask;
        await pending.ConfigureAwait(false);
    }

    private void AwaitPendingSync()
    {
        var pending = _pendingWrite;
        _pendingWrite = ValueTask.CompletedTask;
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            try { AwaitPendingSync(); }
            catch (Exception) { /* the failed write was already seen, or the stream is being abandoned */ }
            finally { Release(); }
            if (!_leaveOpen) _ciphertext.Dispose();
        }
        base.Dispose(disposing);
    }

    // Not base.DisposeAsync(): it would call Dispose(), which finishes the stream synchronously; this is the async twin.
#pragma warning disable CA2215
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            try { await AwaitPendingAsync().ConfigureAwait(false); }
            catch (Exception) { /* as in Dispose */ }
            finally { Release(); }
            if (!_leaveOpen) await _ciphertext.DisposeAsync().ConfigureAwait(false);
        }
        GC.SuppressFinalize(this);
    }
#pragma warning restore CA2215

    private void Release()
    {
        _disposed = true;
        _aes.Dispose();
        _sha256.Dispose();
        if (_plaintext is { } p) ArrayPool<byte>.Shared.Return(p, clearArray: true);
        _plaintext = null;
        foreach (var c in _chunks) ArrayPool<byte>.Shared.Return(c);
    }
}
