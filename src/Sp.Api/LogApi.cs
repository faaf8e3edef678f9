namespace Sp.Api;

/// <summary>
/// <c>GET /api/log</c>: the node's log identity (what a client pins when its configuration is created) and where
/// its tiles are served. The checkpoint itself is always read from <c>LogUrl/checkpoint</c> and verified.
/// </summary>
public sealed record LogInfo(string Origin, string VerifierKey, string LogUrl, long TreeSize);

/// <summary><c>GET /api/state/digest</c>: SHA-256 of the RFC 8785 form of the marketplace state at a height.</summary>
public sealed record StateDigest(long Height, string Digest);
