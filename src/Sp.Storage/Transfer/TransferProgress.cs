namespace Sp.Storage.Transfer;

/// <summary>
/// Progress of a transfer: <see cref="Phase"/> is one of <see cref="TransferPhases"/>, <see cref="Bytes"/> the
/// plaintext bytes done in it, <see cref="TotalBytes"/> the total when known (not for a directory's upload).
/// </summary>
public readonly record struct TransferProgress(string Phase, long Bytes, long? TotalBytes);

public static class TransferPhases
{
    /// <summary>Hashing and encrypting into the store.</summary>
    public const string Upload = "upload";
    /// <summary>Decrypting from the store into a temporary file.</summary>
    public const string Download = "download";
    /// <summary>Unpacking a verified directory archive.</summary>
    public const string Extract = "extract";
}

internal sealed class PhaseProgress(IProgress<TransferProgress> target, string phase, long? total) : IProgress<long>
{
    public void Report(long value) => target.Report(new TransferProgress(phase, value, total));

    public static IProgress<long>? For(IProgress<TransferProgress>? target, string phase, long? total) =>
        target is null ? null : new PhaseProgress(target, phase, total);
}
