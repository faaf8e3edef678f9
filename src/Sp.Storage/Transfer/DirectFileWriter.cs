using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sp.Storage.Transfer;

/// <summary>
/// Writes a new file sequentially, around the page cache where the file system allows it (Linux <c>O_DIRECT</c>):
/// for a store that writes GiB-sized objects it does not read back at once, this spares the kernel the allocation
/// of a fresh page-cache page for every 4 KiB written, which on a VM whose free memory goes back to the host costs
/// more than the disk itself (docs/benchmarks.md, "The node's ingest over HTTP"). Blocks go out from one aligned
/// buffer; the last, partial one is padded to the device's block and the file cut back to its length. Where
/// <c>O_DIRECT</c> is refused (tmpfs, other systems) the file is written through the page cache instead, with
/// early writeback (<see cref="EarlyWriteback"/>). <see cref="Complete"/> makes the content durable (fsync).
/// </summary>
public sealed class DirectFileWriter : IDisposable
{
    /// <summary>Bytes gathered before each write; a multiple of every block size in use.</summary>
    public const int BlockSize = 1 << 20;
    private const int Alignment = 4096;

    private readonly SafeFileHandle _file;
    private readonly bool _direct;
    private readonly byte[] _pinned;
    private readonly int _start; // offset of the aligned block inside _pinned
    private readonly EarlyWriteback? _writeback;
    private int _filled;
    private long _offset;

    private DirectFileWriter(SafeFileHandle file, bool direct)
    {
        _file = file;
        _direct = direct;
        _pinned = GC.AllocateUninitializedArray<byte>(BlockSize + Alignment, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_pinned, 0);
        _start = (int)((Alignment - (address % Alignment)) % Alignment);
        if (!direct) _writeback = new EarlyWriteback(file);
    }

    /// <summary>True when the file is written with O_DIRECT.</summary>
    public bool IsDirect => _direct;

    /// <summary>Creates <paramref name="path"/> (it must not exist).</summary>
    /// <param name="preferDirect">False writes through the page cache whatever the file system allows.</param>
    public static DirectFileWriter Create(string path, bool preferDirect = true)
    {
        if (preferDirect && OperatingSystem.IsLinux() && DirectFlag() is { } direct)
        {
            var fd = open(path, OWronly | OCreat | OExcl | OCloexec | direct, 0b110_100_100);
            if (fd >= 0) return new DirectFileWriter(new SafeFileHandle(fd, ownsHandle: true), direct: true);
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EExist) throw new IOException($"{path} already exists");
            // EINVAL: this file system does not do O_DIRECT (tmpfs); anything else surfaces from the plain open below.
        }
        return new DirectFileWriter(File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None), direct: false);
    }

    private Span<byte> Block => _pinned.AsSpan(_start, BlockSize);

    public void Write(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, BlockSize - _filled);
            data[..n].CopyTo(Block[_filled..]);
            _filled += n;
            data = data[n..];
            if (_filled == BlockSize) FlushBlock(BlockSize);
        }
    }

    private void FlushBlock(int length)
    {
        RandomAccess.Write(_file, Block[..length], _offset);
        _offset += length;
        _filled = 0;
        _writeback?.Advance(_offset);
    }

    /// <summary>Writes what is left, cuts the file to its length and fsyncs it. Returns the length.</summary>
    public long Complete()
    {
        var length = _offset + _filled;
        if (_filled > 0)
        {
            if (_direct)
            {
                // O_DIRECT writes whole blocks: pad with zeros, then cut the file back.
                var padded = (_filled + Alignment - 1) / Alignment * Alignment;
                Block[_filled..padded].Clear();
                RandomAccess.Write(_file, Block[..padded], _offset);
                RandomAccess.SetLength(_file, length);
                _offset = length;
                _filled = 0;
            }
            else
            {
                FlushBlock(_filled);
            }
        }
        RandomAccess.FlushToDisk(_file);
        return length;
    }

    public void Dispose() => _file.Dispose();

    private const int OWronly = 0x1, OCreat = 0x40, OExcl = 0x80, OCloexec = 0x80000, EExist = 17;

    /// <summary>O_DIRECT's value on this architecture (Linux), or null where it is not known.</summary>
    private static int? DirectFlag() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => null,
    };

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);
}
