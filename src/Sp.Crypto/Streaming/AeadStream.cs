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
public static class AeadStream
{
    /// <summary>Size of a file key in bytes.</summary>
    public const int KeySize = F.KeySize;

    /// <summary>A fresh random 32-byte file key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> to its end into <paramref name="ciphertext"/>, hashing the plaintext
    /// in the same pass. <paramref name="progress"/> receives the plaintext bytes done after each chunk.
    /// </summary>
    public static async Task<StreamResult> EncryptAsync(Stream plaintext, Stream ciphertext, byte[] key,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var encryptor = new AeadEncryptStream(ciphertext, key, progress, leaveOpen: true);
        await using (encryptor.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(F.ChunkSize);
            try
            {
                int n;
                while ((n = await plaintext.ReadAsync(buffer.AsMemory(0, F.ChunkSize), ct).ConfigureAwait(false)) > 0)
                    await encryptor.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }
            return await encryptor.CompleteAsync(ct).ConfigureAwait(false);
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
            throw AeadStreamException.NotAnSpStream($"it starts with \"{F.Describe(header.AsSpan(0, magicRead))}\"");
        if (headerRead < F.HeaderSize)
            throw AeadStreamException.NotAnSpStream($"the header is {headerRead} bytes, expected {F.HeaderSize}");

        var payloadKey = F.DerivePayloadKey(key, header.AsSpan(F.MagicSize, F.SaltSize));
        using var aes = new AesGcm(payloadKey, F.TagSize);
        CryptographicOperations.ZeroMemory(payloadKey);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var pool = ArrayPool<byte>.Shared;
        byte[] current = pool.Rent(F.CiphertextChunkSize), next = pool.Rent(F.CiphertextChunkSize);
        byte[][] plainBuffers = [pool.Rent(F.ChunkSize), pool.Rent(F.ChunkSize)];
        var nonce = new byte[F.NonceSize];
        var pendingWrite = ValueTask.CompletedTask;
        try
        {
            long total = 0;
            var plainIndex = 0;
            var currentLength = await ReadChunkAsync(ciphertext, current, ct).ConfigureAwait(false);
            for (long counter = 0; ; counter++)
            {
                if (currentLength < F.TagSize)
                    throw counter == 0 && currentLength == 0
                        ? new AeadStreamException("truncated: the stream ends after the header, with no chunks")
                        : AeadStreamException.TruncatedInChunk(counter, currentLength);

                var nextLength = 0;
                if (currentLength == F.CiphertextChunkSize)
                    nextLength = await ReadChunkAsync(ciphertext, next, ct).ConfigureAwait(false);
                var last = nextLength == 0;

                var outputLength = OpenChunk(aes, nonce, counter, last, current.AsSpan(0, currentLength), plainBuffers[plainIndex], header);
                var output = plainBuffers[plainIndex].AsMemory(0, outputLength);
                sha256.AppendData(output.Span);
                total += outputLength;
                var previousWrite = pendingWrite;
                pendingWrite = ValueTask.CompletedTask; // awaited once, here, even if it throws
                await previousWrite.ConfigureAwait(false);
                pendingWrite = plaintext.WriteAsync(output, ct);
                plainIndex ^= 1;
                progress?.Report(total);

                if (last) break;
                (current, next) = (next, current);
                currentLength = nextLength;
            }
            var pending = pendingWrite;
            pendingWrite = ValueTask.CompletedTask;
            await pending.ConfigureAwait(false);
            await plaintext.FlushAsync(ct).ConfigureAwait(false);
            return new StreamResult(sha256.GetHashAndReset(), total);
        }
        finally
        {
            // A write may still be reading a plaintext buffer: let it finish before the buffer goes back.
            try { await pendingWrite.ConfigureAwait(false); }
            catch (Exception) { /* the operation is already failing with a better error */ }
            pool.Return(current);
            pool.Return(next);
            foreach (var b in plainBuffers) pool.Return(b, clearArray: true);
        }
    }

    /// <summary>Opens one chunk into <paramref name="plainBuffer"/>; returns the plaintext length or throws saying why not.</summary>
    private static int OpenChunk(AesGcm aes, byte[] nonce, long counter, bool last, ReadOnlySpan<byte> sealedChunk,
        byte[] plainBuffer, byte[] header)
    {
        var output = plainBuffer.AsSpan(0, sealedChunk.Length - F.TagSize);
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

    /// <summary>Reads a whole ciphertext chunk, or what is left of the stream if shorter.</summary>
    private static ValueTask<int> ReadChunkAsync(Stream source, byte[] buffer, CancellationToken ct) =>
        source.ReadAtLeastAsync(buffer.AsMemory(0, F.CiphertextChunkSize), F.CiphertextChunkSize, throwOnEndOfStream: false, ct);
}
