using System.Security.Cryptography;
using System.Text;
using Sp.Core;
using Sp.Tlog;

namespace Sp.Witness;

/// <summary>An answer to <c>add-checkpoint</c>: the HTTP status, its body and content type.</summary>
public sealed record AddResult(int Status, string Body, string ContentType = AddResult.Text)
{
    public const string Text = "text/plain; charset=utf-8";
    public bool Cosigned => Status == 200;
}

/// <summary>
/// A C2SP tlog-witness: for each log it knows (by origin and key), the latest checkpoint it cosigned. A new
/// checkpoint is cosigned only if it is signed by the log's key, its old size is the witness's size and the
/// consistency proof takes the witness's root to the new one; the new checkpoint is persisted
/// (<see cref="DurableFile"/>) before the cosignature is returned, under one lock, so two requests cannot both
/// pass the check and a crash never makes the witness forget a size it cosigned.
/// </summary>
public sealed class Witness(Cosigner key, IReadOnlyDictionary<string, NoteVerifier> logs, string stateDir, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SignedCheckpoint?> _latest = new(StringComparer.Ordinal);

    public Cosigner Key { get; } = key;

    /// <summary>Handles one <c>add-checkpoint</c> body; <paramref name="refused"/> hears about every refusal of a signed checkpoint (evidence).</summary>
    public AddResult Add(ReadOnlySpan<byte> body, Action<string>? refused = null)
    {
        AddCheckpointRequest request;
        string origin;
        try
        {
            request = AddCheckpointRequest.Parse(body);
            origin = Checkpoint.Parse(Note.ParseUnverified(request.Checkpoint).Text).Origin;
        }
        catch (TlogException e)
        {
            return new AddResult(400, e.Message + "\n");
        }
        if (!logs.TryGetValue(origin, out var logKey)) return new AddResult(404, $"unknown log origin \"{origin}\"\n");
        SignedCheckpoint fresh;
        try
        {
            fresh = Checkpoint.Open(request.Checkpoint, logKey);
        }
        catch (MalformedCheckpointException e)
        {
            return new AddResult(400, e.Message + "\n");
        }
        catch (TlogException e)
        {
            return new AddResult(403, $"the checkpoint is not signed by the log key {logKey.Name}+{logKey.KeyHash:x8}: {e.Message}\n");
        }
        lock (_lock)
        {
            var latest = Latest(origin, logKey);
            var failure = Judge(request, fresh.Checkpoint, latest?.Checkpoint);
            if (failure is not null)
            {
                if (failure.Status is 409 or 422)
                    refused?.Invoke($"refused checkpoint of {origin} at size {fresh.Checkpoint.TreeSize} (old size {request.OldSize}; cosigned size {latest?.Checkpoint.TreeSize ?? 0}): {failure.Status} {failure.Body.TrimEnd()}");
                return failure;
            }
            var line = Key.SignatureLine(fresh.Checkpoint.ToText(), time.GetUtcNow().ToUnixTimeSeconds());
            byte[] cosigned = [.. request.Checkpoint, .. Encoding.UTF8.GetBytes(line)];
            DurableFile.Replace(StatePath(origin), cosigned); // persisted before anyone sees the cosignature
            _latest[origin] = Checkpoint.Open(cosigned, logKey);
            return new AddResult(200, line);
        }
    }

    /// <summary>
    /// The tlog-witness checks of a checkpoint signed by its log against the latest one cosigned (null: none):
    /// null when it may be cosigned, else the refusal (400, 409 with the witness's size, 422).
    /// </summary>
    public static AddResult? Judge(AddCheckpointRequest request, Checkpoint fresh, Checkpoint? latest)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(fresh);
        var size = fresh.TreeSize;
        if (request.OldSize > size) return new AddResult(400, $"old size {request.OldSize} is larger than the checkpoint's size {size}\n");
        var known = latest?.TreeSize ?? 0;
        if (request.OldSize != known)
            return new AddResult(409, $"{known}\n", AddCheckpointRequest.SizeContentType);
        if (size == 0 && fresh.RootHash != MerkleHash.Empty)
            return new AddResult(422, "a checkpoint of size 0 must have the empty tree's root\n");
        if (request.OldSize == 0)
            return request.Proof.Count == 0 ? null : new AddResult(422, "the consistency proof from size 0 must be empty\n");
        if (request.OldSize == size)
        {
            if (request.Proof.Count != 0) return new AddResult(422, "the consistency proof between equal sizes must be empty\n");
            return fresh.RootHash == latest!.RootHash ? null
                : new AddResult(422, $"the checkpoint of size {size} has root {fresh.RootHash}, but the one cosigned at that size has root {latest.RootHash}\n");
        }
        try
        {
            ProofVerifier.VerifyConsistency(request.OldSize, size, request.Proof, latest!.RootHash, fresh.RootHash);
            return null;
        }
        catch (InvalidProofException e)
        {
            return new AddResult(422, $"the consistency proof from size {request.OldSize} to {size} does not verify: {e.Message}\n");
        }
    }

    /// <summary>The latest checkpoint cosigned for the log whose origin hashes (SHA-256, lower-case hex) to <paramref name="originHash"/>, with its cosignature.</summary>
    public byte[]? LatestNote(string originHash)
    {
        foreach (var (origin, logKey) in logs)
        {
            if (!string.Equals(OriginHash(origin), originHash, StringComparison.Ordinal)) continue;
            lock (_lock) return Latest(origin, logKey)?.NoteBytes.ToArray();
        }
        return null;
    }

    /// <summary>The latest cosigned size of each log (for the start-up line).</summary>
    public IEnumerable<(string Origin, long Size)> Sizes()
    {
        lock (_lock) return logs.Select(l => (l.Key, Latest(l.Key, l.Value)?.Checkpoint.TreeSize ?? 0)).ToList();
    }

    public static string OriginHash(string origin) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)));

    private string StatePath(string origin) => Path.Combine(stateDir, OriginHash(origin) + ".checkpoint");

    private SignedCheckpoint? Latest(string origin, NoteVerifier logKey)
    {
        if (_latest.TryGetValue(origin, out var cached)) return cached;
        var path = StatePath(origin);
        SignedCheckpoint? latest = null;
        if (File.Exists(path))
        {
            try
            {
                latest = Checkpoint.Open(File.ReadAllBytes(path), logKey, [Key.Verifier]);
            }
            catch (TlogException e)
            {
                // Never start over from size 0: that would let the log roll back what this witness cosigned.
                throw new InvalidDataException($"{path}: the latest cosigned checkpoint of {origin} does not verify: {e.Message}", e);
            }
        }
        _latest[origin] = latest;
        return latest;
    }
}
