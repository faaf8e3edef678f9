using System.Buffers;
using System.Security.Cryptography;
using F = Sp.Crypto.Streaming.AeadStreamFormat;

namespace Sp.Crypto.Streaming;

/// <summary>The plaintext's SHA-256 and length, computed in the same pass as encryption or decryption.</summary>
public readonly record struct StreamResult(byte[] PlaintextSha256, long PlaintextSize);

/// <summary>
/// Authenticated streaming encryption: the STREAM construction of age's payload over AES-256-GCM
/// (format in docs/formats-stream.md). 64 KiB plaintext chunks, each sealed with
/// nonce = 11-byte big-endian counter || last-chunk flag and the 24-byte header as associated data, so
/// reordering, truncation, trailing data and header edits are all detected.
/// </summary>
/// <remarks>
/// Both directions are a two-stage pipeline over 1 MiB blocks (16 chunks), so the two expensive steps run on
/// two cores at once. Encryption: the caller's task reads and hashes block i+1 while a pool thread seals and
/// writes block i. Decryption: the caller's task reads and opens (authenticates) block i+1 while a pool thread
/// hashes and writes block i. Memory is a handful of 1 MiB buffers whatever the stream's length; the bytes on
/// the wire are the same as chunk-at-a-time processing.
/// </remarks>
public static class AeadStream
{
    /// <summary>Size of a file key in bytes.</summary>
    public const int KeySize = F.KeySize;

    /// <summary>Chunks per pipeline block: 16 x 64 KiB = 1 MiB of plaintext per read and write.</summary>
    internal const int BlockChunks = 16;
    internal const int PlainBlockSize = BlockChunks * F.ChunkSize;
    internal const int SealedBlockSize = BlockChunks * F.CiphertextChunkSize;

    /// <summary>A fresh random 32-byte file key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> to its end into <paramref name="ciphertext"/>, hashing the plaintext
    /// in the same pass. <paramref name="progress"/> receives the plaintext bytes done after each block.
    /// </summary>
    public static async Task<StreamResult> EncryptAsync(Stream plaintext, Stream ciphertext, byte[] key,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(ciphertext);
        F.ValidateKey(key);
        if (!ciphertext.CanWrite) throw new ArgumentException("the ciphertext stream must be writable", nameof(ciphertext));

        var sealer = new BlockSealer(ciphertext, key, progress);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var pool = ArrayPool<byte>.Shared;
        // Three plaintext blocks rotate: one being read, one held until we know whether it is the last, one sealing.
        byte[][] blocks = [pool.Rent(PlainBlockSize), pool.Rent(PlainBlockSize), pool.Rent(PlainBlockSize)];
        var stage = Task.CompletedTask;
        try
        {
            long total = 0;
            var pending = -1;
            var pendingLength = 0;
            for (var index = 0; ; index = (index + 1) % blocks.Length)
            {
                var block = blocks[index];
                var n = await plaintext.ReadAtLeastAsync(block.AsMemory(0, PlainBlockSize), PlainBlockSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                sha256.AppendData(block, 0, n);
                total += n;
                if (pending >= 0)
                {
                    // A full block is the last one only if nothing follows it.
                    var pendingIsLast = n == 0;
                    await stage.ConfigureAwait(false);
                    stage = sealer.SealAndWriteAsync(blocks[pending], pendingLength, pendingIsLast, ct);
                    pending = -1;
                    if (pendingIsLast) break;
                }
                if (n < PlainBlockSize)
                {
                    // The stream ended inside this block (or, for empty plaintext, before it): it is the last.
                    await stage.ConfigureAwait(false);
                    stage = sealer.SealAndWriteAsync(block, n, last: true, ct);
                    break;
                }
                pending = index;
                pendingLength = n;
            }
            var final = stage;
            stage = Task.CompletedTask;
            await final.ConfigureAwait(false);
            await ciphertext.FlushAsync(ct).ConfigureAwait(false);
            return new StreamResult(sha256.GetHashAndReset(), total);
        }
        finally
        {
            // The sealing stage may still read a block: let it finish before the blocks go back to the pool.
            try { await stage.ConfigureAwait(false); }
            catch (Exception) { /* the operation is already failing with a better error */ }
            sealer.Dispose();
            foreach (var b in blocks) pool.Return(b, clearArray: true);
        }
    }

    /// <summary>
    /// Decrypts and authenticates <paramref name="ciphertext"/> into <paramref name="plaintext"/>. Each chunk is
    /// written only after it authenticates, but a later failure leaves the earlier chunks written: the caller
    /// discards the output when this throws.
    /// </summary>
    /// <exception cref="AeadStreamException">Not an SP stream, a chunk fails authentication, truncation, trailing data.</exception>
    public static async Task<StreamResult> DecryptAsync(Stream ciphertext, Stream plaintext, byte[] key,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(plaintext);
        F.ValidateKey(key);

        var header = new byte[F.HeaderSize];
        var headerRead = await ciphertext.ReadAtLeastAsync(header, F.HeaderSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        var magicRead = Math.Min(headerRead, F.MagicSize);
        if (!header.AsSpan(0, magicRead).SequenceEqual(F.Magic[..magicRead]) || headerRead < F.MagicSize)
            // Never quote the bytes: they are a download's, and messages end up in logs and public order statuses.
            throw AeadStreamException.NotAnSpStream(headerRead == 0 ? "it is empty" : $"its first {magicRead} bytes are not the magic");
        if (headerRead < F.HeaderSize)
            throw AeadStreamException.NotAnSpStream($"the header is {headerRead} bytes, expected {F.HeaderSize}");

        var payloadKey = F.DerivePayloadKey(key, header.AsSpan(F.MagicSize, F.SaltSize));
        using var aes = new AesGcm(payloadKey, F.TagSize);
        CryptographicOperations.ZeroMemory(payloadKey);
        var writer = new BlockWriter(plaintext, progress);

        var pool = ArrayPool<byte>.Shared;
        byte[] current = pool.Rent(SealedBlockSize), next = pool.Rent(SealedBlockSize);
        byte[][] plainBlocks = [pool.Rent(PlainBlockSize), pool.Rent(PlainBlockSize)];
        var nonce = new byte[F.NonceSize];
        var stage = Task.CompletedTask;
        try
        {
            long counter = 0;
            var plainIndex = 0;
            var currentLength = await ReadBlockAsync(ciphertext, current, ct).ConfigureAwait(false);
            if (currentLength == 0)
                throw new AeadStreamException("truncated: the stream ends after the header, with no chunks");
            while (true)
            {
                // A block shorter than full ends the stream; after a full one, look ahead to know.
                var nextLength = currentLength == SealedBlockSize
                    ? await ReadBlockAsync(ciphertext, next, ct).ConfigureAwait(false)
                    : 0;
                var streamEnds = nextLength == 0;

                var output = plainBlocks[plainIndex];
                var outputLength = 0;
                for (var offset = 0; offset < currentLength; offset += F.CiphertextChunkSize)
                {
                    var length = Math.Min(F.CiphertextChunkSize, currentLength - offset);
                    if (length < F.TagSize) throw AeadStreamException.TruncatedInChunk(counter, length);
                    var last = streamEnds && offset + length == currentLength;
                    try
                    {
                        outputLength += OpenChunk(aes, nonce, counter, last, current.AsSpan(offset, length), output.AsSpan(outputLength), header);
                    }
                    catch (AeadStreamException) when (outputLength > 0)
                    {
                        // Release the chunks of this block that did authenticate, as chunk-at-a-time decryption would.
                        await stage.ConfigureAwait(false);
                        stage = Task.CompletedTask;
                        await writer.HashAndWriteAsync(output, outputLength, ct).ConfigureAwait(false);
                        throw;
                    }
                    counter++;
                }

                await stage.ConfigureAwait(false);
                stage = writer.HashAndWriteAsync(output, outputLength, ct);
                plainIndex ^= 1;
                if (streamEnds) break;
                (current, next) = (next, current);
                currentLength = nextLength;
            }
            var final = stage;
            stage = Task.CompletedTask;
            await final.ConfigureAwait(false);
            await plaintext.FlushAsync(ct).ConfigureAwait(false);
            return new StreamResult(writer.Finish(), writer.Total);
        }
        finally
        {
            // The writing stage may still read a plaintext block: let it finish before the block goes back.
            try { await stage.ConfigureAwait(false); }
            catch (Exception) { /* the operation is already failing with a better error */ }
            writer.Dispose();
            pool.Return(current);
            pool.Return(next);
            foreach (var b in plainBlocks) pool.Return(b, clearArray: true);
        }
    }

    /// <summary>Reports the running total at the end of each chunk of a block just written; returns the new total.</summary>
    private static long ReportChunks(IProgress<long>? progress, long before, int blockLength)
    {
        var after = before + blockLength;
        if (progress is null) return after;
        for (var done = before + F.ChunkSize; done < after; done += F.ChunkSize) progress.Report(done);
        progress.Report(after);
        return after;
    }

    /// <summary>The encryption pipeline's second stage: seals blocks into chunks and writes them, one block at a time.</summary>
    private sealed class BlockSealer : IDisposable
    {
        private readonly Stream _ciphertext;
        private readonly IProgress<long>? _progress;
        private readonly AesGcm _aes;
        private readonly byte[] _header = new byte[F.HeaderSize];
        private readonly byte[] _nonce = new byte[F.NonceSize];
        private byte[]? _sealed = ArrayPool<byte>.Shared.Rent(F.HeaderSize + SealedBlockSize);
        private long _counter;
        private long _done;

        public BlockSealer(Stream ciphertext, byte[] key, IProgress<long>? progress)
        {
            _ciphertext = ciphertext;
            _progress = progress;
            F.Magic.CopyTo(_header);
            RandomNumberGenerator.Fill(_header.AsSpan(F.MagicSize, F.SaltSize));
            var payloadKey = F.DerivePayloadKey(key, _header.AsSpan(F.MagicSize, F.SaltSize));
            try { _aes = new AesGcm(payloadKey, F.TagSize); }
            finally { CryptographicOperations.ZeroMemory(payloadKey); }
        }

        /// <summary>Seals <paramref name="length"/> bytes of <paramref name="block"/> on a pool thread and writes them.</summary>
        public Task SealAndWriteAsync(byte[] block, int length, bool last, CancellationToken ct) =>
            Task.Run(async () =>
            {
                var output = _sealed!;
                var written = 0;
                if (_counter == 0)
                {
                    _header.CopyTo(output, 0); // the header goes out with the first block
                    written = F.HeaderSize;
                }
                var offset = 0;
                do
                {
                    var n = Math.Min(F.ChunkSize, length - offset);
                    var isLast = last && offset + n == length;
                    F.WriteNonce(_nonce, _counter, isLast);
                    _aes.Encrypt(_nonce, block.AsSpan(offset, n), output.AsSpan(written, n), output.AsSpan(written + n, F.TagSize), _header);
                    written += n + F.TagSize;
                    offset += n;
                    _counter++;
                } while (offset < length);
                await _ciphertext.WriteAsync(output.AsMemory(0, written), ct).ConfigureAwait(false);
                _done = ReportChunks(_progress, _done, length);
            }, ct);

        public void Dispose()
        {
            _aes.Dispose();
            if (_sealed is { } b) ArrayPool<byte>.Shared.Return(b);
            _sealed = null;
        }
    }

    /// <summary>The decryption pipeline's second stage: hashes authenticated plaintext blocks and writes them.</summary>
    private sealed class BlockWriter(Stream plaintext, IProgress<long>? progress) : IDisposable
    {
        private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Total { get; private set; }

        public Task HashAndWriteAsync(byte[] block, int length, CancellationToken ct) =>
            Task.Run(async () =>
            {
                _sha256.AppendData(block, 0, length);
                if (length > 0) await plaintext.WriteAsync(block.AsMemory(0, length), ct).ConfigureAwait(false);
                Total = ReportChunks(progress, Total, length);
            }, ct);

        public byte[] Finish() => _sha256.GetHashAndReset();

        public void Dispose() => _sha256.Dispose();
    }

    /// <summary>Opens one chunk into <paramref name="plainBuffer"/>; returns the plaintext length or throws saying why not.</summary>
    private static int OpenChunk(AesGcm aes, byte[] nonce, long counter, bool last, ReadOnlySpan<byte> sealedChunk,
        Span<byte> plainBuffer, byte[] header)
    {
        var output = plainBuffer[..(sealedChunk.Length - F.TagSize)];
        if (!TryOpen(aes, nonce, counter, last, sealedChunk, output, header))
        {
            // Tell truncation and trailing data apart from corruption: does the chunk open with the other flag?
            if (sealedChunk.Length == F.CiphertextChunkSize && TryOpen(aes, nonce, counter, !last, sealedChunk, output, header))
                throw last ? AeadStreamException.TruncatedAtBoundary(counter) : AeadStreamException.TrailingData(counter);
            throw AeadStreamException.AuthenticationFailed(counter);
        }
        if (last && output.Length == 0 && counter > 0)
            throw AeadStreamException.EmptyFinalChunk(counter);
        return output.Length;
    }

    private static bool TryOpen(AesGcm aes, byte[] nonce, long counter, bool last, ReadOnlySpan<byte> sealedChunk,
        Span<byte> output, byte[] header)
    {
        F.WriteNonce(nonce, counter, last);
        try
        {
            aes.Decrypt(nonce, sealedChunk[..^F.TagSize], sealedChunk[^F.TagSize..], output, header);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    /// <summary>Reads a whole block of sealed chunks, or what is left of the stream if shorter.</summary>
    private static ValueTask<int> ReadBlockAsync(Stream source, byte[] buffer, CancellationToken ct) =>
        source.ReadAtLeastAsync(buffer.AsMemory(0, SealedBlockSize), SealedBlockSize, throwOnEndOfStream: false, ct);
}
