using System.Buffers.Binary;
using System.Text;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tdx;

/// <summary>
/// Offsets and sizes of the Intel TDX DCAP quote, from "Intel TDX DCAP Quoting Library API" (quote format v4, and
/// v5 with its body descriptor) and the SGX REPORT body from the SGX architecture (QE report). All integers little-endian.
/// </summary>
public static class TdxQuoteLayout
{
    // Quote header (48 bytes).
    public const int HeaderSize = 0x30;
    public const int HeaderVersionOffset = 0x00;           // u16
    public const int HeaderAttestationKeyTypeOffset = 0x02; // u16
    public const int HeaderTeeTypeOffset = 0x04;           // u32
    public const int HeaderQeSvnOffset = 0x08;             // u16 (reserved in v4 docs)
    public const int HeaderPceSvnOffset = 0x0A;            // u16 (reserved in v4 docs)
    public const int HeaderQeVendorIdOffset = 0x0C;        // 16 bytes
    public const int HeaderUserDataOffset = 0x1C;          // 20 bytes
    public const int QeVendorIdSize = 16;
    public const int UserDataSize = 20;

    public const ushort Version4 = 4;
    public const ushort Version5 = 5;
    public const ushort AttestationKeyTypeEcdsaP256 = 2;
    public const uint TeeTypeTdx = 0x81;
    public const uint TeeTypeSgx = 0x00;

    // v5: a body descriptor follows the header.
    public const int V5BodyDescriptorSize = 6;             // u16 type, u32 size
    public const ushort V5BodyTypeTdx10 = 2;
    public const ushort V5BodyTypeTdx15 = 3;

    // Signature data, after the signed area: u32 length, then the ECDSA-256 quote signature data.
    public const int SignatureDataLengthSize = 4;
    public const int EcdsaSignatureSize = 64;               // r || s, big-endian
    public const int EcdsaPublicKeySize = 64;               // X || Y, big-endian
    public const int CertificationDataHeaderSize = 6;       // u16 type, u32 size

    public const ushort CertificationDataPckChain = 5;      // PEM: PCK leaf, intermediate, root
    public const ushort CertificationDataQeReport = 6;      // QE report certification data (wraps type 5)

    public const int QeAuthDataLengthSize = 2;              // u16
}

/// <summary>The 48-byte quote header.</summary>
public sealed class TdxQuoteHeader
{
    public required ushort Version { get; init; }
    public required ushort AttestationKeyType { get; init; }
    public required uint TeeType { get; init; }
    public required ushort QeSvn { get; init; }
    public required ushort PceSvn { get; init; }
    public required byte[] QeVendorId { get; init; }
    public required byte[] UserData { get; init; }

    public static TdxQuoteHeader Parse(ReadOnlySpan<byte> b)
    {
        TdxAbi.Need(b, TdxQuoteLayout.HeaderSize, 0, "quote header");
        return new TdxQuoteHeader
        {
            Version = BinaryPrimitives.ReadUInt16LittleEndian(b[TdxQuoteLayout.HeaderVersionOffset..]),
            AttestationKeyType = BinaryPrimitives.ReadUInt16LittleEndian(b[TdxQuoteLayout.HeaderAttestationKeyTypeOffset..]),
            TeeType = BinaryPrimitives.ReadUInt32LittleEndian(b[TdxQuoteLayout.HeaderTeeTypeOffset..]),
            QeSvn = BinaryPrimitives.ReadUInt16LittleEndian(b[TdxQuoteLayout.HeaderQeSvnOffset..]),
            PceSvn = BinaryPrimitives.ReadUInt16LittleEndian(b[TdxQuoteLayout.HeaderPceSvnOffset..]),
            QeVendorId = b.Slice(TdxQuoteLayout.HeaderQeVendorIdOffset, TdxQuoteLayout.QeVendorIdSize).ToArray(),
            UserData = b.Slice(TdxQuoteLayout.HeaderUserDataOffset, TdxQuoteLayout.UserDataSize).ToArray(),
        };
    }
}

/// <summary>The TD report body of a quote (TDX 1.0: 584 bytes; TDX 1.5 adds TEE_TCB_SVN_2 and MRSERVICETD: 648).</summary>
public sealed class TdReportBody
{
    public const int Tdx10Size = 0x248;
    public const int Tdx15Size = 0x288;
    public const int MeasurementSize = 48;
    public const int ReportDataSize = 64;
    public const int RtmrCount = 4;

    public const int TeeTcbSvnOffset = 0x000;      // 16
    public const int MrSeamOffset = 0x010;         // 48
    public const int MrSignerSeamOffset = 0x040;   // 48
    public const int SeamAttributesOffset = 0x070; // 8
    public const int TdAttributesOffset = 0x078;   // 8
    public const int XfamOffset = 0x080;           // 8
    public const int MrTdOffset = 0x088;           // 48
    public const int MrConfigIdOffset = 0x0B8;     // 48
    public const int MrOwnerOffset = 0x0E8;        // 48
    public const int MrOwnerConfigOffset = 0x118;  // 48
    public const int Rtmr0Offset = 0x148;          // 4 x 48
    public const int ReportDataOffset = 0x208;     // 64
    public const int TeeTcbSvn2Offset = 0x248;     // 16 (TDX 1.5)
    public const int MrServiceTdOffset = 0x258;    // 48 (TDX 1.5)

    /// <summary>TD attributes bit 0 (TUD.DEBUG): the TD runs in debug mode; its memory and state are not private.</summary>
    public const ulong TdAttributeDebug = 1UL << 0;
    /// <summary>TD attributes bit 28: SEPT_VE_DISABLE.</summary>
    public const ulong TdAttributeSeptVeDisable = 1UL << 28;

    public required byte[] TeeTcbSvn { get; init; }
    public required byte[] MrSeam { get; init; }
    public required byte[] MrSignerSeam { get; init; }
    public required byte[] SeamAttributes { get; init; }
    public required byte[] TdAttributes { get; init; }
    public required byte[] Xfam { get; init; }
    public required byte[] MrTd { get; init; }
    public required byte[] MrConfigId { get; init; }
    public required byte[] MrOwner { get; init; }
    public required byte[] MrOwnerConfig { get; init; }
    public required IReadOnlyList<byte[]> Rtmrs { get; init; }
    public required byte[] ReportData { get; init; }
    /// <summary>TDX 1.5 bodies only.</summary>
    public byte[]? TeeTcbSvn2 { get; init; }
    /// <summary>TDX 1.5 bodies only.</summary>
    public byte[]? MrServiceTd { get; init; }

    public ulong TdAttributesValue => BinaryPrimitives.ReadUInt64LittleEndian(TdAttributes);
    public bool Debug => (TdAttributesValue & TdAttributeDebug) != 0;

    /// <summary>Parses a body of exactly <see cref="Tdx10Size"/> or <see cref="Tdx15Size"/> bytes.</summary>
    public static TdReportBody Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length != Tdx10Size && b.Length != Tdx15Size)
            throw new AttestationException(AttestationReasons.Malformed,
                $"TD report body: expected {Tdx10Size} or {Tdx15Size} bytes, got {b.Length}");
        var rtmrs = new byte[RtmrCount][];
        for (var i = 0; i < RtmrCount; i++)
            rtmrs[i] = b.Slice(Rtmr0Offset + i * MeasurementSize, MeasurementSize).ToArray();
        var is15 = b.Length == Tdx15Size;
        return new TdReportBody
        {
            TeeTcbSvn = b.Slice(TeeTcbSvnOffset, 16).ToArray(),
            MrSeam = b.Slice(MrSeamOffset, MeasurementSize).ToArray(),
            MrSignerSeam = b.Slice(MrSignerSeamOffset, MeasurementSize).ToArray(),
            SeamAttributes = b.Slice(SeamAttributesOffset, 8).ToArray(),
            TdAttributes = b.Slice(TdAttributesOffset, 8).ToArray(),
            Xfam = b.Slice(XfamOffset, 8).ToArray(),
            MrTd = b.Slice(MrTdOffset, MeasurementSize).ToArray(),
            MrConfigId = b.Slice(MrConfigIdOffset, MeasurementSize).ToArray(),
            MrOwner = b.Slice(MrOwnerOffset, MeasurementSize).ToArray(),
            MrOwnerConfig = b.Slice(MrOwnerConfigOffset, MeasurementSize).ToArray(),
            Rtmrs = rtmrs,
            ReportData = b.Slice(ReportDataOffset, ReportDataSize).ToArray(),
            TeeTcbSvn2 = is15 ? b.Slice(TeeTcbSvn2Offset, 16).ToArray() : null,
            MrServiceTd = is15 ? b.Slice(MrServiceTdOffset, MeasurementSize).ToArray() : null,
        };
    }
}

/// <summary>The 384-byte SGX REPORT body the Quoting Enclave produced (the QE report).</summary>
public sealed class SgxReportBody
{
    public const int Size = 384;
    public const int CpuSvnOffset = 0x000;      // 16
    public const int MiscSelectOffset = 0x010;  // u32
    public const int AttributesOffset = 0x030;  // 16
    public const int MrEnclaveOffset = 0x040;   // 32
    public const int MrSignerOffset = 0x080;    // 32
    public const int IsvProdIdOffset = 0x100;   // u16
    public const int IsvSvnOffset = 0x102;      // u16
    public const int ReportDataOffset = 0x140;  // 64

    public required byte[] CpuSvn { get; init; }
    public required uint MiscSelect { get; init; }
    public required byte[] Attributes { get; init; }
    public required byte[] MrEnclave { get; init; }
    public required byte[] MrSigner { get; init; }
    public required ushort IsvProdId { get; init; }
    public required ushort IsvSvn { get; init; }
    public required byte[] ReportData { get; init; }

    public static SgxReportBody Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length != Size)
            throw new AttestationException(AttestationReasons.Malformed, $"QE report: expected {Size} bytes, got {b.Length}");
        return new SgxReportBody
        {
            CpuSvn = b.Slice(CpuSvnOffset, 16).ToArray(),
            MiscSelect = BinaryPrimitives.ReadUInt32LittleEndian(b[MiscSelectOffset..]),
            Attributes = b.Slice(AttributesOffset, 16).ToArray(),
            MrEnclave = b.Slice(MrEnclaveOffset, 32).ToArray(),
            MrSigner = b.Slice(MrSignerOffset, 32).ToArray(),
            IsvProdId = BinaryPrimitives.ReadUInt16LittleEndian(b[IsvProdIdOffset..]),
            IsvSvn = BinaryPrimitives.ReadUInt16LittleEndian(b[IsvSvnOffset..]),
            ReportData = b.Slice(ReportDataOffset, 64).ToArray(),
        };
    }
}

/// <summary>
/// An Intel TDX quote (v4, or v5 with a TDX body), ECDSA-256 attestation key, certification data type 6
/// (QE report certification data) wrapping type 5 (PCK certificate chain, PEM). Parsing checks sizes only;
/// <see cref="TdxVerifier"/> checks signatures and the chain.
/// </summary>
public sealed class TdxQuote
{
    public required TdxQuoteHeader Header { get; init; }
    /// <summary>v5 only: the body type (2 = TDX 1.0, 3 = TDX 1.5); 0 for v4.</summary>
    public ushort BodyType { get; init; }
    public required TdReportBody Body { get; init; }
    /// <summary>The bytes the quote signature covers: header (+ v5 body descriptor) + TD report body.</summary>
    public required byte[] SignedArea { get; init; }
    /// <summary>ECDSA P-256 signature r || s (big-endian, 32 bytes each).</summary>
    public required byte[] QuoteSignature { get; init; }
    /// <summary>Attestation public key X || Y (big-endian, 32 bytes each).</summary>
    public required byte[] AttestationKey { get; init; }
    public required byte[] QeReportBytes { get; init; }
    public required SgxReportBody QeReport { get; init; }
    public required byte[] QeReportSignature { get; init; }
    public required byte[] QeAuthData { get; init; }
    /// <summary>The type 5 certification data: PCK leaf, intermediate CA and root, PEM (may end with a NUL).</summary>
    public required byte[] PckCertChainPem { get; init; }
    /// <summary>Bytes after the signature data (padding some quote generators add); not covered by anything.</summary>
    public int TrailingBytes { get; init; }

    /// <summary>Parses a quote; throws <see cref="AttestationException"/> "malformed" or "unsupported".</summary>
    public static TdxQuote Parse(ReadOnlySpan<byte> data)
    {
        var header = TdxQuoteHeader.Parse(data);
        if (header.Version != TdxQuoteLayout.Version4 && header.Version != TdxQuoteLayout.Version5)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"TDX quote header: version {header.Version}, expected 4 or 5");
        if (header.AttestationKeyType != TdxQuoteLayout.AttestationKeyTypeEcdsaP256)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"TDX quote header: attestation key type {header.AttestationKeyType}, expected 2 (ECDSA-256-with-P-256)");
        if (header.TeeType != TdxQuoteLayout.TeeTypeTdx)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"TDX quote header: TEE type 0x{header.TeeType:x}, expected 0x81 (TDX)");

        int offset = TdxQuoteLayout.HeaderSize;
        int bodySize = TdReportBody.Tdx10Size;
        ushort bodyType = 0;
        if (header.Version == TdxQuoteLayout.Version5)
        {
            TdxAbi.Need(data, TdxQuoteLayout.V5BodyDescriptorSize, offset, "v5 body descriptor");
            bodyType = BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]);
            var declared = BinaryPrimitives.ReadUInt32LittleEndian(data[(offset + 2)..]);
            var expected = bodyType switch
            {
                TdxQuoteLayout.V5BodyTypeTdx10 => TdReportBody.Tdx10Size,
                TdxQuoteLayout.V5BodyTypeTdx15 => TdReportBody.Tdx15Size,
                _ => throw new AttestationException(AttestationReasons.Unsupported,
                    $"TDX quote v5: body type {bodyType}, expected 2 (TDX 1.0) or 3 (TDX 1.5)"),
            };
            if (declared != expected)
                throw new AttestationException(AttestationReasons.Malformed,
                    $"TDX quote v5: body type {bodyType} must be {expected} bytes, size field says {declared}");
            bodySize = expected;
            offset += TdxQuoteLayout.V5BodyDescriptorSize;
        }
        TdxAbi.Need(data, bodySize, offset, "TD report body");
        var body = TdReportBody.Parse(data.Slice(offset, bodySize));
        offset += bodySize;
        var signedArea = data[..offset].ToArray();

        TdxAbi.Need(data, TdxQuoteLayout.SignatureDataLengthSize, offset, "signature data length");
        var sigDataLen = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
        offset += TdxQuoteLayout.SignatureDataLengthSize;
        TdxAbi.Need(data, sigDataLen, offset, "signature data");
        var sigData = data.Slice(offset, (int)sigDataLen);
        var trailing = data.Length - offset - (int)sigDataLen;

        int o = 0;
        TdxAbi.Need(sigData, TdxQuoteLayout.EcdsaSignatureSize + TdxQuoteLayout.EcdsaPublicKeySize, 0,
            "quote signature and attestation key", offset);
        var quoteSignature = sigData.Slice(o, TdxQuoteLayout.EcdsaSignatureSize).ToArray();
        o += TdxQuoteLayout.EcdsaSignatureSize;
        var attestationKey = sigData.Slice(o, TdxQuoteLayout.EcdsaPublicKeySize).ToArray();
        o += TdxQuoteLayout.EcdsaPublicKeySize;

        var outer = TdxAbi.ReadCertificationData(sigData, ref o, "certification data", out var outerType, offset);
        // Zero padding after the certification data is tolerated (platforms round sizes up); anything else is not.
        if (o != sigData.Length && sigData[o..].ContainsAnyExcept((byte)0))
            throw new AttestationException(AttestationReasons.Malformed,
                $"signature data: {sigData.Length - o} bytes left after the certification data (length field {sigDataLen}), not all zero");
        if (outerType != TdxQuoteLayout.CertificationDataQeReport)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"certification data: type {outerType}, expected 6 (QE report certification data)");

        int q = 0;
        TdxAbi.Need(outer, SgxReportBody.Size + TdxQuoteLayout.EcdsaSignatureSize + TdxQuoteLayout.QeAuthDataLengthSize, 0,
            "QE report certification data");
        var qeReportBytes = outer.Slice(q, SgxReportBody.Size).ToArray();
        q += SgxReportBody.Size;
        var qeReportSignature = outer.Slice(q, TdxQuoteLayout.EcdsaSignatureSize).ToArray();
        q += TdxQuoteLayout.EcdsaSignatureSize;
        var authLen = BinaryPrimitives.ReadUInt16LittleEndian(outer[q..]);
        q += TdxQuoteLayout.QeAuthDataLengthSize;
        TdxAbi.Need(outer, authLen, q, "QE auth data");
        var qeAuthData = outer.Slice(q, authLen).ToArray();
        q += authLen;
        var inner = TdxAbi.ReadCertificationData(outer, ref q, "nested certification data", out var innerType);
        if (q != outer.Length && outer[q..].ContainsAnyExcept((byte)0))
            throw new AttestationException(AttestationReasons.Malformed,
                $"QE report certification data: {outer.Length - q} bytes left after the nested certification data, not all zero");
        if (innerType != TdxQuoteLayout.CertificationDataPckChain)
            throw new AttestationException(AttestationReasons.Unsupported,
                $"nested certification data: type {innerType}, expected 5 (PCK certificate chain)");

        return new TdxQuote
        {
            Header = header,
            BodyType = bodyType,
            Body = body,
            SignedArea = signedArea,
            QuoteSignature = quoteSignature,
            AttestationKey = attestationKey,
            QeReportBytes = qeReportBytes,
            QeReport = SgxReportBody.Parse(qeReportBytes),
            QeReportSignature = qeReportSignature,
            QeAuthData = qeAuthData,
            PckCertChainPem = inner.ToArray(),
            TrailingBytes = trailing,
        };
    }

    /// <summary>The PCK chain text, without the NUL terminator some generators add.</summary>
    public string PckCertChainText => Encoding.ASCII.GetString(PckCertChainPem).TrimEnd('\0');
}

internal static class TdxAbi
{
    public static void Need(ReadOnlySpan<byte> b, long count, int at, string what, int baseOffset = 0)
    {
        if (count < 0 || at + count > b.Length)
            throw new AttestationException(AttestationReasons.Malformed,
                $"TDX quote truncated: {what} needs {count} bytes at offset 0x{baseOffset + at:x}, only {Math.Max(0, b.Length - at)} left");
    }

    public static ReadOnlySpan<byte> ReadCertificationData(ReadOnlySpan<byte> b, ref int o, string what, out ushort type,
        int baseOffset = 0)
    {
        Need(b, TdxQuoteLayout.CertificationDataHeaderSize, o, what + " header", baseOffset);
        type = BinaryPrimitives.ReadUInt16LittleEndian(b[o..]);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(b[(o + 2)..]);
        o += TdxQuoteLayout.CertificationDataHeaderSize;
        Need(b, size, o, $"{what} (type {type})", baseOffset);
        var data = b.Slice(o, (int)size);
        o += (int)size;
        return data;
    }
}
