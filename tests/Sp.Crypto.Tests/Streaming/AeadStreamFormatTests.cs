using System.Buffers.Binary;
using System.Security.Cryptography;
using Sp.Crypto.Streaming;

namespace Sp.Crypto.Tests.Streaming;

/// <summary>
/// docs/formats-stream.md followed literally with AesGcm and HKDF, independently of AeadStream: streams
/// built here must open with AeadStream, and AeadStream's output must open here.
/// </summary>
public sealed class AeadStreamFormatTests
{
    private const int ChunkSize = 65536;
    private static readonly byte[] Magic = "SPAEAD1\n"u8.ToArray();

    private static byte[] PayloadKey(byte[] fileKey, ReadOnlySpan<byte> salt) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, fileKey, 32, salt.ToArray(), "sp payload v1"u8.ToArray());

    private static byte[] Nonce(long counter, bool last)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(3), (ulong)counter);
        nonce[11] = last ? (byte)1 : (byte)0;
        return nonce;
    }

    /// <summary>Seals the given plaintext chunks, the last one flagged final, as the spec says.</summary>
    private static byte[] BuildStream(byte[] fileKey, byte[] salt, params byte[][] chunks)
    {
        var header = Magic.Concat(salt).ToArray();
        using var gcm = new AesGcm(PayloadKey(fileKey, salt), 16);
        var output = new MemoryStream();
        output.Write(header);
        for (var i = 0; i < chunks.Length; i++)
        {
            var ct = new byte[chunks[i].Length];
            var tag = new byte[16];
            gcm.Encrypt(Nonce(i, i == chunks.Length - 1), chunks[i], ct, tag, header);
            output.Write(ct);
            output.Write(tag);
        }
        return output.ToArray();
    }

    private static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    [Fact]
    public async Task Hand_Built_Stream_Opens()
    {
        var key = Bytes(32, 7);
        var salt = Bytes(16, 9);
        var plaintext = Bytes(ChunkSize, 1).Concat(Bytes(10, 2)).ToArray();
        var stream = BuildStream(key, salt, plaintext[..ChunkSize], plaintext[ChunkSize..]);
        var output = new MemoryStream();
        var result = await AeadStream.DecryptAsync(new MemoryStream(stream), output, key);
        Assert.Equal(plaintext, output.ToArray());
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256);
    }

    [Fact]
    public async Task AeadStream_Output_Opens_By_The_Spec()
    {
        var key = AeadStream.NewKey();
        var plaintext = Bytes(ChunkSize * 2, 5); // an exact multiple: the second full chunk is the final one
        var output = new MemoryStream();
        await AeadStream.EncryptAsync(new MemoryStream(plaintext), output, key);
        var stream = output.ToArray();

        Assert.Equal(Magic, stream[..8]);
        var header = stream[..24];
        using var gcm = new AesGcm(PayloadKey(key, header.AsSpan(8, 16)), 16);
        var opened = new List<byte>();
        for (var i = 0; i < 2; i++)
        {
            var chunk = stream.AsSpan(24 + i * (ChunkSize + 16), ChunkSize + 16);
            var pt = new byte[ChunkSize];
            gcm.Decrypt(Nonce(i, last: i == 1), chunk[..ChunkSize], chunk[ChunkSize..], pt, header);
            opened.AddRange(pt);
        }
        Assert.Equal(24 + 2 * (ChunkSize + 16), stream.Length);
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public async Task Empty_Final_Chunk_After_Data_Is_Rejected()
    {
        var key = Bytes(32, 3);
        var stream = BuildStream(key, Bytes(16, 4), Bytes(ChunkSize, 1), []);
        var e = await Assert.ThrowsAsync<AeadStreamException>(() => AeadStream.DecryptAsync(new MemoryStream(stream), Stream.Null, key));
        Assert.Contains("empty final chunk", e.Message);
    }

    [Fact]
    public async Task Short_Chunk_Not_Marked_Final_Is_Rejected()
    {
        // A short chunk is always the last one; sealed without the final flag it must not open.
        var key = Bytes(32, 3);
        var salt = Bytes(16, 4);
        var header = Magic.Concat(salt).ToArray();
        using var gcm = new AesGcm(PayloadKey(key, salt), 16);
        var ct = new byte[10];
        var tag = new byte[16];
        gcm.Encrypt(Nonce(0, last: false), Bytes(10, 1), ct, tag, header);
        var stream = header.Concat(ct).Concat(tag).ToArray();
        await Assert.ThrowsAsync<AeadStreamException>(() => AeadStream.DecryptAsync(new MemoryStream(stream), Stream.Null, key));
    }
}
