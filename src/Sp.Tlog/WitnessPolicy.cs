namespace Sp.Tlog;

/// <summary>
/// A client's witness policy: a checkpoint is trusted only with valid cosignatures (cosignature/v1) by at least
/// <see cref="Threshold"/> of <see cref="Witnesses"/>, so that a log cannot show one client a history the witnesses
/// never saw (a split view).
/// </summary>
public sealed class WitnessPolicy
{
    private WitnessPolicy(int threshold, IReadOnlyList<NoteVerifier> witnesses)
    {
        Threshold = threshold;
        Witnesses = witnesses;
    }

    public int Threshold { get; }

    public IReadOnlyList<NoteVerifier> Witnesses { get; }

    /// <summary>
    /// "k of these n" from verifier keys of type 0x04. Throws <see cref="MalformedNoteKeyException"/> naming the
    /// bad key (by position) or the impossible threshold.
    /// </summary>
    public static WitnessPolicy Parse(int threshold, IReadOnlyList<string> verifierKeys)
    {
        ArgumentNullException.ThrowIfNull(verifierKeys);
        var witnesses = new List<NoteVerifier>();
        for (var i = 0; i < verifierKeys.Count; i++)
        {
            NoteVerifier key;
            try
            {
                key = NoteVerifier.Parse(verifierKeys[i]?.Trim() ?? "");
            }
            catch (MalformedNoteKeyException e)
            {
                throw new MalformedNoteKeyException($"witness key {i + 1}: {e.Message}");
            }
            if (!key.IsCosigner)
            {
                throw new MalformedNoteKeyException($"witness key {i + 1} ({key.Name}) is type 0x01, a witness's cosigner key is type 0x04 (its witness-key.pub)");
            }
            if (witnesses.Any(w => w.Name == key.Name && w.KeyHash == key.KeyHash))
            {
                throw new MalformedNoteKeyException($"witness key {i + 1} ({key.Name}+{key.KeyHash:x8}) is listed twice");
            }
            witnesses.Add(key);
        }
        if (threshold < 1 || threshold > witnesses.Count)
        {
            throw new MalformedNoteKeyException($"the witness threshold must be between 1 and the number of witness keys ({witnesses.Count}), got {threshold}");
        }
        return new WitnessPolicy(threshold, witnesses);
    }

    /// <summary>The witnesses of the policy that validly cosigned <paramref name="checkpoint"/> (opened with them as known keys).</summary>
    public IReadOnlyList<NoteVerifier> CosignersOf(SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Witnesses.Where(checkpoint.Note.IsSignedBy).ToList();
    }

    /// <summary>
    /// Opens <paramref name="note"/> with the log key and the policy's witnesses (an invalid cosignature by one of
    /// them rejects it) and requires the threshold; throws <see cref="MissingCosignaturesException"/> naming the
    /// witnesses whose cosignatures are missing.
    /// </summary>
    public SignedCheckpoint Open(ReadOnlySpan<byte> note, NoteVerifier logKey)
    {
        var checkpoint = Checkpoint.Open(note, logKey, Witnesses);
        var cosigned = CosignersOf(checkpoint);
        if (cosigned.Count < Threshold)
        {
            var missing = Witnesses.Except(cosigned).Select(w => w.VerifierKey).ToList();
            throw new MissingCosignaturesException(checkpoint.Checkpoint.TreeSize, Threshold, Witnesses.Count, cosigned.Count, missing);
        }
        return checkpoint;
    }

    public override string ToString() => $"{Threshold} of {string.Join(", ", Witnesses.Select(w => $"{w.Name}+{w.KeyHash:x8}"))}";
}

/// <summary>A checkpoint without enough cosignatures for a client's witness policy.</summary>
public sealed class MissingCosignaturesException : TlogException
{
    public MissingCosignaturesException(long treeSize, int threshold, int of, int got, IReadOnlyList<string> missing)
        : base($"the checkpoint of tree size {treeSize} has {got} of the {threshold} witness cosignatures required ({threshold} of {of}); " +
               $"missing: {string.Join(", ", missing)}")
    {
        Missing = missing;
    }

    /// <summary>The verifier keys of the policy's witnesses that did not cosign.</summary>
    public IReadOnlyList<string> Missing { get; }
}
