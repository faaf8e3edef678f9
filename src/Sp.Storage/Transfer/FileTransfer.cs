using System.Security.Cryptography;
using Sp.Core.Model;
using Sp.Crypto.Streaming;
using Sp.Storage.Archive;
using Sp.Storage.Blobs;

namespace Sp.Storage.Transfer;

/// <summary>
/// Uploads files and directories to a blob store as SP streams (docs/formats-stream.md) and downloads them back.
/// A directory travels as its deterministic tar archive (<see cref="DeterministicArchive"/>); the resource's
/// hash and size are those of the plaintext, the archive for a directory.
/// </summary>
public sealed class FileTransfer
{
    public const string Cipher = "aes-256-gcm-stream";
    private const string HashAlgorithm = "sha256";
    private const string PartialSuffix = ".sp-partial";
    private const string ExtractSuffix = ".sp-extract";
    /// <summary>Reads and writes move 1 MiB at a time (the stream pipeline's block); files are opened unbuffered.</summary>
    private const int IoBlockSize = 1 << 20;
    private const int Unbuffered = 0;

    private readonly IBlobStore _store;

    public FileTransfer(IBlobStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>
    /// Encrypts the file or directory at <paramref name="path"/> into the store under a fresh key, hashing the
    /// plaintext in the same pass, and returns the resource file that opens it.
    /// </summary>
    public async Task<ResourceFile> UploadAsync(string path, string? filename, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var (fullPath, isDirectory) = Resolve(path);
        var key = AeadStream.NewKey();
        try
        {
            StreamResult result = default;
            StorageResource stored;
            if (isDirectory)
            {
                var report = PhaseProgress.For(progress, TransferPhases.Upload, total: null);
                stored = await _store.WriteAsync(async (ciphertext, c) =>
                {
                    var encryptor = new AeadEncryptStream(ciphertext, key, report);
                    await using (encryptor.ConfigureAwait(false))
                    {
                        await DeterministicArchive.WriteTarAsync(fullPath, encryptor, c).ConfigureAwait(false);
                        result = await encryptor.CompleteAsync(c).ConfigureAwait(false);
                    }
                }, ct).ConfigureAwait(false);
            }
            else
            {
                var input = OpenRead(fullPath);
                await using (input.ConfigureAwait(false))
                {
                    var report = PhaseProgress.For(progress, TransferPhases.Upload, input.Length);
                    stored = await _store.WriteAsync(async (ciphertext, c) =>
                        result = await AeadStream.EncryptAsync(input, ciphertext, key, report, c).ConfigureAwait(false), ct).ConfigureAwait(false);
                }
            }
            return new ResourceFile
            {
                Hash = HashInfo.Sha256(result.PlaintextSha256),
                Size = result.PlaintextSize,
                Encryption = new EncryptionInfo { Key = Convert.ToBase64String(key), Cipher = Cipher },
                Resource = stored,
                Filename = filename ?? Path.GetFileName(fullPath),
                Kind = isDirectory ? ResourceKinds.Directory : ResourceKinds.File,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Downloads, decrypts and verifies the resource into <paramref name="destinationDirectory"/> under its
    /// filename; returns the final path. The plaintext goes to a hidden temporary file and appears under the
    /// final name only once its size and SHA-256 match; on any failure nothing is left behind.
    /// </summary>
    /// <exception cref="IOException">The final name already exists (checked before downloading).</exception>
    /// <exception cref="InvalidDataException">Size or hash mismatch, or an unusable resource file.</exception>
    /// <exception cref="AeadStreamException">The ciphertext is corrupted, truncated, or under another key.</exception>
    public async Task<string> DownloadAsync(ResourceFile resource, string destinationDirectory, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var name = FinalName(resource);
        var destination = Path.GetFullPath(destinationDirectory);
        Directory.CreateDirectory(destination);
        var finalPath = Path.Combine(destination, name);
        ThrowIfExists(finalPath);

        var unique = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var partial = Path.Combine(destination, $".{name}.{unique}{PartialSuffix}");
        var extractDir = Path.Combine(destination, $".{name}.{unique}{ExtractSuffix}");
        try
        {
            var output = new FileStream(partial, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = Unbuffered,
                PreallocationSize = resource.Size > 0 ? resource.Size : 0,
            });
            await using (output.ConfigureAwait(false))
            {
                var (sha256, size) = await DecryptAsync(resource, new EarlyWritebackStream(output), PhaseProgress.For(progress, TransferPhases.Download, resource.Size), ct).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
                Verify(resource, name, sha256, size);
            }

            if (resource.Kind == ResourceKinds.Directory)
            {
                progress?.Report(new TransferProgress(TransferPhases.Extract, 0, resource.Size));
                var archive = OpenRead(partial);
                await using (archive.ConfigureAwait(false))
                    await DeterministicArchive.ExtractTarAsync(archive, extractDir, ct).ConfigureAwait(false);
                Directory.Move(extractDir, finalPath);
                File.Delete(partial);
                progress?.Report(new TransferProgress(TransferPhases.Extract, resource.Size, resource.Size));
            }
            else
            {
                File.Move(partial, finalPath, overwrite: false);
            }
            return finalPath;
        }
        catch
        {
            TryDelete(partial, extractDir);
            throw;
        }
    }

    /// <summary>
    /// Decrypts the resource into <paramref name="plaintextOut"/> and returns the plaintext's SHA-256 and size.
    /// It does not compare them with the resource: the caller does, and discards the output on mismatch.
    /// <paramref name="progress"/> hears of the plaintext written (phase <see cref="TransferPhases.Download"/>).
    /// </summary>
    public Task<(byte[] Sha256, long Size)> DownloadToStreamAsync(ResourceFile resource, Stream plaintextOut, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(plaintextOut);
        return DecryptAsync(resource, plaintextOut, PhaseProgress.For(progress, TransferPhases.Download, resource.Size), ct);
    }

    /// <summary>The SHA-256 (lowercase hex) and size that <see cref="UploadAsync"/> would record for <paramref name="path"/>.</summary>
    public static async Task<(string Sha256Hex, long Size)> CalculateHashAsync(string path, CancellationToken ct = default)
    {
        var (fullPath, isDirectory) = Resolve(path);
        var sink = new HashingWriteStream();
        await using (sink.ConfigureAwait(false))
        {
            if (isDirectory)
            {
                await DeterministicArchive.WriteTarAsync(fullPath, sink, ct).ConfigureAwait(false);
            }
            else
            {
                return await HashFileAsync(fullPath, ct).ConfigureAwait(false);
            }
            var (sha256, size) = sink.Finish();
            return (Convert.ToHexStringLower(sha256), size);
        }
    }

    /// <summary>
    /// SHA-256 of a file at the speed of the hash: 1 MiB positional reads run on a pool thread one block ahead of
    /// the hashing, so the disk (or page cache) and the SHA instructions work at the same time.
    /// </summary>
    private static async Task<(string Sha256Hex, long Size)> HashFileAsync(string path, CancellationToken ct)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var pool = System.Buffers.ArrayPool<byte>.Shared;
        byte[][] buffers = [pool.Rent(IoBlockSize), pool.Rent(IoBlockSize)];
        Task<int>? read = null;
        try
        {
            long offset = 0;
            var index = 0;
            read = ReadBlockAsync(handle, buffers[index], offset, ct);
            while (true)
            {
                var n = await read.ConfigureAwait(false);
                read = null;
                if (n == 0) break;
                offset += n;
                read = ReadBlockAsync(handle, buffers[index ^ 1], offset, ct);
                sha256.AppendData(buffers[index], 0, n);
                index ^= 1;
            }
            return (Convert.ToHexStringLower(sha256.GetHashAndReset()), offset);
        }
        finally
        {
            if (read is not null)
            {
                try { await read.ConfigureAwait(false); }
                catch (Exception) { /* already failing */ }
            }
            foreach (var b in buffers) pool.Return(b);
        }
    }

    private static Task<int> ReadBlockAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, byte[] buffer, long offset, CancellationToken ct) =>
        Task.Run(() =>
        {
            var total = 0;
            int n;
            while (total < IoBlockSize && (n = RandomAccess.Read(handle, buffer.AsSpan(total, IoBlockSize - total), offset + total)) > 0)
                total += n;
            return total;
        }, ct);

    private async Task<(byte[] Sha256, long Size)> DecryptAsync(ResourceFile resource, Stream plaintextOut, IProgress<long>? progress, CancellationToken ct)
    {
        var key = KeyOf(resource);
        try
        {
            var input = await _store.OpenReadAsync(resource.Resource, ct).ConfigureAwait(false);
            await using (input.ConfigureAwait(false))
            {
                var result = await AeadStream.DecryptAsync(input, plaintextOut, key, progress, ct).ConfigureAwait(false);
                return (result.PlaintextSha256, result.PlaintextSize);
            }
        }
        catch (AeadStreamException e)
        {
            throw new AeadStreamException($"{Describe(resource)}: {e.Message}", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>"'name' (S3 object 'key')": which resource an error is about.</summary>
    private static string Describe(ResourceFile resource) =>
        $"'{resource.Filename ?? Path.GetFileName(resource.Resource.Filepath)}' ({resource.Resource.StorageType} object '{resource.Resource.Filepath}')";

    private static byte[] KeyOf(ResourceFile resource)
    {
        if (resource.Encryption.Cipher != Cipher)
            throw new InvalidDataException($"resource encryption.cipher is '{resource.Encryption.Cipher}', expected '{Cipher}'");
        byte[] key;
        try { key = Convert.FromBase64String(resource.Encryption.Key); }
        catch (FormatException) { throw new InvalidDataException("resource encryption.key is not base64"); }
        if (key.Length != AeadStream.KeySize)
            throw new InvalidDataException($"resource encryption.key is {key.Length} bytes, expected {AeadStream.KeySize}");
        return key;
    }

    private static void Verify(ResourceFile resource, string name, byte[] sha256, long size)
    {
        if (!string.Equals(resource.Hash.Algo, HashAlgorithm, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"resource hash.algo is '{resource.Hash.Algo}', expected '{HashAlgorithm}'");
        if (size != resource.Size)
            throw new InvalidDataException($"size mismatch for '{name}': expected {resource.Size} bytes, got {size}");
        var actual = Convert.ToHexStringLower(sha256);
        if (!string.Equals(resource.Hash.Value, actual, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"SHA-256 mismatch for '{name}': expected {resource.Hash.Value}, got {actual}");
    }

    private static string FinalName(ResourceFile resource)
    {
        var name = resource.Filename ?? Path.GetFileName(resource.Resource.Filepath);
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny(['/', '\\']) >= 0
            || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new InvalidDataException($"resource filename '{name}' is not a plain file name");
        return name;
    }

    private static void ThrowIfExists(string path)
    {
        if (Path.Exists(path) || new FileInfo(path).LinkTarget is not null)
            throw new IOException($"'{path}' already exists; move it away or choose another destination (it is never overwritten)");
    }

    private static (string FullPath, bool IsDirectory) Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Directory.Exists(full)) return (full, true);
        if (File.Exists(full)) return (full, false);
        throw new FileNotFoundException($"no file or directory at '{full}'", full);
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, Unbuffered, FileOptions.SequentialScan);

    private static void TryDelete(string file, string directory)
    {
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
