namespace Sp.Tlog;

/// <summary>Base of every failure this namespace reports about untrusted data (proofs, notes, tiles).</summary>
public class TlogException : Exception
{
    public TlogException(string message) : base(message)
    {
    }

    public TlogException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>A proof that does not prove what it claims.</summary>
public class InvalidProofException : TlogException
{
    public InvalidProofException(string message) : base(message)
    {
    }
}

/// <summary>A proof with the wrong number of hashes for its index and sizes.</summary>
public sealed class ProofLengthException : InvalidProofException
{
    public ProofLengthException(string proofKind, int got, int want)
        : base($"wrong {proofKind} proof size {got}, want {want}")
    {
        Got = got;
        Want = want;
    }

    public int Got { get; }

    public int Want { get; }
}

/// <summary>A proof whose recomputed root differs from the root it was checked against.</summary>
public sealed class RootMismatchException : InvalidProofException
{
    public RootMismatchException(string what, NodeHash computed, NodeHash expected)
        : base($"{what} mismatch: calculated {computed.ToBase64()}, want {expected.ToBase64()}")
    {
        Computed = computed;
        Expected = expected;
    }

    /// <summary>The root recomputed from the proof ("got").</summary>
    public NodeHash Computed { get; }

    /// <summary>The trusted root ("want").</summary>
    public NodeHash Expected { get; }
}

/// <summary>A signed note that cannot be parsed (C2SP signed-note).</summary>
public sealed class MalformedNoteException : TlogException
{
    public MalformedNoteException(string message) : base($"malformed note: {message}")
    {
    }
}

/// <summary>A note key (signer or verifier) in the wrong format.</summary>
public sealed class MalformedNoteKeyException : TlogException
{
    public MalformedNoteKeyException(string message) : base($"malformed note key: {message}")
    {
    }
}

/// <summary>A signature by a known key that does not verify: the note was altered or forged.</summary>
public sealed class InvalidNoteSignatureException : TlogException
{
    public InvalidNoteSignatureException(string keyName, uint keyHash)
        : base($"invalid signature for key {keyName}+{keyHash:x8}")
    {
        KeyName = keyName;
        KeyHash = keyHash;
    }

    public string KeyName { get; }

    public uint KeyHash { get; }
}

/// <summary>A well-formed note without any signature by a key the caller trusts.</summary>
public sealed class UnverifiedNoteException : TlogException
{
    public UnverifiedNoteException(string detail) : base($"note has no verifiable signatures ({detail})")
    {
    }
}

/// <summary>A checkpoint body (C2SP tlog-checkpoint) that cannot be parsed, or one for another log.</summary>
public sealed class MalformedCheckpointException : TlogException
{
    public MalformedCheckpointException(string message) : base($"malformed checkpoint: {message}")
    {
    }
}

/// <summary>A tile or entry bundle that is missing or has the wrong contents.</summary>
public sealed class TileException : TlogException
{
    public TileException(string path, string message) : base($"tile {path}: {message}")
    {
        Path = path;
    }

    public TileException(string path, string message, Exception inner) : base($"tile {path}: {message}", inner)
    {
        Path = path;
    }

    /// <summary>The tile's path relative to the log URL, e.g. <c>tile/0/x001/234.p/7</c>.</summary>
    public string Path { get; }
}
