using System.Buffers.Binary;
using System.Globalization;
using Sp.Attestation.SevSnp;
using Sp.Attestation.Tdx;

namespace Sp.Attestation.Vendor;

/// <summary>The outcome of <see cref="QuoteValidation.Validate"/>: lines to print, or the reason it failed.</summary>
public sealed class QuoteValidationResult
{
    public required bool Success { get; init; }
    /// <summary>The evidence type checked ("tdx", "sev-snp"), as given or guessed.</summary>
    public required string Type { get; init; }
    /// <summary>Ordered snake_case (key, value) lines: type, measurement, report_data, debug, then format fields.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Lines { get; init; }
    /// <summary>The verified claims when <see cref="Success"/>.</summary>
    public VerifiedEvidence? Evidence { get; init; }
    /// <summary>A stable reason name (<see cref="AttestationReasons"/>) when not <see cref="Success"/>.</summary>
    public string? ErrorReason { get; init; }
    public string? ErrorMessage { get; init; }
}

/// <summary>
/// Verifies one piece of vendor evidence (TDX quote, SEV-SNP report) against the built-in vendor roots, for
/// `spctl quotes validate`. Policy is not applied. "sim" evidence is verified by the sim verifier, not here.
/// </summary>
public static class QuoteValidation
{
    public const string Unknown = "unknown";

    /// <param name="data">The quote or report (SEV-SNP: optionally followed by its certificate table).</param>
    /// <param name="type">"tdx", "sev-snp", or null to guess from the bytes.</param>
    /// <param name="vcekDer">SEV-SNP: the chip's VCEK certificate (DER, or PEM).</param>
    /// <param name="at">The time to verify as of (samples and their certificates expire).</param>
    /// <param name="collateralDir">TDX: a directory of Intel collateral to evaluate the TCB level and revocation.</param>
    public static QuoteValidationResult Validate(byte[] data, string? type, byte[]? vcekDer, DateTimeOffset at,
        string? collateralDir)
    {
        ArgumentNullException.ThrowIfNull(data);
        var t = type ?? GuessType(data);
        try
        {
            // Options of the other vendor would be silently ignored: say so instead.
            if (collateralDir is not null && t != EvidenceTypes.Tdx)
                throw new AttestationException(AttestationReasons.Unsupported, $"--collateral is Intel's TCB collateral for TDX quotes; this evidence is {t}");
            if (vcekDer is not null && t != EvidenceTypes.SevSnp)
                throw new AttestationException(AttestationReasons.Unsupported, $"--vcek is the SEV-SNP chip (or provider) key; this evidence is {t}");
            IEvidenceVerifier verifier = t switch
            {
                EvidenceTypes.Tdx => new TdxVerifier(collateralDir is null ? null : TdxCollateral.Load(collateralDir)),
                EvidenceTypes.SevSnp => new SevSnpVerifier(vcekDer is null ? null : CertificateBytes(vcekDer)),
                EvidenceTypes.Sim => new SimEvidenceVerifier(),
                _ => throw new AttestationException(AttestationReasons.Unsupported, type is null
                    ? "cannot tell the evidence type from its bytes (not a TDX quote v4/v5 nor a SEV-SNP report): give --type tdx|sev-snp"
                    : $"type '{t}' is not a vendor evidence type; expected tdx, sev-snp or sim"),
            };
            var verified = verifier.Verify(new Evidence(t, data), at);
            var lines = new List<KeyValuePair<string, string>>
            {
                new("type", t),
                new("measurement", verified.Measurement),
                new("report_data", Convert.ToHexStringLower(verified.ReportData)),
                new("debug", verified.Debug ? "true" : "false"),
                new("verified_at", at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
            };
            lines.AddRange(verified.Fields);
            return new QuoteValidationResult { Success = true, Type = t, Lines = lines, Evidence = verified };
        }
        catch (AttestationException e)
        {
            return new QuoteValidationResult
            {
                Success = false,
                Type = t,
                Lines = [new("type", t), new("error", e.Reason), new("reason", e.Message)],
                ErrorReason = e.Reason,
                ErrorMessage = e.Message,
            };
        }
    }

    /// <summary>"tdx" (header v4/v5, ECDSA-256 key, TEE type 0x81), "sev-snp" (0x4A0+ bytes, version 2..15,
    /// signature algorithm 1), or "unknown".</summary>
    public static string GuessType(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(SimEvidenceLayout.Magic)) return EvidenceTypes.Sim;
        if (data.Length >= TdxQuoteLayout.HeaderSize)
        {
            var version = BinaryPrimitives.ReadUInt16LittleEndian(data);
            var keyType = BinaryPrimitives.ReadUInt16LittleEndian(data[TdxQuoteLayout.HeaderAttestationKeyTypeOffset..]);
            var tee = BinaryPrimitives.ReadUInt32LittleEndian(data[TdxQuoteLayout.HeaderTeeTypeOffset..]);
            if (version is TdxQuoteLayout.Version4 or TdxQuoteLayout.Version5
                && keyType == TdxQuoteLayout.AttestationKeyTypeEcdsaP256 && tee == TdxQuoteLayout.TeeTypeTdx)
                return EvidenceTypes.Tdx;
        }
        if (data.Length >= SnpReport.Size)
        {
            var version = BinaryPrimitives.ReadUInt32LittleEndian(data);
            var algo = BinaryPrimitives.ReadUInt32LittleEndian(data[SnpReport.SignatureAlgoOffset..]);
            if (version is >= 2 and < 16 && algo == SnpReport.SignatureAlgoEcdsaP384Sha384)
                return EvidenceTypes.SevSnp;
        }
        return Unknown;
    }

    private static byte[] CertificateBytes(byte[] derOrPem)
    {
        if (derOrPem.Length > 0 && derOrPem[0] == (byte)'-')
        {
            var certs = PinnedChain.ParsePemCertificates("VCEK", System.Text.Encoding.ASCII.GetString(derOrPem));
            if (certs.Count == 0)
                throw new AttestationException(AttestationReasons.Malformed, "VCEK: PEM text with no certificate");
            return certs[0].RawData;
        }
        return derOrPem;
    }
}
