using System.Runtime.CompilerServices;

// The full RFC 9180 engine (all modes, both KEMs, three AEADs) stays internal; the tests run it on the
// published vectors.
[assembly: InternalsVisibleTo("Sp.Crypto.Tests")]
