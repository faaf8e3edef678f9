using System.Security.Cryptography.X509Certificates;

namespace Sp.Attestation.Vendor;

/// <summary>One AMD product's pinned VCEK signing chain: ASK (intermediate) and ARK (self-signed root).</summary>
public sealed class AmdProductRoots
{
    public AmdProductRoots(string product, X509Certificate2 ask, X509Certificate2 ark)
    {
        Product = product;
        Ask = ask;
        Ark = ark;
    }

    /// <summary>Product name as AMD KDS spells it: "Milan", "Genoa", "Turin".</summary>
    public string Product { get; }
    public X509Certificate2 Ask { get; }
    public X509Certificate2 Ark { get; }

    /// <summary>Reads a KDS cert_chain PEM: ASK first, then ARK.</summary>
    public static AmdProductRoots FromPem(string product, string askArkPem)
    {
        var certs = PinnedChain.ParsePemCertificates($"AMD {product} cert_chain", askArkPem);
        if (certs.Count != 2)
            throw new AttestationException(AttestationReasons.Malformed,
                $"AMD {product} cert_chain: expected 2 certificates (ASK, ARK), got {certs.Count}");
        return new AmdProductRoots(product, certs[0], certs[1]);
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
        AmdProductRoots.FromPem("Genoa", VendorRootPems.AmdAskArkGenoa),
        AmdProductRoots.FromPem("Turin", VendorRootPems.AmdAskArkTurin),
    ]);

    /// <summary>Intel SGX Root CA: root of the TDX PCK chain and of the TCB signing chain.</summary>
    public static X509Certificate2 IntelSgxRootCa => s_intel.Value;

    /// <summary>AMD ASK/ARK for Milan, Genoa and Turin.</summary>
    public static IReadOnlyList<AmdProductRoots> Amd => s_amd.Value;
}
