using System.Security.Cryptography;
using Sp.Core;

namespace Sp.Attestation;

/// <summary>
/// The one place where evidence is accepted or refused: picks the verifier by type, verifies, then applies
/// the policy and checks the report data binding. Every refusal is an <see cref="AttestationException"/>
/// whose Reason is one of <see cref="AttestationReasons"/> (or the verifier's own).
/// </summary>
public static class EvidenceChecker
{
    public static VerifiedEvidence Check(Evidence evidence, AttestationPolicy policy, IEnumerable<IEvidenceVerifier> verifiers,
        DateTimeOffset now, ReadOnlySpan<byte> expectedReportData)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(verifiers);
        if (expectedReportData.Length != SimEvidenceLayout.ReportDataSize)
            throw new ArgumentException(
                $"expected report data: expected {SimEvidenceLayout.ReportDataSize} bytes, got {expectedReportData.Length}", nameof(expectedReportData));

        // Sim first, so that a no-sim policy says so plainly rather than "type not accepted".
        if (evidence.Type == EvidenceTypes.Sim && !policy.AllowSim)
            throw Refuse(AttestationReasons.SimNotAllowed,
                "simulated (sim) evidence has no hardware isolation behind it, and this policy does not allow sim");
        if (!policy.AcceptedTypes.Contains(evidence.Type))
            throw Refuse(AttestationReasons.TypeNotAccepted,
                $"evidence type '{evidence.Type}' is not accepted; the policy accepts {string.Join(", ", policy.AcceptedTypes)}");
        var verifier = verifiers.FirstOrDefault(v => v.Type == evidence.Type)
            ?? throw Refuse(AttestationReasons.NoVerifier, $"no verifier for evidence type '{evidence.Type}' is installed");

        VerifiedEvidence verified;
        try { verified = verifier.Verify(evidence, now); }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or PlatformNotSupportedException)
        {
            // A verifier should throw AttestationException; anything else from parsing is still malformed evidence.
            throw new AttestationException(AttestationReasons.Malformed, $"{evidence.Type} evidence: {e.Message}");
        }
        if (verified.Type != evidence.Type)
            throw Refuse(AttestationReasons.TypeMismatch,
                $"the '{evidence.Type}' verifier reported type '{verified.Type}'");

        if (verified.Simulated)
        {
            if (!policy.AllowSim)
                throw Refuse(AttestationReasons.SimNotAllowed, "the evidence is simulated, and this policy does not allow sim");
            if (policy.SimPlatformKeys.Count > 0)
            {
                var keyId = verified.Fields.FirstOrDefault(f => f.Key == SimEvidenceVerifier.PlatformKeyField).Value;
                if (keyId is null || !policy.SimPlatformKeys.Contains(keyId))
                    throw Refuse(AttestationReasons.SimPlatformUnknown,
                        $"sim platform key {keyId ?? "(none)"} is not one of the policy's {policy.SimPlatformKeys.Count} accepted key(s)");
            }
        }
        if (policy.AllowedMeasurements.Count > 0 && !policy.AllowedMeasurements.Contains(verified.Measurement))
            throw Refuse(AttestationReasons.MeasurementNotAllowed,
                $"measurement {verified.Measurement} is not one of the policy's {policy.AllowedMeasurements.Count} allowed measurement(s)");
        if (verified.Debug && !policy.AllowDebug)
            throw Refuse(AttestationReasons.DebugNotAllowed, "the TEE runs in debug mode (its memory is readable by the host); the policy forbids debug");
        foreach (var (name, want) in policy.RequiredFields)
        {
            var got = Field(verified, name);
            if (got != want)
                throw Refuse(AttestationReasons.FieldMismatch, $"{name} is {got ?? "(absent)"}, the policy requires {want}");
        }
        foreach (var (name, min) in policy.MinimumFields)
        {
            var got = Field(verified, name);
            if (!AttestationPolicy.TryParseNumber(got, out var value) || value < min)
                throw Refuse(AttestationReasons.TcbTooLow, $"{name} is {got ?? "(absent)"}, the policy requires at least {min}");
        }
        if (!CryptographicOperations.FixedTimeEquals(verified.ReportData, expectedReportData))
            throw Refuse(AttestationReasons.ReportDataMismatch,
                $"report data {Hex.Lower(verified.ReportData)} does not bind the expected keys (expected {Hex.Lower(expectedReportData)})");
        return verified;
    }

    private static string? Field(VerifiedEvidence v, string name) =>
        name == "measurement" ? v.Measurement : v.Fields.FirstOrDefault(f => f.Key == name).Value;

    private static AttestationException Refuse(string reason, string message) => new(reason, $"{reason}: {message}");
}
