namespace Sp.Attestation;

/// <summary>
/// The software stand-in for a TEE: signs evidence with the installation's <see cref="SimPlatform"/> key.
/// Everything it produces says it is simulated; no hardware isolation stands behind it.
/// </summary>
public sealed class SimEvidenceProvider : IEvidenceProvider
{
    private readonly SimPlatform _platform;
    private readonly byte[] _measurement;
    private readonly TimeProvider _clock;

    public SimEvidenceProvider(SimPlatform platform, byte[] measurement, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(measurement);
        if (measurement.Length != SimEvidenceLayout.MeasurementSize)
            throw new ArgumentException(
                $"measurement: expected {SimEvidenceLayout.MeasurementSize} bytes (SHA-256), got {measurement.Length}", nameof(measurement));
        _platform = platform;
        _measurement = measurement.ToArray();
        _clock = clock ?? TimeProvider.System;
    }

    public string Type => EvidenceTypes.Sim;

    public Evidence GetEvidence(ReadOnlySpan<byte> reportData)
    {
        if (reportData.Length != SimEvidenceLayout.ReportDataSize)
            throw new ArgumentException(
                $"report data: expected {SimEvidenceLayout.ReportDataSize} bytes, got {reportData.Length}", nameof(reportData));
        var data = SimEvidenceBody.Encode(_measurement, reportData, _clock.GetUtcNow(), _platform.PublicKeySpki, b => _platform.Sign(b));
        return new Evidence(EvidenceTypes.Sim, data);
    }
}
