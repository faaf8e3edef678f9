using System.Security.Cryptography;

namespace Sp.Crypto.Streaming;

/// <summary>
/// A ciphertext stream that cannot be opened: not in our format, corrupted, truncated, followed by trailing
/// data, or encrypted under another key. The message says which and, where it applies, which chunk.
/// </summary>
public sealed class AeadStreamException : CryptographicException
{
    public AeadStreamException(string message) : base(message) { }

    public AeadStreamException(string message, Exception inner) : base(message, inner) { }

    internal static AeadStreamException NotAnSpStream(string detail) =>
        new($"not an SP stream: {detail} (expected the {AeadStreamFormat.MagicText.TrimEnd('\n')} header)");

    internal static AeadStreamException AuthenticationFailed(long chunk) =>
        new($"authentication failed for chunk {chunk}: the data is corrupted or truncated, or the key is wrong");

    internal static AeadStreamException TruncatedAtBoundary(long lastChunk) =>
        new($"truncated: chunk {lastChunk} is not marked as the final chunk but the stream ends after it");

    internal static AeadStreamException TruncatedInChunk(long chunk, int got) =>
        new($"truncated: chunk {chunk} has {got} bytes, fewer than its {AeadStreamFormat.TagSize}-byte tag");

    internal static AeadStreamException TrailingData(long finalChunk) =>
        new($"trailing data: bytes follow the final chunk {finalChunk}");

    internal static AeadStreamException EmptyFinalChunk(long chunk) =>
        new($"chunk {chunk} is an empty final chunk, which is only allowed for empty plaintext (chunk 0)");
}
