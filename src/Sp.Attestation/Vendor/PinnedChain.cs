using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sp.Attestation.Vendor;

/// <summary>
/// Builds an ECDSA certificate chain to one pinned root with <see cref="X509Chain"/> in custom-root-trust mode,
/// offline (no AIA downloads, no revocation fetch), as of a given time; failures become named reasons.
/// </summary>
internal static class PinnedChain
{
    /// <summary>
    /// Verifies <paramref name="leaf"/> through <paramref name="others"/> (intermediates, and maybe the sender's
    /// copy of the root) to <paramref name="pinnedRoot"/>. Returns the chain, leaf first, root last.
    /// </summary>
    public static IReadOnlyList<X509Certificate2> Verify(string what, X509Certificate2 leaf,
        IEnumerable<X509Certificate2> others, X509Certificate2 pinnedRoot, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pinnedRoot);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        foreach (var cert in others)
            chain.ChainPolicy.ExtraStore.Add(cert);

        var ok = chain.Build(leaf);
        var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        var top = elements[^1];
        var topIsPinned = top.RawData.AsSpan().SequenceEqual(pinnedRoot.RawData);
        if (ok && topIsPinned)
            return elements;

        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (acc, s) => acc | s.Status);
        var detail = string.Join("; ", chain.ChainStatus.Select(s => s.Status + ": " + s.StatusInformation.Trim()));
        var path = string.Join(" -> ", elements.Select(e => e.Subject));
        if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
            throw new AttestationException(AttestationReasons.Chain,
                $"{what}: a certificate signature in the chain does not verify ({path}): {detail}");
        var topSelfSigned = top.SubjectName.RawData.AsSpan().SequenceEqual(top.IssuerName.RawData);
        if ((flags & X509ChainStatusFlags.UntrustedRoot) != 0 || (topSelfSigned && !topIsPinned))
            throw new AttestationException(AttestationReasons.UntrustedRoot,
                $"{what}: chain ends at '{top.Subject}' (SHA-256 {top.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()}), " +
                $"expected the pinned root '{pinnedRoot.Subject}'");
        if ((flags & X509ChainStatusFlags.PartialChain) != 0)
            throw new AttestationException(AttestationReasons.IncompleteChain,
                $"{what}: chain stops at '{top.Subject}', whose issuer '{top.Issuer}' was not given ({path})");
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            throw new AttestationException(AttestationReasons.CertificateExpired,
                $"{what}: a certificate is not valid at {at:O} ({DescribeValidity(elements)})");
        throw new AttestationException(AttestationReasons.Chain, $"{what}: chain invalid ({path}): {detail}");
    }

    public static string DescribeValidity(IEnumerable<X509Certificate2> certs) =>
        string.Join("; ", certs.Select(c =>
            $"'{c.GetNameInfo(X509NameType.SimpleName, false)}' {c.NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}..{c.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}"));

    /// <summary>Reads every certificate of a PEM text, in order.</summary>
    public static List<X509Certificate2> ParsePemCertificates(string what, ReadOnlySpan<char> pem)
    {
        var result = new List<X509Certificate2>();
        while (PemEncoding.TryFind(pem, out var fields))
        {
            if (pem[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out _))
                    throw new AttestationException(AttestationReasons.Malformed, $"{what}: bad base64 in a PEM certificate");
                result.Add(LoadDer(what, der));
            }
            pem = pem[fields.Location.End..];
        }
        return result;
    }

    public static X509Certificate2 LoadDer(string what, byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new AttestationException(AttestationReasons.Malformed, $"{what}: not a DER X.509 certificate: {e.Message}");
        }
    }
}
