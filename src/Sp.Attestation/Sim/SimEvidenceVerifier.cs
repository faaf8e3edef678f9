using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sp.Core;

namespace Sp.Attestation;

/// <summary>
/// Verifies `sim` evidence: strict layout, then the signature by the platform key carried in the evidence.
/// Which platform keys are trusted is policy (<see cref="AttestationPolicy.SimPlatformKeys"/>), checked by
/// <see cref="EvidenceChecker"/>; the key id is reported in the field "platform_key".
/// </summary>
public sealed class SimEvidenceVerifier : IEvidenceVerifier
{
    public const string PlatformKeyField = "platform_key";
    public const string TimestampField = "timestamp";
    public const string NoticeField = "notice";

    public string Type => EvidenceTypes.Sim;

    public VerifiedEvidence Verify(Evidence evidence, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Type != EvidenceTypes.Sim)
            throw new AttestationException(AttestationReasons.TypeMismatch,
                $"sim verifier: evidence type is '{evidence.Type}', expected '{EvidenceTypes.Sim}'");
        var body = SimEvidenceBody.Decode(evidence.Data);
        using (var key = ECDsa.Create())
        {
            key.ImportSubjectPublicKeyInfo(body.PlatformSpki, out _);
            var ok = key.VerifyData(evidence.Data.AsSpan(0, body.SignedLength), body.Signature,
                HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            if (!ok)
                throw new AttestationException(AttestationReasons.BadSignature,
                    $"sim evidence: the signature does not verify with the platform key {SimPlatform.KeyId(body.PlatformSpki)} it carries");
        }
        return new VerifiedEvidence
        {
            Type = EvidenceTypes.Sim,
            ReportData = body.ReportData,
            Measurement = Hex.Lower(body.Measurement),
            Debug = false,
            Simulated = true,
            Fields =
            [
                new(PlatformKeyField, SimPlatform.KeyId(body.PlatformSpki)),
                new(TimestampField, body.Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
                new(NoticeField, Encoding.ASCII.GetString(SimEvidenceLayout.Notice)),
            ],
        };
    }
}
