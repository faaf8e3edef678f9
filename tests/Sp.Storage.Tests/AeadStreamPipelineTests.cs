using System.Buffers.Binary;
using System.Security.Cryptography;
using Sp.Crypto.Streaming;

namespace Sp.Storage.Tests;

/// <summary>
/// The 1 MiB-block pipeline of <see cref="AeadStream"/> around its block boundaries: the bytes must be exactly the
/// chunk-at-a-time format of docs/formats-stream.md, checked here by opening every chunk with AesGcm directly,
/// and tampering at a block boundary must be caught like anywhere else.
/// </summary>
public sealed class AeadStreamPipelineTests
{
    private const int Chunk = 65_536;
    private const int Tag = 16;
    private const int Header = 24;
    private const int Sealed = Chunk + Tag;
    private const int Block = 16 * Chunk;
    private const int SealedBlock = 16 * Sealed;

    public static TheoryData<int> Sizes => [0, 1, Chunk, Block - 1, Block, Block + 1, 2 * Block, 2 * Block + Chunk + 5, 3 * Block - Chunk];

    private static byte[] Plaintext(int n)
    {
        var b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    /// <summary>Opens a stream by the spec alone: HKDF payload key, counter nonces, the final flag on the last chunk only.</summary>
    private static byte[] OpenBySpec(byte[] stream, byte[] fileKey)
    {
        Assert.Equal("SPAEAD1\n"u8.ToArray(), stream[..8]);
        var payloadKey = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, fileKey, payloadKey, stream.AsSpan(8, 16), "sp payload v1"u8);
        using var aes = new AesGcm(payloadKey, Tag);
        var output = new MemoryStream();
        var nonce = new byte[12];
        var offset = Header;
        for (long i = 0; offset < stream.Length; i++)
        {
            var length = Math.Min(Sealed, stream.Length - offset);
            var last = offset + length == stream.Length;
            BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(3), (ulong)i);
            nonce[11] = last ? (byte)1 : (byte)0;
            var plain = new byte[length - Tag];
            aes.Decrypt(nonce, stream.AsSpan(offset, length - Tag), stream.AsSpan(offset + length - Tag, Tag), plain, stream.AsSpan(0, Header));
            output.Write(plain);
            offset += length;
        }
        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Pipeline_Output_Is_The_Chunked_Format(int size)
    {
        var key = AeadStream.NewKey();
        var plaintext = Plaintext(size);
        var ciphertext = new MemoryStream();
        var result = await AeadStream.EncryptAsync(new MemoryStream(plaintext), ciphertext, key);

        var chunks = size == 0 ? 1 : (size + Chunk - 1) / Chunk;
        Assert.Equal(Header + size + (long)chunks * Tag, ciphertext.Length);
        Assert.Equal(plaintext, OpenBySpec(ciphertext.ToArray(), key));
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256);
        Assert.Equal(size, result.PlaintextSize);

        // And the pipeline decrypts what the push-style encryptor (chunk at a time) wrote.
        var pushed = new MemoryStream();
        await using (var encryptor = new AeadEncryptStream(pushed, key))
        {
            await encryptor.WriteAsync(plaintext);
            await encryptor.CompleteAsync();
        }
        var decrypted = new MemoryStream();
        var back = await AeadStream.DecryptAsync(new MemoryStream(pushed.ToArray()), decrypted, key);
        Assert.Equal(plaintext, decrypted.ToArray());
        Assert.Equal(SHA256.HashData(plaintext), back.PlaintextSha256);
    }

    [Fact]
    public async Task Reads_Of_Any_Size_Give_The_Same_Result()
    {
        var key = AeadStream.NewKey();
        var plaintext = Plaintext(2 * Block + 3);
        var ciphertext = new MemoryStream();
        await AeadStream.EncryptAsync(new TrickleStream(plaintext, 7_777), ciphertext, key);
        var output = new MemoryStream();
        await AeadStream.DecryptAsync(new TrickleStream(ciphertext.ToArray(), 4_099), output, key);
        Assert.Equal(plaintext, output.ToArray());
    }

    [Fact]
    public async Task Cut_At_A_Block_Boundary_Is_Truncation()
    {
        var key = AeadStream.NewKey();
        var ciphertext = new MemoryStream();
        await AeadStream.EncryptAsync(new MemoryStream(Plaintext(2 * Block + 10)), ciphertext, key);
        var cut = ciphertext.ToArray()[..(Header + SealedBlock)];
        var e = await Assert.ThrowsAsync<AeadStreamException>(() => AeadStream.DecryptAsync(new MemoryStream(cut), Stream.Null, key));
        Assert.Equal("truncated: chunk 15 is not marked as the final chunk but the stream ends after it", e.Message);
    }

    [Fact]
    public async Task A_Whole_Stream_Followed_By_Bytes_Is_Trailing_Data_At_The_Boundary()
    {
        var key = AeadStream.NewKey();
        var ciphertext = new MemoryStream();
        await AeadStream.EncryptAsync(new MemoryStream(Plaintext(Block)), ciphertext, key);
        byte[] extended = [.. ciphertext.ToArray(), .. new byte[Sealed]];
        var e = await Assert.ThrowsAsync<AeadStreamException>(() => AeadStream.DecryptAsync(new MemoryStream(extended), Stream.Null, key));
        Assert.Equal("trailing data: bytes follow the final chunk 15", e.Message);
    }

    [Fact]
    public async Task Blocks_Swapped_Fail_At_The_First_Moved_Chunk_And_Only_Good_Chunks_Are_Written()
    {
        var key = AeadStream.NewKey();
        var ciphertext = new MemoryStream();
        await AeadStream.EncryptAsync(new MemoryStream(Plaintext(3 * Block)), ciphertext, key);
        var bytes = ciphertext.ToArray();
        var swapped = (byte[])bytes.Clone();
        bytes.AsSpan(Header + 20 * Sealed, Sealed).CopyTo(swapped.AsSpan(Header + 21 * Sealed));
        bytes.AsSpan(Header + 21 * Sealed, Sealed).CopyTo(swapped.AsSpan(Header + 20 * Sealed));
        var output = new MemoryStream();
        var e = await Assert.ThrowsAsync<AeadStreamException>(() => AeadStream.DecryptAsync(new MemoryStream(swapped), output, key));
        Assert.StartsWith("authentication failed for chunk 20", e.Message);
        Assert.Equal(20L * Chunk, output.Length);
    }

    [Fact]
    public async Task A_Failing_Destination_Fails_The_Encryption()
    {
        var e = await Assert.ThrowsAsync<IOException>(() =>
            AeadStream.EncryptAsync(new MemoryStream(Plaintext(3 * Block)), new FailingStream(), AeadStream.NewKey()));
        Assert.Equal("disk full", e.Message);
    }

    /// <summary>Hands out at most <c>piece</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int piece) : MemoryStream(data, writable: false)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(piece, buffer.Length)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(piece, buffer.Length)], ct);
    }

    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            Length > 1_000_000 ? throw new IOException("disk full") : base.WriteAsync(buffer, ct);
    }
}
