using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sp.Crypto.Streaming;

/// <summary>
/// Constants and derivations of the SP authenticated stream format (docs/formats-stream.md): the STREAM
/// construction of age's payload over AES-256-GCM, 64 KiB plaintext chunks.
/// </summary>
internal static class AeadStreamFormat
{
    public const string MagicText = "SPAEAD1\n";
    public static ReadOnlySpan<byte> Magic => "SPAEAD1\n"u8;
    public const int MagicSize = 8;
    public const int SaltSize = 16;
    public const int HeaderSize = MagicSize + SaltSize;
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int CounterSize = 11;
    public const int ChunkSize = 64 * 1024;
    public const int CiphertextChunkSize = ChunkSize + TagSize;
    public const byte LastChunkFlag = 0x01;
    public static ReadOnlySpan<byte> PayloadInfo => "sp payload v1"u8;

    /// <summary>payload key = HKDF-SHA-256(ikm = file key, salt = header salt, info = "sp payload v1").</summary>
    public static byte[] DerivePayloadKey(ReadOnlySpan<byte> fileKey, ReadOnlySpan<byte> salt)
    {
        var payloadKey = new byte[KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, fileKey, payloadKey, salt, PayloadInfo);
        return payloadKey;
    }

    /// <summary>nonce = 11-byte big-endian chunk counter || 1-byte last-chunk flag.</summary>
    public static void WriteNonce(Span<byte> nonce, long counter, bool last)
    {
        nonce[..3].Clear(); // the counter's top 3 bytes: a long never reaches them
        BinaryPrimitives.WriteUInt64BigEndian(nonce.Slice(3, 8), checked((ulong)counter));
        nonce[CounterSize] = last ? LastChunkFlag : (byte)0;
    }

    public static void ValidateKey(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != KeySize)
            throw new ArgumentException($"stream key must be {KeySize} bytes, got {key.Length}", nameof(key));
    }

}
