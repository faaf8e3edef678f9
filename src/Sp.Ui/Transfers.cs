using System.Collections.Concurrent;
using System.Security.Cryptography;
using Sp.Cli;
using Sp.Storage.Transfer;

namespace Sp.Ui;

/// <summary>
/// The UI's long work on files (an upload into the store; a result's download and verification), run apart from the
/// request that started it, so its page can show how far it is (bytes, rate, time left) while it goes. Kept in memory
/// for this process's life: a transfer belongs to the `spctl ui` that started it.
/// </summary>
public sealed class Transfers(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Transfer> _all = new(StringComparer.Ordinal);

    /// <summary>Starts <paramref name="work"/> in the background; it reports its progress to the transfer it is given.</summary>
    /// <param name="what">What the page calls it ("Upload of data.csv").</param>
    /// <param name="stopping">Cancels the work when the UI stops.</param>
    public Transfer Start(string what, Func<Transfer, CancellationToken, Task<TransferOutcome>> work, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(work);
        var transfer = new Transfer(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), what, time);
        _all[transfer.Id] = transfer;
        transfer.Run(work, stopping);
        return transfer;
    }

    public Transfer? Find(string? id) => id is not null && _all.TryGetValue(id, out var t) ? t : null;
}

/// <summary>What a finished transfer leaves: the line the command would print, and what the page offers next.</summary>
/// <param name="Notice">As the command says it ("Resource file was created in …").</param>
/// <param name="Hash">The stored file's SHA-256 (uploads).</param>
/// <param name="File">A verified file to hand to the browser (downloads), and the name to offer it under.</param>
public sealed record TransferOutcome(string Notice, string? Hash = null, long Size = 0, string? File = null, string? FileName = null);

/// <summary>One transfer: the newest progress it reported, then its outcome or what went wrong (in the CLI's words).</summary>
public sealed class Transfer : IProgress<TransferProgress>
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private TransferProgress? _progress;
    private long _phaseStarted;
    private TimeSpan _elapsed;

    internal Transfer(string id, string what, TimeProvider time)
    {
        Id = id;
        What = what;
        _time = time;
        _phaseStarted = time.GetTimestamp();
    }

    /// <summary>192 random bits: the address of its page, which only this UI's token holder can open anyway.</summary>
    public string Id { get; }

    public string What { get; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public TransferOutcome? Outcome { get; private set; }

    /// <summary>Why it failed, as the command would print it; null while it runs and when it succeeded.</summary>
    public string? Error { get; private set; }

    public bool Running => !Completion.IsCompleted;

    public void Report(TransferProgress value)
    {
        lock (_gate)
        {
            // Rate and time left are measured per phase (the upload's encryption, the download's decryption).
            if (_progress is not { } last || last.Phase != value.Phase) _phaseStarted = _time.GetTimestamp();
            _progress = value;
            _elapsed = _time.GetElapsedTime(_phaseStarted); // measured when reported, so a finished rate stays put
        }
    }

    /// <summary>The newest progress and the time its phase had taken when it was reported; null before the first report.</summary>
    public (TransferProgress Progress, TimeSpan Elapsed)? Now()
    {
        lock (_gate) return _progress is { } p ? (p, _elapsed) : null;
    }

    /// <summary>The progress line `spctl` prints for the same work: phase, share, bytes of the total, rate, time left.</summary>
    public string Describe() => Now() is { } now ? ConsoleProgress.Describe(now.Progress, now.Elapsed) : "starting…";

    internal void Run(Func<Transfer, CancellationToken, Task<TransferOutcome>> work, CancellationToken stopping) =>
        Completion = Task.Run(async () =>
        {
            // Nobody awaits a background transfer: whatever ends it is shown on its page, in the CLI's words.
            try { Outcome = await work(this, stopping); }
            catch (Exception e) { Error = UiServer.Describe(e); }
        }, CancellationToken.None);
}
