using System.Security.Cryptography.X509Certificates;

namespace Sp.Attestation.Vendor;

/// <summary>
/// One AMD product's pinned chain: the ARK (self-signed root, the trust anchor), the ASK that signs VCEKs (one per
/// chip), and, where built in, the ASVK that signs VLEKs (one per cloud provider, loaded into its hosts).
/// </summary>
public sealed class AmdProductRoots
{
    public AmdProductRoots(string product, X509Certificate2 ask, X509Certificate2 ark, X509Certificate2? asvk = null)
    {
        Product = product;
        Ask = ask;
        Ark = ark;
        Asvk = asvk;
    }

    /// <summary>Product name as AMD KDS spells it: "Milan", "Genoa", "Turin".</summary>
    public string Product { get; }
    public X509Certificate2 Ask { get; }
    public X509Certificate2 Ark { get; }
    /// <summary>The VLEK signing key's certificate; null when not built in (evidence may carry it, see SevSnpVerifier).</summary>
    public X509Certificate2? Asvk { get; }

    /// <summary>Reads a KDS cert_chain PEM: ASK first, then ARK; and optionally the product's ASVK (one PEM).</summary>
    public static AmdProductRoots FromPem(string product, string askArkPem, string? asvkPem = null)
    {
        var certs = PinnedChain.ParsePemCertificates($"AMD {product} cert_chain", askArkPem);
        if (certs.Count != 2)
            throw new AttestationException(AttestationReasons.Malformed,
                $"AMD {product} cert_chain: expected 2 certificates (ASK, ARK), got {certs.Count}");
        var asvk = asvkPem is null ? null : PinnedChain.ParsePemCertificates($"AMD {product} ASVK", asvkPem).Single();
        return new AmdProductRoots(product, certs[0], certs[1], asvk);
    }
}

/// <summary>The vendor roots built into the program (see <see cref="VendorRootPems"/>).</summary>
public static class VendorRoots
{
    private static readonly Lazy<X509Certificate2> s_intel = new(() =>
        PinnedChain.ParsePemCertificates("Intel SGX Root CA", VendorRootPems.IntelSgxRootCa).Single());

    private static readonly Lazy<IReadOnlyList<AmdProductRoots>> s_amd = new(() =>
    [
        AmdProductRoots.FromPem("Milan", VendorRootPems.AmdAskArkMilan),
        AmdProductRoots.FromPem("Genoa", VendorRootPems.AmdAskArkGenoa, VendorRootPems.AmdAsvkGenoa),
        AmdProductRoots.FromPem("Turin", VendorRootPems.AmdAskArkTurin, VendorRootPems.AmdAsvkTurin),
    ]);

    /// <summary>Intel SGX Root CA: root of the TDX PCK chain and of the TCB signing chain.</summary>
    public static X509Certificate2 IntelSgxRootCa => s_intel.Value;

    /// <summary>AMD ASK/ARK for Milan, Genoa and Turin; the ASVK for Genoa and Turin.</summary>
    public static IReadOnlyList<AmdProductRoots> Amd => s_amd.Value;
}
