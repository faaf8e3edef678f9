using System.Security.Cryptography;
using Sp.Crypto.Streaming;

namespace Sp.Crypto.Tests.Streaming;

public sealed class AeadStreamTests
{
    private const int Chunk = 64 * 1024;
    private const int Header = 24;
    private const int SealedChunk = Chunk + 16;

    private static byte[] Plaintext(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        return data;
    }

    private static async Task<(byte[] Ciphertext, StreamResult Result)> Encrypt(byte[] plaintext, byte[] key)
    {
        var output = new MemoryStream();
        var result = await AeadStream.EncryptAsync(new MemoryStream(plaintext), output, key);
        return (output.ToArray(), result);
    }

    private static async Task<(byte[] Plaintext, StreamResult Result)> Decrypt(byte[] ciphertext, byte[] key)
    {
        var output = new MemoryStream();
        var result = await AeadStream.DecryptAsync(new MemoryStream(ciphertext), output, key);
        return (output.ToArray(), result);
    }

    private static async Task<AeadStreamException> DecryptFails(byte[] ciphertext, byte[] key) =>
        await Assert.ThrowsAsync<AeadStreamException>(() => Decrypt(ciphertext, key));

    public static TheoryData<int> Sizes => new() { 0, 1, 65535, 65536, 65537, 3 * 65536 + 5 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task RoundTrip_Returns_Plaintext_Hash_And_Size(int size)
    {
        var key = AeadStream.NewKey();
        var plaintext = Plaintext(size);
        var (ciphertext, encrypted) = await Encrypt(plaintext, key);

        var chunks = Math.Max(1, (size + Chunk - 1) / Chunk);
        Assert.Equal(Header + size + 16 * chunks, ciphertext.Length);
        Assert.Equal("SPAEAD1\n"u8.ToArray(), ciphertext[..8]);

        var (decrypted, result) = await Decrypt(ciphertext, key);
        Assert.Equal(plaintext, decrypted);
        Assert.Equal(SHA256.HashData(plaintext), encrypted.PlaintextSha256);
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256);
        Assert.Equal(size, encrypted.PlaintextSize);
        Assert.Equal(size, result.PlaintextSize);
    }

    [Fact]
    public async Task Same_Plaintext_And_Key_Give_Different_Ciphertexts()
    {
        var key = AeadStream.NewKey();
        var plaintext = Plaintext(100);
        var (a, _) = await Encrypt(plaintext, key);
        var (b, _) = await Encrypt(plaintext, key);
        Assert.NotEqual(a, b); // fresh salt, hence fresh payload key
    }

    [Fact]
    public async Task Progress_Reports_Plaintext_Bytes_Per_Chunk()
    {
        var reports = new List<long>();
        var progress = new SyncProgress(reports.Add);
        await AeadStream.EncryptAsync(new MemoryStream(Plaintext(2 * Chunk + 3)), new MemoryStream(), AeadStream.NewKey(), progress);
        Assert.Equal([Chunk, 2 * Chunk, 2 * Chunk + 3], reports);
    }

    [Fact]
    public async Task Flipping_Any_Byte_Is_Detected()
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(Chunk + 100), key);
        // Every header byte, then samples through both chunks: first body bytes, tags, last byte.
        var positions = Enumerable.Range(0, Header)
            .Concat([Header, Header + 1000, Header + Chunk - 1, Header + Chunk, Header + SealedChunk - 1,
                     Header + SealedChunk, Header + SealedChunk + 99, Header + SealedChunk + 100, ciphertext.Length - 1]);
        foreach (var position in positions)
        {
            var tampered = (byte[])ciphertext.Clone();
            tampered[position] ^= 0x20;
            var e = await DecryptFails(tampered, key);
            Assert.False(string.IsNullOrEmpty(e.Message), $"position {position}");
        }
    }

    [Fact]
    public async Task Tampered_Magic_Says_Not_An_Sp_Stream()
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(10), key);
        ciphertext[0] = (byte)'X';
        Assert.Contains("not an SP stream", (await DecryptFails(ciphertext, key)).Message);
        Assert.Contains("not an SP stream", (await DecryptFails([], key)).Message);
        Assert.Contains("not an SP stream", (await DecryptFails("SPAEAD1\n123"u8.ToArray(), key)).Message);
    }

    [Fact]
    public async Task A_stream_that_is_not_ours_is_refused_without_quoting_its_bytes()
    {
        // Error messages reach logs and public order statuses: the bytes of a download must not.
        var message = (await DecryptFails("SECRET-DATA that is not an SP stream"u8.ToArray(), AeadStream.NewKey())).Message;
        Assert.Contains("not an SP stream: its first 8 bytes are not the magic", message);
        Assert.DoesNotContain("SECRET", message);
    }

    [Fact]
    public async Task Tampered_Chunk_Names_The_Chunk()
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(3 * Chunk), key);
        ciphertext[Header + 2 * SealedChunk + 5] ^= 1;
        var e = await DecryptFails(ciphertext, key);
        Assert.Contains("authentication failed for chunk 2", e.Message);
    }

    [Fact]
    public async Task Wrong_Key_Fails_Authentication()
    {
        var (ciphertext, _) = await Encrypt(Plaintext(500), AeadStream.NewKey());
        Assert.Contains("authentication failed for chunk 0", (await DecryptFails(ciphertext, AeadStream.NewKey())).Message);
    }

    [Fact]
    public async Task Empty_Plaintext_Wrong_Key_Fails()
    {
        var (ciphertext, _) = await Encrypt([], AeadStream.NewKey());
        await DecryptFails(ciphertext, AeadStream.NewKey());
    }

    [Theory]
    [InlineData(2 * 65536)]       // a whole chunk dropped at a chunk boundary
    [InlineData(2 * 65536 + 10)]  // the short final chunk dropped
    public async Task Dropping_The_Last_Chunk_Is_Truncation(int size)
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(size), key);
        var withoutLast = ciphertext[..(Header + (size > 2 * Chunk ? 2 : 1) * SealedChunk)];
        var e = await DecryptFails(withoutLast, key);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task Header_Alone_Is_Truncation()
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt([], key);
        Assert.Contains("truncated", (await DecryptFails(ciphertext[..Header], key)).Message);
    }

    [Fact]
    public async Task Swapping_Two_Chunks_Is_Detected()
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(3 * Chunk + 5), key);
        var swapped = (byte[])ciphertext.Clone();
        ciphertext.AsSpan(Header, SealedChunk).CopyTo(swapped.AsSpan(Header + SealedChunk));
        ciphertext.AsSpan(Header + SealedChunk, SealedChunk).CopyTo(swapped.AsSpan(Header));
        Assert.Contains("chunk 0", (await DecryptFails(swapped, key)).Message);
    }

    [Fact]
    public async Task Chunk_From_Another_Stream_Under_The_Same_Key_Is_Rejected()
    {
        // The header is the AAD of every chunk and salts the payload key: chunks do not move between streams.
        var key = AeadStream.NewKey();
        var plaintext = Plaintext(10);
        var (a, _) = await Encrypt(plaintext, key);
        var (b, _) = await Encrypt(plaintext, key);
        var spliced = a[..Header].Concat(b[Header..]).ToArray();
        await DecryptFails(spliced, key);
    }

    [Theory]
    [InlineData(65536, 1)]
    [InlineData(65536, 70000)]
    [InlineData(100, 1)]
    [InlineData(0, 16)]
    public async Task Appended_Bytes_Are_Rejected(int size, int extra)
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(size), key);
        var appended = ciphertext.Concat(new byte[extra]).ToArray();
        var e = await DecryptFails(appended, key);
        if (size == Chunk) Assert.Contains("trailing data", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(1000)]
    public async Task Truncating_Mid_Chunk_Is_Detected(int cut)
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(2 * Chunk + 100), key);
        await DecryptFails(ciphertext[..^cut], key);
        await DecryptFails(ciphertext[..(Header + SealedChunk + cut)], key);
    }

    [Fact]
    public async Task Plaintext_Before_A_Bad_Chunk_Is_Written_Only_Once_Authenticated()
    {
        var key = AeadStream.NewKey();
        var (ciphertext, _) = await Encrypt(Plaintext(2 * Chunk + 1), key);
        ciphertext[Header + SealedChunk + 3] ^= 1; // chunk 1
        var output = new MemoryStream();
        await Assert.ThrowsAsync<AeadStreamException>(() => AeadStream.DecryptAsync(new MemoryStream(ciphertext), output, key));
        Assert.Equal(Chunk, output.Length);
    }

    [Fact]
    public async Task Key_Of_Wrong_Size_Is_An_Argument_Error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => AeadStream.EncryptAsync(new MemoryStream(), new MemoryStream(), new byte[16]));
        await Assert.ThrowsAsync<ArgumentException>(() => AeadStream.DecryptAsync(new MemoryStream(), new MemoryStream(), new byte[31]));
    }

    [Fact]
    public async Task Encrypt_Stream_Accepts_Small_Writes_And_Matches_DecryptAsync()
    {
        var key = AeadStream.NewKey();
        var plaintext = Plaintext(Chunk * 2 + 777);
        var output = new MemoryStream();
        StreamResult result;
        await using (var encryptor = new AeadEncryptStream(output, key))
        {
            for (var i = 0; i < plaintext.Length; i += 1000)
            {
                var part = plaintext.AsMemory(i, Math.Min(1000, plaintext.Length - i));
                if (i % 2000 == 0) await encryptor.WriteAsync(part); else encryptor.Write(part.Span);
            }
            result = await encryptor.CompleteAsync();
        }
        var (decrypted, _) = await Decrypt(output.ToArray(), key);
        Assert.Equal(plaintext, decrypted);
        Assert.Equal(SHA256.HashData(plaintext), result.PlaintextSha256);
    }

    [Fact]
    public async Task Encrypt_Stream_Disposed_Without_Complete_Yields_A_Truncated_Stream()
    {
        var key = AeadStream.NewKey();
        var output = new MemoryStream();
        await using (var encryptor = new AeadEncryptStream(output, key))
            await encryptor.WriteAsync(Plaintext(Chunk + 1));
        Assert.Contains("truncated", (await DecryptFails(output.ToArray(), key)).Message);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
