using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tdx;

/// <summary>
/// Verifies an Intel TDX quote (v4/v5, ECDSA P-256): the quote signature by the attestation key, the QE report
/// signature by the PCK leaf, the binding of the attestation key into the QE report data, and the PCK chain
/// carried in the quote to the pinned Intel SGX Root CA, as of the given time, offline. With
/// <see cref="TdxCollateral"/> it also evaluates the TCB level and revocation; without, "tcb_status" says
/// "not evaluated". Policy (allowed MRTD, debug) is not applied here.
/// </summary>
public sealed class TdxVerifier : IEvidenceVerifier
{
    public const string TcbNotEvaluated = "not evaluated";
    private const int P256CoordinateSize = 32;
    private const int KeyBindingHashSize = 32;

    private readonly X509Certificate2 _root;
    private readonly TdxCollateral? _collateral;

    /// <param name="collateral">TCB Info, QE Identity, CRLs; null to check only signatures and the chain.</param>
    /// <param name="intelRoot">The pinned root; defaults to the built-in Intel SGX Root CA.</param>
    public TdxVerifier(TdxCollateral? collateral = null, X509Certificate2? intelRoot = null)
    {
        _collateral = collateral;
        _root = intelRoot ?? VendorRoots.IntelSgxRootCa;
    }

    public string Type => EvidenceTypes.Tdx;

    public VerifiedEvidence Verify(Evidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Type != EvidenceTypes.Tdx)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"evidence type '{evidence.Type}' given to the TDX verifier, expected '{EvidenceTypes.Tdx}'");
        return Verify(TdxQuote.Parse(evidence.Data), now);
    }

    public VerifiedEvidence Verify(TdxQuote quote, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(quote);
        // 1. Quote signature over header + body by the attestation key.
        using (var attestationKey = ImportP256(quote.AttestationKey, "attestation key"))
        {
            if (!attestationKey.VerifyData(quote.SignedArea, quote.QuoteSignature, HashAlgorithmName.SHA256,
                    DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new AttestationException(AttestationReasons.BadQuoteSignature,
                    $"TDX quote signature over bytes 0..0x{quote.SignedArea.Length:x} does not verify with the attestation key in the quote");
        }

        // 2. PCK chain to the pinned root.
        var certs = PinnedChain.ParsePemCertificates("PCK certificate chain", quote.PckCertChainText);
        if (certs.Count == 0)
            throw new AttestationException(AttestationReasons.IncompleteChain,
                "PCK certificate chain: the quote's certification data (type 5) holds no certificate");
        var leaf = certs[0];
        var chain = PinnedChain.Verify("PCK certificate chain", leaf, certs.Skip(1), _root, now);

        // 3. QE report signed by the PCK leaf.
        using (var pckKey = leaf.GetECDsaPublicKey()
               ?? throw new AttestationException(AttestationReasons.Chain, $"PCK leaf '{leaf.Subject}' has no ECDSA key"))
        {
            if (!pckKey.VerifyData(quote.QeReportBytes, quote.QeReportSignature, HashAlgorithmName.SHA256,
                    DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new AttestationException(AttestationReasons.BadQeReportSignature,
                    "QE report signature does not verify with the PCK leaf certificate's key");
        }

        // 4. QE report data = SHA-256(attestation key || QE auth data) || 32 zero bytes.
        var expected = SHA256.HashData([.. quote.AttestationKey, .. quote.QeAuthData]);
        var reportData = quote.QeReport.ReportData;
        if (!reportData.AsSpan(0, KeyBindingHashSize).SequenceEqual(expected)
            || reportData.AsSpan(KeyBindingHashSize).ContainsAnyExcept((byte)0))
            throw new AttestationException(AttestationReasons.AttestationKeyBinding,
                $"QE report data {Convert.ToHexStringLower(reportData)} is not SHA-256(attestation key || QE auth data) = " +
                $"{Convert.ToHexStringLower(expected)} followed by zeros");

        var pck = PckCertificateExtensions.Read(leaf);
        var fields = DescribeFields(quote, pck);

        // 5. Collateral: TCB level and revocation.
        if (_collateral is null)
        {
            fields.Add(new("tcb_status", TcbNotEvaluated));
        }
        else
        {
            var evaluation = _collateral.Evaluate(quote, pck, chain, _root, now);
            fields.AddRange(evaluation.Fields);
        }

        return new VerifiedEvidence
        {
            Type = EvidenceTypes.Tdx,
            ReportData = quote.Body.ReportData,
            Measurement = Convert.ToHexStringLower(quote.Body.MrTd),
            Debug = quote.Body.Debug,
            Fields = fields,
        };
    }

    private static List<KeyValuePair<string, string>> DescribeFields(TdxQuote quote, PckCertificateExtensions pck)
    {
        static string Hex(byte[] b) => Convert.ToHexStringLower(b);
        var b = quote.Body;
        var fields = new List<KeyValuePair<string, string>>
        {
            new("quote_version", quote.Header.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("qe_vendor_id", Hex(quote.Header.QeVendorId)),
            new("mrtd", Hex(b.MrTd)),
        };
        for (var i = 0; i < b.Rtmrs.Count; i++)
            fields.Add(new($"rtmr{i}", Hex(b.Rtmrs[i])));
        fields.Add(new("td_attributes", Hex(b.TdAttributes)));
        fields.Add(new("xfam", Hex(b.Xfam)));
        fields.Add(new("mrconfigid", Hex(b.MrConfigId)));
        fields.Add(new("mrowner", Hex(b.MrOwner)));
        fields.Add(new("mrownerconfig", Hex(b.MrOwnerConfig)));
        fields.Add(new("tee_tcb_svn", Hex(b.TeeTcbSvn)));
        // The 16 TDX TCB components one by one, as numbers: a policy's minimumFields can require a minimum TCB
        // (Intel's TCB levels compare them component by component).
        for (var i = 0; i < b.TeeTcbSvn.Length; i++)
            fields.Add(new($"tdx_tcb_component_{i:00}", b.TeeTcbSvn[i].ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (b.TeeTcbSvn2 is not null)
            fields.Add(new("tee_tcb_svn_2", Hex(b.TeeTcbSvn2)));
        if (b.MrServiceTd is not null)
            fields.Add(new("mrservicetd", Hex(b.MrServiceTd)));
        fields.Add(new("mrseam", Hex(b.MrSeam)));
        fields.Add(new("mrsignerseam", Hex(b.MrSignerSeam)));
        fields.Add(new("seam_attributes", Hex(b.SeamAttributes)));
        fields.Add(new("fmspc", Hex(pck.Fmspc)));
        fields.Add(new("pce_id", Hex(pck.PceId)));
        fields.Add(new("pce_svn", pck.PceSvn.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        fields.Add(new("qe_isv_svn", quote.QeReport.IsvSvn.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return fields;
    }

    private static ECDsa ImportP256(byte[] xy, string what)
    {
        if (xy.Length != 2 * P256CoordinateSize)
            throw new AttestationException(AttestationReasons.Malformed, $"{what}: expected 64 bytes X||Y, got {xy.Length}");
        try
        {
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = xy[..P256CoordinateSize], Y = xy[P256CoordinateSize..] },
            });
        }
        catch (CryptographicException e)
        {
            throw new AttestationException(AttestationReasons.BadQuoteSignature, $"{what}: not a point on P-256 ({e.Message})");
        }
    }
}
