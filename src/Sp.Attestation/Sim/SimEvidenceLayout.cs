using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sp.Attestation;

/// <summary>
/// The byte layout of `sim` evidence, version 1 (docs/formats-sim-evidence.md). All integers big-endian.
/// <code>
/// 0x00  4  magic "SPEV"
/// 0x04  2  version = 1
/// 0x06  2  flags: exactly 0x0001 (bit 0 = simulated; other bits reserved, must be 0)
/// 0x08  8  type marker "sim" followed by five zero bytes
/// 0x10 32  measurement (the loader's <see cref="LoaderMeasurement"/>)
/// 0x30 64  report data
/// 0x70  8  timestamp, signed Unix milliseconds
/// 0x78 32  notice, ASCII "simulated: no hardware isolation"
/// 0x98  2  n = length of the platform key SPKI
/// 0x9A  n  platform public key, DER SubjectPublicKeyInfo, uncompressed ECDSA P-256 (version 1: n = 91)
/// 0x9A+n 64 signature: ECDSA P-256 / SHA-256, r || s (32 bytes each), over bytes [0, 0x9A+n)
/// </code>
/// Nothing may follow the signature.
/// </summary>
public static class SimEvidenceLayout
{
    public static ReadOnlySpan<byte> Magic => "SPEV"u8;
    public const ushort Version = 1;
    public const ushort FlagSimulated = 0x0001;
    public static ReadOnlySpan<byte> TypeMarker => "sim\0\0\0\0\0"u8;
    public static ReadOnlySpan<byte> Notice => "simulated: no hardware isolation"u8;

    public const int MagicOffset = 0x00, MagicSize = 4;
    public const int VersionOffset = 0x04;
    public const int FlagsOffset = 0x06;
    public const int TypeOffset = 0x08, TypeSize = 8;
    public const int MeasurementOffset = 0x10, MeasurementSize = 32;
    public const int ReportDataOffset = 0x30, ReportDataSize = 64;
    public const int TimestampOffset = 0x70;
    public const int NoticeOffset = 0x78, NoticeSize = 32;
    public const int SpkiLengthOffset = 0x98;
    public const int SpkiOffset = 0x9A;
    public const int SignatureSize = 64;
    /// <summary>Bound on the length field; version 1 accepts only a P-256 key (<see cref="P256SpkiSize"/> bytes).</summary>
    public const int MaxSpkiSize = 512;
    public const int P256SpkiSize = 91;
    /// <summary>DER of SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 0x04 (uncompressed) ...</summary>
    public static ReadOnlySpan<byte> P256SpkiHeader =>
    [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];
}

/// <summary>The fields of decoded `sim` evidence; <see cref="SignedLength"/> bytes are covered by <see cref="Signature"/>.</summary>
internal sealed record SimEvidenceBody(
    byte[] Measurement, byte[] ReportData, DateTimeOffset Timestamp, byte[] PlatformSpki, int SignedLength, byte[] Signature)
{
    public static byte[] Encode(ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> reportData, DateTimeOffset timestamp,
        ReadOnlySpan<byte> platformSpki, Func<byte[], byte[]> sign)
    {
        if (platformSpki.Length is 0 or > SimEvidenceLayout.MaxSpkiSize)
            throw new ArgumentException($"platform SPKI: expected 1..{SimEvidenceLayout.MaxSpkiSize} bytes, got {platformSpki.Length}");
        var signedLength = SimEvidenceLayout.SpkiOffset + platformSpki.Length;
        var body = new byte[signedLength];
        SimEvidenceLayout.Magic.CopyTo(body.AsSpan(SimEvidenceLayout.MagicOffset));
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(SimEvidenceLayout.VersionOffset), SimEvidenceLayout.Version);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(SimEvidenceLayout.FlagsOffset), SimEvidenceLayout.FlagSimulated);
        SimEvidenceLayout.TypeMarker.CopyTo(body.AsSpan(SimEvidenceLayout.TypeOffset));
        measurement.CopyTo(body.AsSpan(SimEvidenceLayout.MeasurementOffset, SimEvidenceLayout.MeasurementSize));
        reportData.CopyTo(body.AsSpan(SimEvidenceLayout.ReportDataOffset, SimEvidenceLayout.ReportDataSize));
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(SimEvidenceLayout.TimestampOffset), timestamp.ToUnixTimeMilliseconds());
        SimEvidenceLayout.Notice.CopyTo(body.AsSpan(SimEvidenceLayout.NoticeOffset));
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(SimEvidenceLayout.SpkiLengthOffset), (ushort)platformSpki.Length);
        platformSpki.CopyTo(body.AsSpan(SimEvidenceLayout.SpkiOffset));
        var signature = sign(body);
        if (signature.Length != SimEvidenceLayout.SignatureSize)
            throw new CryptographicException($"sim evidence signature: expected {SimEvidenceLayout.SignatureSize} bytes, got {signature.Length}");
        return [.. body, .. signature];
    }

    /// <summary>Decodes strictly: every fixed field must hold its one allowed value, and nothing may trail.</summary>
    public static SimEvidenceBody Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < SimEvidenceLayout.SpkiOffset)
            throw Malformed($"truncated: expected at least {SimEvidenceLayout.SpkiOffset} bytes of header, got {data.Length}");
        if (!data.Slice(SimEvidenceLayout.MagicOffset, SimEvidenceLayout.MagicSize).SequenceEqual(SimEvidenceLayout.Magic))
            throw Malformed($"magic at 0x00: expected 'SPEV', got {Convert.ToHexStringLower(data[..SimEvidenceLayout.MagicSize])}");
        var version = BinaryPrimitives.ReadUInt16BigEndian(data[SimEvidenceLayout.VersionOffset..]);
        if (version != SimEvidenceLayout.Version)
            throw Malformed($"version at 0x04: expected {SimEvidenceLayout.Version}, got {version}");
        var flags = BinaryPrimitives.ReadUInt16BigEndian(data[SimEvidenceLayout.FlagsOffset..]);
        if (flags != SimEvidenceLayout.FlagSimulated)
            throw Malformed($"flags at 0x06: expected 0x{SimEvidenceLayout.FlagSimulated:x4} (simulated), got 0x{flags:x4}");
        if (!data.Slice(SimEvidenceLayout.TypeOffset, SimEvidenceLayout.TypeSize).SequenceEqual(SimEvidenceLayout.TypeMarker))
            throw Malformed("type marker at 0x08: expected 'sim' and five zero bytes");
        if (!data.Slice(SimEvidenceLayout.NoticeOffset, SimEvidenceLayout.NoticeSize).SequenceEqual(SimEvidenceLayout.Notice))
            throw Malformed("notice at 0x78: expected 'simulated: no hardware isolation'");
        var timestampMs = BinaryPrimitives.ReadInt64BigEndian(data[SimEvidenceLayout.TimestampOffset..]);
        DateTimeOffset timestamp;
        try { timestamp = DateTimeOffset.FromUnixTimeMilliseconds(timestampMs); }
        catch (ArgumentOutOfRangeException) { throw Malformed($"timestamp at 0x70: {timestampMs} ms is out of range"); }
        int spkiLength = BinaryPrimitives.ReadUInt16BigEndian(data[SimEvidenceLayout.SpkiLengthOffset..]);
        if (spkiLength is 0 or > SimEvidenceLayout.MaxSpkiSize)
            throw Malformed($"platform key length at 0x98: expected 1..{SimEvidenceLayout.MaxSpkiSize}, got {spkiLength}");
        var signedLength = SimEvidenceLayout.SpkiOffset + spkiLength;
        var expectedTotal = signedLength + SimEvidenceLayout.SignatureSize;
        if (data.Length < expectedTotal)
            throw Malformed($"truncated: the header announces {expectedTotal} bytes, got {data.Length}");
        if (data.Length > expectedTotal)
            throw Malformed($"{data.Length - expectedTotal} trailing byte(s) after the signature (expected exactly {expectedTotal} bytes)");
        var spki = data.Slice(SimEvidenceLayout.SpkiOffset, spkiLength).ToArray();
        CheckPlatformKey(spki);
        return new SimEvidenceBody(
            data.Slice(SimEvidenceLayout.MeasurementOffset, SimEvidenceLayout.MeasurementSize).ToArray(),
            data.Slice(SimEvidenceLayout.ReportDataOffset, SimEvidenceLayout.ReportDataSize).ToArray(),
            timestamp, spki, signedLength,
            data.Slice(signedLength, SimEvidenceLayout.SignatureSize).ToArray());
    }

    /// <summary>
    /// The SPKI must be a P-256 key in its one DER encoding: the fixed 27-byte header of an uncompressed
    /// P-256 SubjectPublicKeyInfo, then X || Y (32 bytes each), a point on the curve.
    /// </summary>
    private static void CheckPlatformKey(byte[] spki)
    {
        if (spki.Length != SimEvidenceLayout.P256SpkiSize)
            throw Malformed($"platform key: expected a {SimEvidenceLayout.P256SpkiSize}-byte P-256 SubjectPublicKeyInfo, got {spki.Length} bytes");
        if (!spki.AsSpan(0, SimEvidenceLayout.P256SpkiHeader.Length).SequenceEqual(SimEvidenceLayout.P256SpkiHeader))
            throw Malformed("platform key: not an uncompressed ECDSA P-256 SubjectPublicKeyInfo (header differs)");
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            throw Malformed($"platform key: not a point on P-256 ({e.Message})");
        }
    }

    private static AttestationException Malformed(string detail) =>
        new(AttestationReasons.Malformed, $"sim evidence: {detail}");
}
