using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.SevSnp;

/// <summary>
/// Verifies an AMD SEV-SNP attestation report: the ECDSA P-384 signature over bytes 0..0x2A0 by the report's
/// endorsement key, its chain (RSASSA-PSS, SHA-384, salt 48) to the pinned ARK of its product, validity at the given
/// time, and that the key belongs to this TCB (its SPL extensions = REPORTED_TCB).
/// <list type="bullet">
/// <item>VCEK (SIGNING_KEY 0, one per chip and TCB): VCEK -> ASK -> ARK, and the VCEK's HWID = CHIP_ID.</item>
/// <item>VLEK (SIGNING_KEY 1, one per cloud provider and TCB, what e.g. AWS hosts sign with): VLEK -> ASVK -> ARK;
/// it names its provider (CSP_ID) instead of a chip. The ASVK is built in for Genoa and Turin, or taken from the
/// evidence's certificate table (ASK entry); either way its signature by the pinned ARK is checked.</item>
/// </list>
/// The endorsement key comes from the constructor (<c>--vcek FILE</c>, whichever of the two it is) or from the
/// certificate table in the evidence (<see cref="SnpEvidenceData"/>).
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
    /// <summary>VLEK: the cloud service provider it was issued to.</summary>
    public const string OidCspId = "1.3.6.1.4.1.3704.1.5";
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
        var vekGuid = report.SigningKey == SnpReport.SigningKeyVlek ? SnpEvidenceData.VlekGuid : SnpEvidenceData.VcekGuid;
        var vekDer = _vcekDer ?? certs.GetValueOrDefault(vekGuid);
        return Verify(report, vekDer, now, certs.GetValueOrDefault(SnpEvidenceData.AskGuid));
    }

    /// <param name="vekDer">The VCEK or VLEK (DER) that signed the report, as its SIGNING_KEY says.</param>
    /// <param name="intermediateDer">An ASK or ASVK the evidence carried (used only if the pinned ARK signed it).</param>
    public VerifiedEvidence Verify(SnpReport report, byte[]? vekDer, DateTimeOffset now, byte[]? intermediateDer = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.SignatureAlgo != SnpReport.SignatureAlgoEcdsaP384Sha384)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"SEV-SNP report: signature algorithm {report.SignatureAlgo}, expected 1 (ECDSA P-384 with SHA-384)");
        var vlek = report.SigningKey == SnpReport.SigningKeyVlek;
        if (!vlek && report.SigningKey != SnpReport.SigningKeyVcek)
            throw new AttestationException(AttestationReasons.MissingVcek,
                $"SEV-SNP report: signing key {report.SigningKey} (none): the report is not signed, nothing can be verified");
        var kind = vlek ? "VLEK" : "VCEK";
        if (vekDer is null)
            throw new AttestationException(AttestationReasons.MissingVcek,
                $"SEV-SNP report: no {kind} given (the report does not carry it: pass the {(vlek ? "provider's VLEK" : "chip's VCEK")}, e.g. --vcek FILE, " +
                "or a certificate table after the report)");
        var vek = PinnedChain.LoadDer(kind, vekDer);
        var product = VerifyChain(vek, kind, now, intermediateDer);

        using (var key = vek.GetECDsaPublicKey()
               ?? throw new AttestationException(AttestationReasons.Chain, $"{kind} '{vek.Subject}' has no ECDSA key"))
        {
            if (key.KeySize != P384CoordinateSize * 8)
                throw new AttestationException(AttestationReasons.Chain, $"{kind} key is {key.KeySize}-bit, expected P-384");
            if (!key.VerifyData(report.SignedBytes, report.SignatureP1363(P384CoordinateSize), HashAlgorithmName.SHA384,
                    DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new AttestationException(AttestationReasons.BadReportSignature,
                    $"SEV-SNP report signature over bytes 0..0x{SnpReport.SignedSize:x} does not verify with the {kind}");
        }
        CheckKeyMatchesReport(vek, kind, report);

        var fields = DescribeFields(report, product);
        fields.Insert(2, new("signing_key", kind));
        if (vlek) fields.Insert(3, new("csp_id", CspId(vek) ?? "<none>"));
        return new VerifiedEvidence
        {
            Type = EvidenceTypes.SevSnp,
            ReportData = report.ReportData,
            Measurement = Convert.ToHexStringLower(report.Measurement),
            Debug = report.Debug,
            Fields = fields,
        };
    }

    /// <summary>
    /// The key's chain to a pinned ARK: its issuer must be the product's ASK (VCEK) or ASVK (VLEK), built in or
    /// (when not built in) given by the evidence, and that intermediate must be signed by the product's ARK.
    /// </summary>
    private string VerifyChain(X509Certificate2 vek, string kind, DateTimeOffset now, byte[]? intermediateDer)
    {
        var given = intermediateDer is null ? null : PinnedChain.LoadDer("ASK/ASVK of the evidence", intermediateDer);
        bool IssuedTheKey(X509Certificate2? c) => c is not null && c.SubjectName.RawData.AsSpan().SequenceEqual(vek.IssuerName.RawData);
        // Built-in intermediates first; one the evidence carried only for a VLEK, under the ARK that names it as issuer.
        var (roots, intermediate) = _roots
            .Select(r => (Roots: r, Intermediate: kind == "VLEK" ? r.Asvk : r.Ask))
            .Concat(kind == "VLEK" && given is not null
                ? _roots.Where(r => r.Asvk is null && given.IssuerName.RawData.AsSpan().SequenceEqual(r.Ark.SubjectName.RawData)).Select(r => (Roots: r, Intermediate: (X509Certificate2?)given))
                : [])
            .FirstOrDefault(c => IssuedTheKey(c.Intermediate));
        if (roots is null || intermediate is null)
            throw new AttestationException(AttestationReasons.UntrustedRoot, kind == "VLEK"
                ? $"VLEK issuer '{vek.Issuer}' is none of the AMD ASVKs known here (built in: {string.Join(", ", _roots.Where(r => r.Asvk is not null).Select(r => r.Product))}; " +
                  "the evidence's certificate table may carry the product's ASVK as its ASK entry)"
                : $"VCEK issuer '{vek.Issuer}' is none of the pinned AMD ASKs ({string.Join(", ", _roots.Select(r => r.Product))})");
        var role = kind == "VLEK" ? "ASVK" : "ASK";
        RequirePss(roots.Ark, roots.Ark, "ARK-" + roots.Product + " self-signature");
        RequirePss(intermediate, roots.Ark, $"{role} {roots.Product} signature by the ARK");
        RequirePss(vek, intermediate, $"{kind} signature by the {role} {roots.Product}");
        foreach (var c in new[] { vek, intermediate, roots.Ark })
            if (now < c.NotBefore.ToUniversalTime() || now > c.NotAfter.ToUniversalTime())
                throw new AttestationException(AttestationReasons.CertificateExpired,
                    $"SEV-SNP chain: a certificate is not valid at {now:O} ({PinnedChain.DescribeValidity([c])})");
        return roots.Product;
    }

    /// <summary>The VLEK's CSP_ID extension (a DER string naming the cloud provider), or null.</summary>
    private static string? CspId(X509Certificate2 vlek)
    {
        var raw = ExtensionOctets(vlek, OidCspId);
        if (raw is null) return null;
        try
        {
            var reader = new AsnReader(raw, AsnEncodingRules.DER);
            return reader.PeekTag().TagValue switch
            {
                (int)UniversalTagNumber.IA5String => reader.ReadCharacterString(UniversalTagNumber.IA5String),
                (int)UniversalTagNumber.PrintableString => reader.ReadCharacterString(UniversalTagNumber.PrintableString),
                _ => reader.ReadCharacterString(UniversalTagNumber.UTF8String),
            };
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException)
        {
            return System.Text.Encoding.UTF8.GetString(raw);
        }
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

    private static void CheckKeyMatchesReport(X509Certificate2 vcek, string kind, SnpReport report)
    {
        // A VLEK belongs to a provider, not a chip: it carries no HWID.
        if (kind == "VCEK" && !report.MaskChipKey)
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
                throw new AttestationException(AttestationReasons.Malformed, $"{kind} {name} SPL extension ({oid}): {e.Message}");
            }
            if (spl != value)
                throw new AttestationException(AttestationReasons.VcekMismatch,
                    $"{kind} {name} SPL is {spl}, the report's REPORTED_TCB {name} is {value} ({kind}s are per TCB: fetch the one for {tcb})");
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
            // Each part on its own, as a number, so that a policy's minimumFields can require a minimum TCB.
            new("reported_tcb_bootloader", N(r.ReportedTcb.BootLoader)),
            new("reported_tcb_tee", N(r.ReportedTcb.Tee)),
            new("reported_tcb_snp", N(r.ReportedTcb.Snp)),
            new("reported_tcb_microcode", N(r.ReportedTcb.Microcode)),
            new("committed_tcb", r.CommittedTcb.ToString()),
            new("launch_tcb", r.LaunchTcb.ToString()),
            new("firmware", $"{r.CurrentVersion.Major}.{r.CurrentVersion.Minor}.{r.CurrentVersion.Build}"),
            new("platform_info", "0x" + r.PlatformInfo.ToString("x", CultureInfo.InvariantCulture)),
            new("chip_id", Hex(r.ChipId)),
            new("tcb_status", "not evaluated"),
        };
        if (r.ReportedTcb.TurinLayout) fields.Insert(fields.FindIndex(f => f.Key == "reported_tcb_microcode") + 1, new("reported_tcb_fmc", N(r.ReportedTcb.Fmc)));
        return fields;
    }
}
