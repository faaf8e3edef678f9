using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sp.Storage.Transfer;

/// <summary>
/// Starts the disk writing what was just written, while the writer goes on: Linux <c>sync_file_range(WRITE)</c>
/// every <see cref="Interval"/> bytes (what RocksDB's <c>bytes_per_sync</c> does). Without it the kernel writes a
/// GiB-sized download or object back only at the final <c>fsync</c>, which then takes a second or more on its own;
/// with it, decrypting and writing back overlap and the final <c>fsync</c> has little left to do. A no-op elsewhere
/// and when the call fails (durability still comes from the fsync).
/// </summary>
public sealed class EarlyWriteback(SafeFileHandle file)
{
    public const long Interval = 16L << 20;
    private const uint SyncFileRangeWrite = 2;

    private long _started;

    /// <summary>The file has <paramref name="writtenUpTo"/> bytes: start writing back each whole interval not yet started.</summary>
    public void Advance(long writtenUpTo)
    {
        if (!OperatingSystem.IsLinux() || writtenUpTo - _started < Interval) return;
        var length = (writtenUpTo - _started) / Interval * Interval;
        var ok = false;
        file.DangerousAddRef(ref ok);
        try
        {
            _ = sync_file_range((int)file.DangerousGetHandle(), _started, length, SyncFileRangeWrite);
        }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
        finally
        {
            if (ok) file.DangerousRelease();
        }
        _started += length;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);
}

/// <summary>A write-only file stream that starts writing back every <see cref="EarlyWriteback.Interval"/> bytes.</summary>
public sealed class EarlyWritebackStream(FileStream inner) : Stream
{
    private readonly EarlyWriteback _writeback = new(inner.SafeFileHandle);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _writeback.Advance(inner.Position);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _writeback.Advance(inner.Position);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
