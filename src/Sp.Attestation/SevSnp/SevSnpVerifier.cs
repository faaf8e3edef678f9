using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.SevSnp;

/// <summary>
/// Verifies an AMD SEV-SNP attestation report: the ECDSA P-384 signature over bytes 0..0x2A0 by the VCEK, the
/// VCEK -> ASK -> ARK chain (RSASSA-PSS, SHA-384, salt 48) to the pinned roots of the VCEK's product, validity
/// at the given time, and that the VCEK belongs to this chip (HWID = CHIP_ID) and TCB (= REPORTED_TCB).
/// The VCEK comes from the constructor or from the certificate table in the evidence (<see cref="SnpEvidenceData"/>).
/// </summary>
public sealed class SevSnpVerifier : IEvidenceVerifier
{
    public const string OidBlSpl = "1.3.6.1.4.1.3704.1.3.1";
    public const string OidTeeSpl = "1.3.6.1.4.1.3704.1.3.2";
    public const string OidSnpSpl = "1.3.6.1.4.1.3704.1.3.3";
    public const string OidUcodeSpl = "1.3.6.1.4.1.3704.1.3.8";
    public const string OidFmcSpl = "1.3.6.1.4.1.3704.1.3.9";
    public const string OidHwid = "1.3.6.1.4.1.3704.1.4";
    public const string OidProductName = "1.3.6.1.4.1.3704.1.2";
    private const int P384CoordinateSize = 48;

    private readonly byte[]? _vcekDer;
    private readonly IReadOnlyList<AmdProductRoots> _roots;

    /// <param name="vcekDer">The chip's VCEK (DER), when the evidence does not carry it.</param>
    /// <param name="roots">Pinned ASK/ARK per product; defaults to the built-in Milan, Genoa and Turin.</param>
    public SevSnpVerifier(byte[]? vcekDer = null, IReadOnlyList<AmdProductRoots>? roots = null)
    {
        _vcekDer = vcekDer;
        _roots = roots ?? VendorRoots.Amd;
    }

    public string Type => EvidenceTypes.SevSnp;

    public VerifiedEvidence Verify(Evidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Type != EvidenceTypes.SevSnp)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"evidence type '{evidence.Type}' given to the SEV-SNP verifier, expected '{EvidenceTypes.SevSnp}'");
        var reportBytes = SnpEvidenceData.Split(evidence.Data, out var certs);
        var report = SnpReport.Parse(reportBytes);
        var vcekDer = _vcekDer ?? certs.GetValueOrDefault(SnpEvidenceData.VcekGuid);
        return Verify(report, vcekDer, now);
    }

    public VerifiedEvidence Verify(SnpReport report, byte[]? vcekDer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.SignatureAlgo != SnpReport.SignatureAlgoEcdsaP384Sha384)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"SEV-SNP report: signature algorithm {report.SignatureAlgo}, expected 1 (ECDSA P-384 with SHA-384)");
        if (report.SigningKey != SnpReport.SigningKeyVcek)
            throw new AttestationException(AttestationReasons.MissingVcek,
                $"SEV-SNP report: signing key {report.SigningKey} ({(report.SigningKey == SnpReport.SigningKeyVlek ? "VLEK" : "none")}); " +
                "only VCEK-signed reports are verified (VLEK chains through an ASVK, which is not pinned)");
        if (vcekDer is null)
            throw new AttestationException(AttestationReasons.MissingVcek,
                "SEV-SNP report: no VCEK given (the report does not carry it: pass the chip's VCEK, e.g. --vcek FILE, " +
                "or a certificate table after the report)");
        var vcek = PinnedChain.LoadDer("VCEK", vcekDer);
        var product = VerifyChain(vcek, now);

        using (var key = vcek.GetECDsaPublicKey()
               ?? throw new AttestationException(AttestationReasons.Chain, $"VCEK '{vcek.Subject}' has no ECDSA key"))
        {
            if (key.KeySize != P384CoordinateSize * 8)
                throw new AttestationException(AttestationReasons.Chain, $"VCEK key is {key.KeySize}-bit, expected P-384");
            if (!key.VerifyData(report.SignedBytes, report.SignatureP1363(P384CoordinateSize), HashAlgorithmName.SHA384,
                    DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new AttestationException(AttestationReasons.BadReportSignature,
                    $"SEV-SNP report signature over bytes 0..0x{SnpReport.SignedSize:x} does not verify with the VCEK");
        }
        CheckVcekMatchesReport(vcek, report);

        return new VerifiedEvidence
        {
            Type = EvidenceTypes.SevSnp,
            ReportData = report.ReportData,
            Measurement = Convert.ToHexStringLower(report.Measurement),
            Debug = report.Debug,
            Fields = DescribeFields(report, product),
        };
    }

    private string VerifyChain(X509Certificate2 vcek, DateTimeOffset now)
    {
        var roots = _roots.FirstOrDefault(r => r.Ask.SubjectName.RawData.AsSpan().SequenceEqual(vcek.IssuerName.RawData))
            ?? throw new AttestationException(AttestationReasons.UntrustedRoot,
                $"VCEK issuer '{vcek.Issuer}' is none of the pinned AMD ASKs ({string.Join(", ", _roots.Select(r => r.Product))})");
        RequirePss(roots.Ark, roots.Ark, "ARK-" + roots.Product + " self-signature");
        RequirePss(roots.Ask, roots.Ark, "ASK " + roots.Product + " signature by the ARK");
        RequirePss(vcek, roots.Ask, "VCEK signature by the ASK " + roots.Product);
        foreach (var c in new[] { vcek, roots.Ask, roots.Ark })
            if (now < c.NotBefore.ToUniversalTime() || now > c.NotAfter.ToUniversalTime())
                throw new AttestationException(AttestationReasons.CertificateExpired,
                    $"SEV-SNP chain: a certificate is not valid at {now:O} ({PinnedChain.DescribeValidity([c])})");
        return roots.Product;
    }

    private static void RequirePss(X509Certificate2 subject, X509Certificate2 issuer, string what)
    {
        using var key = issuer.GetRSAPublicKey()
            ?? throw new AttestationException(AttestationReasons.Chain, $"{what}: issuer '{issuer.Subject}' has no RSA key");
        bool ok;
        try
        {
            ok = SignedDer.Split(subject.RawData).VerifiedByRsaPssSha384(key);
        }
        catch (CryptographicException)
        {
            ok = false;
        }
        if (!ok)
            throw new AttestationException(AttestationReasons.Chain,
                $"{what}: RSASSA-PSS (SHA-384) signature of '{subject.Subject}' does not verify with '{issuer.Subject}'");
    }

    private static void CheckVcekMatchesReport(X509Certificate2 vcek, SnpReport report)
    {
        if (!report.MaskChipKey)
        {
            var hwid = ExtensionOctets(vcek, OidHwid)
                ?? throw new AttestationException(AttestationReasons.VcekMismatch, $"VCEK has no HWID extension ({OidHwid})");
            var chip = report.ChipId;
            if (hwid.Length > chip.Length || !chip.AsSpan(0, hwid.Length).SequenceEqual(hwid)
                || chip.AsSpan(hwid.Length).ContainsAnyExcept((byte)0))
                throw new AttestationException(AttestationReasons.VcekMismatch,
                    $"VCEK HWID {Convert.ToHexStringLower(hwid)} != report CHIP_ID {Convert.ToHexStringLower(chip)}");
        }
        var tcb = report.ReportedTcb;
        var checks = new List<(string Oid, string Name, byte Value)>
        {
            (OidBlSpl, "boot loader", tcb.BootLoader), (OidTeeSpl, "TEE", tcb.Tee), (OidSnpSpl, "SNP", tcb.Snp),
            (OidUcodeSpl, "microcode", tcb.Microcode),
        };
        if (tcb.TurinLayout)
            checks.Add((OidFmcSpl, "FMC", tcb.Fmc));
        foreach (var (oid, name, value) in checks)
        {
            var raw = ExtensionOctets(vcek, oid);
            if (raw is null)
                continue; // older VCEKs omit components that did not exist
            long spl;
            try
            {
                spl = (long)AsnDecoder.ReadInteger(raw, AsnEncodingRules.DER, out _);
            }
            catch (Exception e) when (e is AsnContentException or OverflowException)
            {
                throw new AttestationException(AttestationReasons.Malformed, $"VCEK {name} SPL extension ({oid}): {e.Message}");
            }
            if (spl != value)
                throw new AttestationException(AttestationReasons.VcekMismatch,
                    $"VCEK {name} SPL is {spl}, the report's REPORTED_TCB {name} is {value} (VCEKs are per TCB: fetch the one for {tcb})");
        }
    }

    private static byte[]? ExtensionOctets(X509Certificate2 cert, string oid) =>
        cert.Extensions.FirstOrDefault(e => e.Oid?.Value == oid)?.RawData;

    private static List<KeyValuePair<string, string>> DescribeFields(SnpReport r, string product)
    {
        static string Hex(byte[] b) => Convert.ToHexStringLower(b);
        static string N(ulong v) => v.ToString(CultureInfo.InvariantCulture);
        var fields = new List<KeyValuePair<string, string>>
        {
            new("report_version", N(r.Version)),
            new("product", product),
            new("guest_svn", N(r.GuestSvn)),
            new("policy", "0x" + r.Policy.ToString("x", CultureInfo.InvariantCulture)),
            new("vmpl", N(r.Vmpl)),
            new("family_id", Hex(r.FamilyId)),
            new("image_id", Hex(r.ImageId)),
            new("host_data", Hex(r.HostData)),
            new("id_key_digest", Hex(r.IdKeyDigest)),
            new("author_key_digest", Hex(r.AuthorKeyDigest)),
            new("report_id", Hex(r.ReportId)),
            new("current_tcb", r.CurrentTcb.ToString()),
            new("reported_tcb", r.ReportedTcb.ToString()),
            new("committed_tcb", r.CommittedTcb.ToString()),
            new("launch_tcb", r.LaunchTcb.ToString()),
            new("firmware", $"{r.CurrentVersion.Major}.{r.CurrentVersion.Minor}.{r.CurrentVersion.Build}"),
            new("platform_info", "0x" + r.PlatformInfo.ToString("x", CultureInfo.InvariantCulture)),
            new("chip_id", Hex(r.ChipId)),
            new("tcb_status", "not evaluated"),
        };
        return fields;
    }
}
