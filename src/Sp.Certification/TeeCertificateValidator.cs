using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;

namespace Sp.Certification;

/// <param name="Account">The TEE's ledger account ("0x" + 40 lowercase hex digits), bound in its evidence.</param>
public sealed record ValidatedTee(byte[] EncryptionPublicKey, VerifiedEvidence Evidence, X509Certificate2 Certificate, string Account);

/// <summary>
/// What a client does before sealing inputs to a TEE: the TEE certificate chains to the pinned root (and only
/// to it: no system store, no downloads, no revocation), and the evidence it embeds passes policy and binds
/// the certificate's key and the embedded encryption key.
/// </summary>
public static class TeeCertificateValidator
{
    public static ValidatedTee Validate(string teeChainPem, X509Certificate2 pinnedRoot, AttestationPolicy policy,
        IEnumerable<IEvidenceVerifier> verifiers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pinnedRoot);
        var certificates = Pem.ReadCertificates(teeChainPem);
        var tee = certificates[0];
        try
        {
            if (certificates.Count > 2)
                throw new CertificateValidationException(CertificateReasons.ChainInvalid,
                    $"TEE chain: expected the TEE certificate and at most the root, got {certificates.Count} certificates");
            if (certificates.Count == 2 && !certificates[1].RawData.AsSpan().SequenceEqual(pinnedRoot.RawData))
                throw ForeignRoot(certificates[1], pinnedRoot);
            ChainValidation.BuildChain([tee], pinnedRoot, now);
            return CheckTee(tee, policy, verifiers, now);
        }
        catch
        {
            tee.Dispose();
            throw;
        }
        finally
        {
            foreach (var extra in certificates.Skip(1)) extra.Dispose();
        }
    }

    /// <summary>The checks of a TEE certificate itself, its chain apart: CA pathlen 0, evidence, binding.</summary>
    internal static ValidatedTee CheckTee(X509Certificate2 tee, AttestationPolicy policy, IEnumerable<IEvidenceVerifier> verifiers,
        DateTimeOffset at)
    {
        if (tee.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()
            is not { CertificateAuthority: true, HasPathLengthConstraint: true, PathLengthConstraint: 0 })
            throw new CertificateValidationException(CertificateReasons.NotATeeCertificate,
                $"certificate '{tee.Subject}' is not a TEE certificate (expected a CA certificate with path length 0)");
        var evidence = SpExtensions.DecodeEvidence(tee);
        var encryptionKey = SpExtensions.DecodeEncryptionKey(tee);
        var account = SpExtensions.DecodeTeeAccount(tee);
        var expected = TeeKeyBinding.ReportData(tee.PublicKey.ExportSubjectPublicKeyInfo(), encryptionKey, account);
        try
        {
            var verified = EvidenceChecker.Check(evidence, policy, verifiers, at, expected);
            return new ValidatedTee(encryptionKey, verified, tee, "0x" + Convert.ToHexStringLower(account));
        }
        catch (AttestationException e)
        {
            throw new CertificateValidationException(e.Reason,
                $"TEE certificate '{tee.Subject}': its {evidence.Type} evidence is refused: {e.Message}", e);
        }
    }

    /// <summary>
    /// What the ledger checks of a TEE certificate chain before it lets the TEE's account move orders: the TEE
    /// certificate chains to <paramref name="root"/> at <paramref name="at"/> (the ledger entry's time, so replay gives
    /// the same answer), is a TEE certificate (CA, path length 0) and names its account. The evidence is not re-checked
    /// here: the CA checked it when it issued the certificate, and a policy may change while the ledger's history may not.
    /// Returns the TEE's account ("0x" + 40 lowercase hex digits); throws <see cref="CertificateValidationException"/>.
    /// </summary>
    public static string ReadLedgerAccount(string teeChainPem, X509Certificate2 root, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(root);
        var certificates = Pem.ReadCertificates(teeChainPem);
        try
        {
            if (certificates.Count > 2)
                throw new CertificateValidationException(CertificateReasons.ChainInvalid,
                    $"TEE chain: expected the TEE certificate and at most the root, got {certificates.Count} certificates");
            if (certificates.Count == 2 && !certificates[1].RawData.AsSpan().SequenceEqual(root.RawData))
                throw ForeignRoot(certificates[1], root);
            var tee = certificates[0];
            ChainValidation.BuildChain([tee], root, at);
            if (tee.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()
                is not { CertificateAuthority: true, HasPathLengthConstraint: true, PathLengthConstraint: 0 })
                throw new CertificateValidationException(CertificateReasons.NotATeeCertificate,
                    $"certificate '{tee.Subject}' is not a TEE certificate (expected a CA certificate with path length 0)");
            return SpExtensions.DecodeTeeAccountAddress(tee);
        }
        finally
        {
            foreach (var c in certificates) c.Dispose();
        }
    }

    internal static CertificateValidationException ForeignRoot(X509Certificate2 root, X509Certificate2 pinnedRoot) =>
        new(CertificateReasons.ForeignRoot,
            $"the chain ends in root '{root.Subject}' (SHA-256 {root.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()}), " +
            $"not the pinned root '{pinnedRoot.Subject}' (SHA-256 {pinnedRoot.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()})");
}

internal static class ChainValidation
{
    /// <summary>
    /// Builds leaf -> ... -> pinned root with X509Chain in CustomRootTrust mode, at the given time, offline.
    /// <paramref name="path"/> is the leaf first, then the intermediates expected, in order.
    /// </summary>
    public static void BuildChain(IReadOnlyList<X509Certificate2> path, X509Certificate2 pinnedRoot, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pinnedRoot);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        foreach (var intermediate in path.Skip(1)) chain.ChainPolicy.ExtraStore.Add(intermediate);
        var ok = chain.Build(path[0]);
        var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        try
        {
            if (!ok)
            {
                var problems = chain.ChainStatus.Select(s => $"{s.Status} ({s.StatusInformation.Trim()})");
                throw new CertificateValidationException(CertificateReasons.ChainInvalid,
                    $"certificate '{path[0].Subject}' does not chain to the pinned root '{pinnedRoot.Subject}' at {at:u}: {string.Join("; ", problems)}");
            }
            // The chain must be exactly the path given, then the pinned root: nothing substituted.
            var expected = path.Append(pinnedRoot).ToList();
            if (elements.Count != expected.Count || !elements.Zip(expected).All(p => p.First.RawData.AsSpan().SequenceEqual(p.Second.RawData)))
                throw new CertificateValidationException(CertificateReasons.ChainInvalid,
                    $"certificate '{path[0].Subject}': the chain built has {elements.Count} certificates, expected {expected.Count} (leaf, issuer(s), pinned root)");
        }
        finally
        {
            foreach (var e in elements) e.Dispose();
        }
    }
}
