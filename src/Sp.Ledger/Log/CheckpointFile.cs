namespace Sp.Ledger.Log;

/// <summary>
/// The latest checkpoint the node signed, kept durably (<see cref="Sp.Core.DurableFile"/>: temporary file, fsync,
/// rename, folder fsync) before the checkpoint is handed to anyone. After a crash the file holds the newest
/// checkpoint anybody can have seen, which is what stops the node from ever signing an inconsistent one.
/// </summary>
public sealed class CheckpointFile(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The signed note, or null when none was ever signed.</summary>
    public byte[]? Read() => File.Exists(Path) ? File.ReadAllBytes(Path) : null;

    public void Write(ReadOnlySpan<byte> note) => Sp.Core.DurableFile.Replace(Path, note);
}
