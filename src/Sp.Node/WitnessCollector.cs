using Sp.Ledger.Log;
using Sp.Tlog;

namespace Sp.Node;

/// <summary>node.json's optional <c>witnessing</c>: the witnesses the node asks to cosign its checkpoints.</summary>
public sealed record WitnessingSettings
{
    public List<WitnessEndpoint> Witnesses { get; init; } = [];
    /// <summary>How long one witness may take to answer one checkpoint; a late witness's cosignature is left out.</summary>
    public double TimeoutSeconds { get; init; } = 5;
}

/// <summary>A witness: where its <c>add-checkpoint</c> is (<c>url</c> is its submission prefix) and its cosigner key (type 0x04).</summary>
public sealed record WitnessEndpoint
{
    public required string Url { get; init; }
    public required string Key { get; init; }
}

/// <summary>
/// Collects C2SP tlog-witness cosignatures on the log's checkpoints: after each new checkpoint (checked every
/// <see cref="LedgerHosting.SigningInterval"/>, and whenever the checkpoint is read) it sends every witness an
/// <c>add-checkpoint</c> with a consistency proof from the size that witness last cosigned, in parallel, each
/// bounded by the timeout, and keeps the checkpoint note with the cosignature lines that verify. Transactions
/// never wait for it; a read of the checkpoint waits for the round of that checkpoint, at most the timeout.
/// </summary>
public sealed partial class WitnessCollector : IDisposable
{
    private readonly TransparencyLog _log;
    private readonly Witness[] _witnesses;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private (long Size, Task<(byte[] Note, bool All)> Round, long Started)? _round;

    /// <summary>A round that missed a witness is tried again for the same checkpoint after this long (a quiet log
    /// signs no new checkpoint, and a witness back from a restart should not wait for the next transaction).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private WitnessCollector(TransparencyLog log, Witness[] witnesses, TimeSpan timeout, ILogger logger, TimeProvider time)
    {
        _time = time;
        _log = log;
        _witnesses = witnesses;
        _timeout = timeout;
        _logger = logger;
        _timer = time.CreateTimer(_ =>
        {
            if (_log.LatestSigned is { } latest) _ = CosignedAsync(latest); // a new checkpoint, or a retry of one that missed a witness
        }, null, LedgerHosting.SigningInterval, LedgerHosting.SigningInterval);
    }

    /// <summary>A collector for node.json's witnesses, or null when it names none. Errors name the member.</summary>
    public static WitnessCollector? Create(WitnessingSettings? settings, TransparencyLog log, ILogger logger, string settingsPath, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (settings is null || settings.Witnesses.Count == 0) return null;
        if (settings.TimeoutSeconds is <= 0 or > 600)
            throw new InvalidDataException($"{settingsPath}: witnessing.timeoutSeconds must be above 0 and at most 600, got {settings.TimeoutSeconds}");
        var witnesses = new List<Witness>();
        for (var i = 0; i < settings.Witnesses.Count; i++)
        {
            var w = settings.Witnesses[i];
            if (!Uri.TryCreate(w.Url.TrimEnd('/') + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new InvalidDataException($"{settingsPath}: witnessing.witnesses[{i}].url must be an http(s) URL, got \"{w.Url}\"");
            NoteVerifier key;
            try { key = NoteVerifier.Parse(w.Key.Trim()); }
            catch (MalformedNoteKeyException e) { throw new InvalidDataException($"{settingsPath}: witnessing.witnesses[{i}].key: {e.Message}", e); }
            if (!key.IsCosigner)
                throw new InvalidDataException($"{settingsPath}: witnessing.witnesses[{i}].key is type 0x01; a witness's key is type 0x04 (its witness-key.pub)");
            witnesses.Add(new Witness(new Uri(url, AddCheckpointRequest.Path), key));
        }
        return new WitnessCollector(log, [.. witnesses], TimeSpan.FromSeconds(settings.TimeoutSeconds), logger, time);
    }

    /// <summary>The note of <paramref name="checkpoint"/> with the cosignatures its round collected (starting the round if needed).</summary>
    public Task<byte[]> CosignedAsync(SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        lock (_lock)
        {
            var size = checkpoint.Checkpoint.TreeSize;
            if (_round is { } r && r.Size > size) return Task.FromResult(checkpoint.NoteBytes.ToArray());
            if (_round is { } same && same.Size == size
                && !(same.Round.IsCompletedSuccessfully && !same.Round.Result.All && _time.GetElapsedTime(same.Started) > RetryAfter))
                return NoteOf(same.Round);
            var round = Task.Run(() => RoundAsync(checkpoint));
            _round = (size, round, _time.GetTimestamp());
            return NoteOf(round);
        }

        static async Task<byte[]> NoteOf(Task<(byte[] Note, bool All)> round) => (await round.ConfigureAwait(false)).Note;
    }

    private async Task<(byte[] Note, bool All)> RoundAsync(SignedCheckpoint checkpoint)
    {
        var lines = await Task.WhenAll(_witnesses.Select(w => CosignAsync(w, checkpoint))).ConfigureAwait(false);
        return ([.. checkpoint.NoteBytes.Span, .. lines.Where(l => l is not null).SelectMany(l => l!)], lines.All(l => l is not null));
    }

    /// <summary>One witness's verified cosignature line (UTF-8) on <paramref name="checkpoint"/>, or null (logged).</summary>
    private async Task<byte[]?> CosignAsync(Witness witness, SignedCheckpoint checkpoint)
    {
        var size = checkpoint.Checkpoint.TreeSize;
        using var cts = new CancellationTokenSource(_timeout);
        try
        {
            await witness.Gate.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Failed(_logger, witness.Key.Name, size, "busy with an earlier checkpoint past the timeout");
            return null;
        }
        try
        {
            // At most two requests: the first tells a witness we know nothing of (after a restart) its size (409).
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var old = witness.Size;
                if (old > size) return null; // it cosigned a newer one already
                var proof = old == 0 || old == size ? [] : _log.Tree.ConsistencyProof(old, size);
                var body = new AddCheckpointRequest(old, proof, checkpoint.NoteBytes.ToArray()).ToBytes();
                using var content = new ByteArrayContent(body);
                using var resp = await _http.PostAsync(witness.Url, content, cts.Token).ConfigureAwait(false);
                var text = await resp.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
                if (resp.StatusCode == System.Net.HttpStatusCode.Conflict && AddCheckpointRequest.ParseSize(text) is { } known)
                {
                    witness.Size = known;
                    continue;
                }
                if (!resp.IsSuccessStatusCode)
                {
                    Failed(_logger, witness.Key.Name, size, $"HTTP {(int)resp.StatusCode}: {Truncate(text)}");
                    return null;
                }
                var line = System.Text.Encoding.UTF8.GetBytes(text);
                byte[] cosigned = [.. checkpoint.NoteBytes.Span, .. line];
                if (!Checkpoint.Open(cosigned, _log.Verifier, [witness.Key]).Note.IsSignedBy(witness.Key))
                {
                    Failed(_logger, witness.Key.Name, size, "its answer holds no cosignature by its key");
                    return null;
                }
                witness.Size = size;
                // Keep only its own lines: the answer may hold other keys' lines that we did not verify.
                return System.Text.Encoding.UTF8.GetBytes(string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Where(l => l.StartsWith($"{Note.SignaturePrefix}{witness.Key.Name} ", StringComparison.Ordinal)).Select(l => l + "\n")));
            }
            Failed(_logger, witness.Key.Name, size, "it answered 409 twice");
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or TlogException or IOException)
        {
            Failed(_logger, witness.Key.Name, size, e is OperationCanceledException ? $"no answer within {_timeout.TotalSeconds:0.###} s" : e.Message);
            return null;
        }
        finally
        {
            witness.Gate.Release();
        }
    }

    private static string Truncate(string s) => (s.Length <= 200 ? s : s[..200] + "…").ReplaceLineEndings(" ").Trim();

    public void Dispose()
    {
        _timer.Dispose();
        _http.Dispose();
        foreach (var w in _witnesses) w.Gate.Dispose();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "witness {Witness} did not cosign the checkpoint of size {Size}: {Reason}")]
    private static partial void Failed(ILogger logger, string witness, long size, string reason);

    /// <summary>One witness and the size it last cosigned for us (0 until known), its requests one at a time.</summary>
    private sealed class Witness(Uri url, NoteVerifier key)
    {
        public Uri Url { get; } = url;
        public NoteVerifier Key { get; } = key;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public long Size { get; set; }
    }
}
