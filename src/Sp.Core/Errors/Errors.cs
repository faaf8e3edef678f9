using System.Net;

namespace Sp.Core;

/// <summary>
/// A failure that says what happened, printed by the CLIs as one line plus a hint (docs/errors.md). Four kinds,
/// each its own type so callers choose by type, never by message text:
/// <list type="bullet">
/// <item><see cref="UserError"/>: bad input or environment (a missing file, a malformed id); fix and run again.</item>
/// <item><see cref="NodeRefusedError"/>: the node answered and refused, with its reason and HTTP status.</item>
/// <item><see cref="TransientError"/>: the node could not be reached, was busy or timed out; the only kind ever retried.</item>
/// <item><see cref="IntegrityError"/>: something that must verify did not; never retried, never swallowed.</item>
/// </list>
/// </summary>
public abstract class SpError(string message, string? hint = null, Exception? inner = null) : Exception(message, inner)
{
    public string? Hint { get; } = hint;

    /// <summary>The message and its hint as the one line a command prints on stderr (cli-reference: one line).</summary>
    public string OneLine => (Hint is null ? Message : $"{Message} (hint: {Hint})").ReplaceLineEndings(" ");
}

/// <summary>A failure caused by the user's input or environment: printed as one line plus a hint.</summary>
public class UserError(string message, string? hint = null) : SpError(message, hint);

/// <summary>
/// The node answered and refused the request: <see cref="Reason"/> is its <c>error</c> text (or the status line when
/// it gave none), <see cref="Status"/> the HTTP status and <see cref="Code"/> its machine-readable <c>code</c>, when it
/// sent one. Not retried: the same request would be refused again.
/// </summary>
public class NodeRefusedError(HttpStatusCode status, string reason, string? code = null, string? hint = null) : SpError(reason, hint)
{
    public HttpStatusCode Status { get; } = status;
    public string Reason { get; } = reason;
    public string? Code { get; } = code;
}

/// <summary>
/// A failure that may not happen again: the only kind a retry policy retries (<see cref="Resilience.Retries"/>).
/// </summary>
public abstract class TransientError(string message, string? hint = null, Exception? inner = null) : SpError(message, hint, inner);

/// <summary>
/// The node (or the log's server) could not be reached, the connection broke or the request timed out. Transient:
/// the loader and the client retry this type, never a refusal.
/// </summary>
public sealed class NodeUnreachableError(string message, string? hint = null, Exception? inner = null) : TransientError(message, hint, inner);

/// <summary>
/// The node answered 503 with Retry-After: it did not take the request (its sequencer's queue is full).
/// <see cref="RetryAfter"/> is the delay it asked for.
/// </summary>
public sealed class NodeBusyError(string reason, TimeSpan retryAfter) : TransientError(reason)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The node refused a transaction because its nonce was taken meanwhile (code <c>nonce_conflict</c>): another
/// transaction of the same account came first. Transient for a sender that signs again with a fresh nonce.
/// </summary>
public sealed class NonceConflictError(string reason) : TransientError(reason);

/// <summary>
/// Something that must verify did not: a log that contradicts itself, a signature, a hash. Never retried, and never a
/// <see cref="UserError"/> or a <see cref="NodeRefusedError"/>, so no catch meant for bad input or a refusal swallows
/// it: the loader stops, a CLI exits 1.
/// </summary>
public class IntegrityError(string message, string? hint = null) : SpError(message, hint);

/// <summary>
/// The network's transparency log contradicts what this client verified before, or a transaction the node
/// acknowledged is not in it: a checkpoint that does not verify, a rollback, a fork, a rewritten history, a missing
/// or altered entry. Whoever sees it stops (the conflicting checkpoint is kept as evidence).
/// </summary>
public sealed class LogIntegrityError(string message, string? hint = null) : IntegrityError(message, hint);
