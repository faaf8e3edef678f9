using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tdx;

/// <summary>
/// Intel DCAP collateral for TDX, in Intel's PCS formats: TCB Info (JSON {"tcbInfo":{..},"signature":hex}),
/// QE Identity (JSON {"enclaveIdentity":{..},"signature":hex}), the TCB signing chain (PEM, or URL-encoded PEM
/// as in PCS's TCB-Info-Issuer-Chain header), the PCK CRL and the Root CA CRL (DER, PEM or hex text).
/// The JSON signatures are ECDSA P-256 (r||s hex) over the exact bytes of the signed member.
/// </summary>
public sealed class TdxCollateral
{
    private const int EcdsaP256SignatureSize = 64;

    private TdxCollateral(SignedJson tcbInfo, SignedJson? qeIdentity, IReadOnlyList<X509Certificate2> signingChain,
        CertificateRevocationList? pckCrl, CertificateRevocationList? rootCrl)
    {
        TcbInfo = tcbInfo;
        QeIdentity = qeIdentity;
        SigningChain = signingChain;
        PckCrl = pckCrl;
        RootCrl = rootCrl;
    }

    internal SignedJson TcbInfo { get; }
    internal SignedJson? QeIdentity { get; }
    public IReadOnlyList<X509Certificate2> SigningChain { get; }
    public CertificateRevocationList? PckCrl { get; }
    public CertificateRevocationList? RootCrl { get; }

    /// <summary>
    /// Reads every file of <paramref name="directory"/> and recognises each by content (README* and unknown
    /// files are ignored). TCB Info and the TCB signing chain are required; QE Identity and CRLs are optional.
    /// </summary>
    public static TdxCollateral Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new AttestationException(AttestationReasons.Malformed, $"collateral directory '{directory}' does not exist");
        SignedJson? tcb = null, qe = null;
        List<X509Certificate2>? chain = null;
        CertificateRevocationList? pckCrl = null, rootCrl = null;
        foreach (var path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(path).StartsWith("README", StringComparison.OrdinalIgnoreCase))
                continue;
            var bytes = File.ReadAllBytes(path);
            var text = LooksLikeText(bytes) ? Encoding.UTF8.GetString(bytes).Trim() : null;
            if (text is not null && text.StartsWith('{'))
            {
                if (text.Contains("\"tcbInfo\"", StringComparison.Ordinal))
                    tcb = SignedJson.Parse(bytes, "tcbInfo", path);
                else if (text.Contains("\"enclaveIdentity\"", StringComparison.Ordinal))
                    qe = SignedJson.Parse(bytes, "enclaveIdentity", path);
                continue;
            }
            if (text is not null && text.Contains("%2D%2D%2D%2D%2DBEGIN", StringComparison.OrdinalIgnoreCase))
                text = Uri.UnescapeDataString(text);
            if (text is not null && text.Contains("-----BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                chain = PinnedChain.ParsePemCertificates($"TCB signing chain '{path}'", text);
                continue;
            }
            byte[]? crlBytes = null;
            if (text is not null && text.Contains("-----BEGIN X509 CRL", StringComparison.Ordinal))
                crlBytes = bytes;
            else if (text is not null && text.Length % 2 == 0 && text.Length > 0 && text.All(Uri.IsHexDigit))
                crlBytes = Convert.FromHexString(text);
            else if (text is null && bytes.Length > 0 && bytes[0] == 0x30)
                crlBytes = bytes;
            if (crlBytes is null)
                continue;
            var crl = CertificateRevocationList.Parse(crlBytes);
            if (crl.Issuer.RawData.AsSpan().SequenceEqual(VendorRoots.IntelSgxRootCa.SubjectName.RawData))
                rootCrl = crl;
            else
                pckCrl = crl;
        }
        if (tcb is null)
            throw new AttestationException(AttestationReasons.Malformed,
                $"collateral directory '{directory}': no TCB Info (a JSON file with \"tcbInfo\")");
        if (chain is null || chain.Count == 0)
            throw new AttestationException(AttestationReasons.Malformed,
                $"collateral directory '{directory}': no TCB signing chain (a PEM file of certificates)");
        return new TdxCollateral(tcb, qe, chain, pckCrl, rootCrl);
    }

    /// <summary>
    /// Checks the collateral's signatures (TCB signing chain to <paramref name="root"/>), validity at
    /// <paramref name="now"/>, that it applies to this platform, revocation of the PCK chain, and finds the TCB level.
    /// </summary>
    internal TdxCollateralEvaluation Evaluate(TdxQuote quote, PckCertificateExtensions pck,
        IReadOnlyList<X509Certificate2> pckChain, X509Certificate2 root, DateTimeOffset now)
    {
        var signer = SigningChain[0];
        try
        {
            PinnedChain.Verify("TCB signing chain", signer, SigningChain.Skip(1), root, now);
        }
        catch (AttestationException e) when (e.Reason is AttestationReasons.UntrustedRoot or AttestationReasons.Chain
                                                 or AttestationReasons.IncompleteChain)
        {
            throw new AttestationException(AttestationReasons.BadCollateralSignature, e.Message);
        }
        TcbInfo.VerifySignature(signer, now);
        QeIdentity?.VerifySignature(signer, now);

        var fields = new List<KeyValuePair<string, string>>();
        // Revocation of the PCK leaf (PCK CRL, signed by the PCK intermediate) and intermediate (Root CA CRL).
        var revocation = CheckRevocation(pckChain, root, now);
        fields.Add(new("revocation", revocation));

        var info = TcbInfo.Body;
        var id = Str(info, "id", "tcbInfo");
        if (id != "TDX")
            throw new AttestationException(AttestationReasons.CollateralMismatch, $"tcbInfo.id is '{id}', expected 'TDX'");
        var fmspc = Str(info, "fmspc", "tcbInfo");
        if (!fmspc.Equals(Convert.ToHexString(pck.Fmspc), StringComparison.OrdinalIgnoreCase))
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"tcbInfo.fmspc is {fmspc}, the PCK certificate's FMSPC is {Convert.ToHexStringLower(pck.Fmspc)}");
        var pceId = Str(info, "pceId", "tcbInfo");
        if (!pceId.Equals(Convert.ToHexString(pck.PceId), StringComparison.OrdinalIgnoreCase))
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"tcbInfo.pceId is {pceId}, the PCK certificate's PCE-ID is {Convert.ToHexStringLower(pck.PceId)}");
        CheckTdxModule(info, quote.Body);

        var (status, tcbDate, advisories) = FindTcbLevel(info, pck, quote.Body);
        var moduleStatus = FindModuleStatus(info, quote.Body);
        if (moduleStatus is not null)
            fields.Add(new("tdx_module_tcb_status", moduleStatus));
        string? qeStatus = null;
        if (QeIdentity is not null)
        {
            qeStatus = EvaluateQe(QeIdentity.Body, quote.QeReport);
            fields.Add(new("qe_tcb_status", qeStatus));
        }
        var final = Converge(status, qeStatus);
        if (moduleStatus is not null && moduleStatus != "UpToDate" && final == "UpToDate")
            final = moduleStatus;
        fields.Insert(0, new("tcb_status", final));
        fields.Add(new("platform_tcb_status", status));
        if (tcbDate is not null)
            fields.Add(new("tcb_date", tcbDate));
        if (advisories.Count > 0)
            fields.Add(new("advisory_ids", string.Join(",", advisories)));
        fields.Add(new("tcb_evaluation_data_number", Num(info, "tcbEvaluationDataNumber").ToString(CultureInfo.InvariantCulture)));
        fields.Add(new("tcb_info_issue_date", Str(info, "issueDate", "tcbInfo")));
        return new TdxCollateralEvaluation(final, fields);
    }

    private string CheckRevocation(IReadOnlyList<X509Certificate2> pckChain, X509Certificate2 root, DateTimeOffset now)
    {
        var parts = new List<string>();
        if (PckCrl is not null && pckChain.Count >= 2)
        {
            CheckCrl(PckCrl, pckChain[1], "PCK CRL", now);
            if (PckCrl.IsRevoked(pckChain[0]))
                throw new AttestationException(AttestationReasons.Revoked,
                    $"PCK certificate serial {pckChain[0].SerialNumber} is revoked by the PCK CRL of '{pckChain[1].Subject}'");
            parts.Add("pck not revoked");
        }
        else
        {
            parts.Add("pck not checked (no PCK CRL)");
        }
        if (RootCrl is not null)
        {
            CheckCrl(RootCrl, root, "Root CA CRL", now);
            foreach (var c in pckChain.Skip(1).Concat(SigningChain).Where(c => !c.RawData.AsSpan().SequenceEqual(root.RawData)))
                if (RootCrl.IsRevoked(c))
                    throw new AttestationException(AttestationReasons.Revoked,
                        $"'{c.Subject}' serial {c.SerialNumber} is revoked by the Root CA CRL");
            parts.Add("intermediates not revoked");
        }
        else
        {
            parts.Add("intermediates not checked (no Root CA CRL)");
        }
        return string.Join("; ", parts);
    }

    private static void CheckCrl(CertificateRevocationList crl, X509Certificate2 issuer, string what, DateTimeOffset now)
    {
        if (!crl.IsSignedBy(issuer))
            throw new AttestationException(AttestationReasons.BadCollateralSignature,
                $"{what} (issuer '{crl.Issuer.Name}') is not signed by '{issuer.Subject}'");
        if (now < crl.ThisUpdate || (crl.NextUpdate is { } next && now > next))
            throw new AttestationException(AttestationReasons.CollateralExpired,
                $"{what} is valid {crl.ThisUpdate:O}..{crl.NextUpdate:O}, not at {now:O}");
    }

    private static void CheckTdxModule(JsonElement info, TdReportBody body)
    {
        if (!info.TryGetProperty("tdxModule", out var module))
            return;
        var mrsigner = Convert.FromHexString(Str(module, "mrsigner", "tdxModule"));
        if (!mrsigner.AsSpan().SequenceEqual(body.MrSignerSeam))
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"tcbInfo.tdxModule.mrsigner {Convert.ToHexStringLower(mrsigner)} != MRSIGNERSEAM {Convert.ToHexStringLower(body.MrSignerSeam)}");
        CheckMasked(Str(module, "attributes", "tdxModule"), Str(module, "attributesMask", "tdxModule"), body.SeamAttributes,
            "tcbInfo.tdxModule.attributes", "SEAM attributes");
    }

    private static void CheckMasked(string expectedHex, string maskHex, byte[] actual, string what, string actualName)
    {
        var expected = Convert.FromHexString(expectedHex);
        var mask = Convert.FromHexString(maskHex);
        if (expected.Length != actual.Length || mask.Length != actual.Length)
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"{what}: {expected.Length} bytes with a {mask.Length}-byte mask, {actualName} has {actual.Length}");
        for (var i = 0; i < actual.Length; i++)
            if ((actual[i] & mask[i]) != expected[i])
                throw new AttestationException(AttestationReasons.CollateralMismatch,
                    $"{actualName} {Convert.ToHexStringLower(actual)} masked with {maskHex} != {what} {expectedHex}");
    }

    private static (string Status, string? Date, List<string> Advisories) FindTcbLevel(JsonElement info,
        PckCertificateExtensions pck, TdReportBody body)
    {
        // With TDX module major version (TEE_TCB_SVN[1]) > 0 the first two bytes are checked via tdxModuleIdentities.
        var tdxStart = body.TeeTcbSvn[1] > 0 ? 2 : 0;
        foreach (var level in info.GetProperty("tcbLevels").EnumerateArray())
        {
            var tcb = level.GetProperty("tcb");
            var sgx = tcb.GetProperty("sgxtcbcomponents").EnumerateArray().Select(c => Num(c, "svn")).ToArray();
            var tdx = tcb.GetProperty("tdxtcbcomponents").EnumerateArray().Select(c => Num(c, "svn")).ToArray();
            if (sgx.Length != PckCertificateExtensions.TcbComponentCount || tdx.Length != 16)
                throw new AttestationException(AttestationReasons.Malformed, "tcbInfo.tcbLevels: expected 16 SGX and 16 TDX components");
            var sgxOk = Enumerable.Range(0, sgx.Length).All(i => pck.TcbComponents[i] >= sgx[i]) && pck.PceSvn >= Num(tcb, "pcesvn");
            var tdxOk = Enumerable.Range(tdxStart, 16 - tdxStart).All(i => body.TeeTcbSvn[i] >= tdx[i]);
            if (!sgxOk || !tdxOk)
                continue;
            var advisories = level.TryGetProperty("advisoryIDs", out var a)
                ? a.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
                : [];
            return (Str(level, "tcbStatus", "tcbLevel"), level.TryGetProperty("tcbDate", out var d) ? d.GetString() : null, advisories);
        }
        return ("NotSupported", null, []);
    }

    private static string? FindModuleStatus(JsonElement info, TdReportBody body)
    {
        if (body.TeeTcbSvn[1] == 0)
            return null;
        var wanted = $"TDX_{body.TeeTcbSvn[1]:X2}";
        if (!info.TryGetProperty("tdxModuleIdentities", out var ids))
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"TEE_TCB_SVN names TDX module {wanted} but tcbInfo has no tdxModuleIdentities");
        foreach (var identity in ids.EnumerateArray())
        {
            if (!string.Equals(Str(identity, "id", "tdxModuleIdentities"), wanted, StringComparison.OrdinalIgnoreCase))
                continue;
            var mrsigner = Convert.FromHexString(Str(identity, "mrsigner", wanted));
            if (!mrsigner.AsSpan().SequenceEqual(body.MrSignerSeam))
                throw new AttestationException(AttestationReasons.CollateralMismatch,
                    $"{wanted}.mrsigner != MRSIGNERSEAM {Convert.ToHexStringLower(body.MrSignerSeam)}");
            CheckMasked(Str(identity, "attributes", wanted), Str(identity, "attributesMask", wanted), body.SeamAttributes,
                wanted + ".attributes", "SEAM attributes");
            foreach (var level in identity.GetProperty("tcbLevels").EnumerateArray())
                if (body.TeeTcbSvn[0] >= Num(level.GetProperty("tcb"), "isvsvn"))
                    return Str(level, "tcbStatus", wanted);
            return "NotSupported";
        }
        throw new AttestationException(AttestationReasons.CollateralMismatch, $"tcbInfo has no TDX module identity {wanted}");
    }

    private static string EvaluateQe(JsonElement identity, SgxReportBody qe)
    {
        var mrsigner = Convert.FromHexString(Str(identity, "mrsigner", "enclaveIdentity"));
        if (!mrsigner.AsSpan().SequenceEqual(qe.MrSigner))
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"QE report MRSIGNER {Convert.ToHexStringLower(qe.MrSigner)} != enclaveIdentity.mrsigner {Convert.ToHexStringLower(mrsigner)}");
        var prodId = Num(identity, "isvprodid");
        if (qe.IsvProdId != prodId)
            throw new AttestationException(AttestationReasons.CollateralMismatch,
                $"QE report ISVPRODID {qe.IsvProdId} != enclaveIdentity.isvprodid {prodId}");
        var misc = new byte[sizeof(uint)]; // identity JSON writes MISCSELECT as a big-endian hex u32
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(misc, qe.MiscSelect);
        CheckMasked(Str(identity, "miscselect", "enclaveIdentity"), Str(identity, "miscselectMask", "enclaveIdentity"), misc,
            "enclaveIdentity.miscselect", "QE MISCSELECT");
        CheckMasked(Str(identity, "attributes", "enclaveIdentity"), Str(identity, "attributesMask", "enclaveIdentity"),
            qe.Attributes, "enclaveIdentity.attributes", "QE attributes");
        foreach (var level in identity.GetProperty("tcbLevels").EnumerateArray())
            if (qe.IsvSvn >= Num(level.GetProperty("tcb"), "isvsvn"))
                return Str(level, "tcbStatus", "enclaveIdentity.tcbLevels");
        return "NotSupported";
    }

    /// <summary>Intel QVL's convergence of the platform TCB status with the QE's.</summary>
    private static string Converge(string platform, string? qe) => qe switch
    {
        null or "UpToDate" => platform,
        "Revoked" => "Revoked",
        "OutOfDate" => platform switch
        {
            "UpToDate" or "SWHardeningNeeded" => "OutOfDate",
            "ConfigurationNeeded" or "ConfigurationAndSWHardeningNeeded" => "OutOfDateConfigurationNeeded",
            _ => platform,
        },
        _ => platform,
    };

    internal static string Str(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new AttestationException(AttestationReasons.Malformed, $"{where}.{name}: missing or not a string");

    internal static long Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt64()
            : throw new AttestationException(AttestationReasons.Malformed, $"{name}: missing or not a number");

    private static bool LooksLikeText(byte[] bytes) =>
        bytes.Length > 0 && bytes.All(b => b is (>= 0x20 and < 0x7F) or (byte)'\n' or (byte)'\r' or (byte)'\t');

    /// <summary>A JSON document {"member": {...}, "signature": "hex"} whose signature covers the member's exact bytes.</summary>
    internal sealed class SignedJson
    {
        private readonly JsonDocument _document;

        private SignedJson(string member, string source, byte[] signedBytes, byte[] signature, JsonDocument document)
        {
            Member = member;
            Source = source;
            SignedBytes = signedBytes;
            Signature = signature;
            _document = document;
        }

        public string Member { get; }
        public string Source { get; }
        public byte[] SignedBytes { get; }
        public byte[] Signature { get; }
        public JsonElement Body => _document.RootElement;

        public static SignedJson Parse(byte[] json, string member, string source)
        {
            try
            {
                var reader = new Utf8JsonReader(json);
                byte[]? signed = null;
                string? signatureHex = null;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                    throw new AttestationException(AttestationReasons.Malformed, $"{source}: not a JSON object");
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == member)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        signed = json[start..(int)reader.BytesConsumed];
                    }
                    else if (name == "signature" && reader.TokenType == JsonTokenType.String)
                    {
                        signatureHex = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                if (signed is null || signatureHex is null)
                    throw new AttestationException(AttestationReasons.Malformed,
                        $"{source}: expected members \"{member}\" and \"signature\"");
                var signature = Convert.FromHexString(signatureHex);
                if (signature.Length != EcdsaP256SignatureSize)
                    throw new AttestationException(AttestationReasons.Malformed,
                        $"{source}: signature is {signature.Length} bytes, expected {EcdsaP256SignatureSize} (r||s)");
                return new SignedJson(member, source, signed, signature, JsonDocument.Parse(signed));
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new AttestationException(AttestationReasons.Malformed, $"{source}: {e.Message}");
            }
        }

        public void VerifySignature(X509Certificate2 signer, DateTimeOffset now)
        {
            using var key = signer.GetECDsaPublicKey()
                ?? throw new AttestationException(AttestationReasons.BadCollateralSignature, $"'{signer.Subject}' has no ECDSA key");
            if (!key.VerifyData(SignedBytes, Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new AttestationException(AttestationReasons.BadCollateralSignature,
                    $"{Member} in '{Source}' is not signed by '{signer.Subject}'");
            var issue = DateTimeOffset.Parse(Str(Body, "issueDate", Member), CultureInfo.InvariantCulture);
            var next = DateTimeOffset.Parse(Str(Body, "nextUpdate", Member), CultureInfo.InvariantCulture);
            if (now < issue || now > next)
                throw new AttestationException(AttestationReasons.CollateralExpired,
                    $"{Member} in '{Source}' is valid {issue:O}..{next:O}, not at {now:O}");
        }
    }
}

/// <summary>The outcome of evaluating collateral: the converged TCB status and the lines to show.</summary>
public sealed record TdxCollateralEvaluation(string TcbStatus, IReadOnlyList<KeyValuePair<string, string>> Fields);
