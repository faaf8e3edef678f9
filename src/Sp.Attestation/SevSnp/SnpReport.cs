using System.Buffers.Binary;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.SevSnp;

/// <summary>
/// A TCB_VERSION (u64) as AMD lays it out. Milan/Genoa: byte 0 boot loader, 1 TEE, 6 SNP, 7 microcode.
/// Turin (family 0x1A, report v3+): byte 0 FMC, 1 boot loader, 2 TEE, 3 SNP, 7 microcode.
/// </summary>
public readonly record struct SnpTcbVersion(ulong Raw, bool TurinLayout)
{
    public byte Fmc => TurinLayout ? Byte(0) : (byte)0;
    public byte BootLoader => TurinLayout ? Byte(1) : Byte(0);
    public byte Tee => TurinLayout ? Byte(2) : Byte(1);
    public byte Snp => TurinLayout ? Byte(3) : Byte(6);
    public byte Microcode => Byte(7);

    private byte Byte(int i) => (byte)(Raw >> (8 * i));

    /// <summary>The 8 bytes as they appear in the report (little-endian), hex.</summary>
    public string Hex
    {
        get
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, Raw);
            return Convert.ToHexStringLower(b);
        }
    }

    public override string ToString() =>
        (TurinLayout ? $"fmc={Fmc} " : "") + $"bl={BootLoader} tee={Tee} snp={Snp} ucode={Microcode} ({Hex})";
}

/// <summary>
/// An AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP Firmware ABI specification, table "ATTESTATION_REPORT
/// Structure"): 0x4A0 bytes, versions 2, 3 and 5; the signature covers bytes 0..0x2A0.
/// </summary>
public sealed class SnpReport
{
    public const int Size = 0x4A0;
    public const int SignedSize = 0x2A0;

    public const int VersionOffset = 0x000;        // u32
    public const int GuestSvnOffset = 0x004;       // u32
    public const int PolicyOffset = 0x008;         // u64
    public const int FamilyIdOffset = 0x010;       // 16
    public const int ImageIdOffset = 0x020;        // 16
    public const int VmplOffset = 0x030;           // u32
    public const int SignatureAlgoOffset = 0x034;  // u32
    public const int CurrentTcbOffset = 0x038;     // u64
    public const int PlatformInfoOffset = 0x040;   // u64
    public const int KeyInfoOffset = 0x048;        // u32: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 2-4 SIGNING_KEY
    public const int ReportDataOffset = 0x050;     // 64
    public const int MeasurementOffset = 0x090;    // 48
    public const int HostDataOffset = 0x0C0;       // 32
    public const int IdKeyDigestOffset = 0x0E0;    // 48
    public const int AuthorKeyDigestOffset = 0x110;// 48
    public const int ReportIdOffset = 0x140;       // 32
    public const int ReportIdMaOffset = 0x160;     // 32
    public const int ReportedTcbOffset = 0x180;    // u64
    public const int CpuidFamIdOffset = 0x188;     // u8 (v3+)
    public const int CpuidModIdOffset = 0x189;     // u8 (v3+)
    public const int CpuidSteppingOffset = 0x18A;  // u8 (v3+)
    public const int ChipIdOffset = 0x1A0;         // 64
    public const int CommittedTcbOffset = 0x1E0;   // u64
    public const int CurrentBuildOffset = 0x1E8;   // u8, then minor 0x1E9, major 0x1EA
    public const int CommittedBuildOffset = 0x1EC; // u8, then minor 0x1ED, major 0x1EE
    public const int LaunchTcbOffset = 0x1F0;      // u64
    public const int LaunchMitVectorOffset = 0x1F8;// u64 (v5)
    public const int CurrentMitVectorOffset = 0x200;// u64 (v5)
    public const int SignatureOffset = 0x2A0;      // R (72, little-endian), S (72, little-endian), reserved
    public const int SignatureComponentSize = 72;

    public const int ReportDataSize = 64;
    public const int MeasurementSize = 48;
    public const int ChipIdSize = 64;

    public const uint SignatureAlgoEcdsaP384Sha384 = 1;
    /// <summary>Guest policy bit 19: the guest may be debugged (its memory read by the host).</summary>
    public const ulong PolicyDebug = 1UL << 19;
    public const ulong PolicySmt = 1UL << 16;
    public const ulong PolicyMigrateMa = 1UL << 18;
    public const ulong PolicySingleSocket = 1UL << 20;
    public const uint SigningKeyVcek = 0;
    public const uint SigningKeyVlek = 1;
    public const uint SigningKeyNone = 7;
    /// <summary>CPUID family of Turin (Zen 5), whose TCB_VERSION layout differs.</summary>
    public const byte FamilyTurin = 0x1A;

    public required uint Version { get; init; }
    public required uint GuestSvn { get; init; }
    public required ulong Policy { get; init; }
    public required byte[] FamilyId { get; init; }
    public required byte[] ImageId { get; init; }
    public required uint Vmpl { get; init; }
    public required uint SignatureAlgo { get; init; }
    public required SnpTcbVersion CurrentTcb { get; init; }
    public required ulong PlatformInfo { get; init; }
    public required uint KeyInfo { get; init; }
    public required byte[] ReportData { get; init; }
    public required byte[] Measurement { get; init; }
    public required byte[] HostData { get; init; }
    public required byte[] IdKeyDigest { get; init; }
    public required byte[] AuthorKeyDigest { get; init; }
    public required byte[] ReportId { get; init; }
    public required byte[] ReportIdMa { get; init; }
    public required SnpTcbVersion ReportedTcb { get; init; }
    public required byte CpuidFamilyId { get; init; }
    public required byte CpuidModelId { get; init; }
    public required byte CpuidStepping { get; init; }
    public required byte[] ChipId { get; init; }
    public required SnpTcbVersion CommittedTcb { get; init; }
    public required (byte Major, byte Minor, byte Build) CurrentVersion { get; init; }
    public required (byte Major, byte Minor, byte Build) CommittedVersion { get; init; }
    public required SnpTcbVersion LaunchTcb { get; init; }
    public ulong LaunchMitVector { get; init; }
    public ulong CurrentMitVector { get; init; }
    /// <summary>Bytes 0..0x2A0, which the signature covers.</summary>
    public required byte[] SignedBytes { get; init; }
    /// <summary>Signature r, as stored (72 bytes little-endian).</summary>
    public required byte[] SignatureR { get; init; }
    /// <summary>Signature s, as stored (72 bytes little-endian).</summary>
    public required byte[] SignatureS { get; init; }

    public bool Debug => (Policy & PolicyDebug) != 0;
    public bool AuthorKeyEnabled => (KeyInfo & 1) != 0;
    public bool MaskChipKey => (KeyInfo & 2) != 0;
    public uint SigningKey => (KeyInfo >> 2) & 7;
    public byte PolicyAbiMajor => (byte)(Policy >> 8);
    public byte PolicyAbiMinor => (byte)Policy;

    /// <summary>Parses exactly <see cref="Size"/> bytes; throws <see cref="AttestationException"/> "malformed"/"unsupported".</summary>
    public static SnpReport Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length != Size)
            throw new AttestationException(AttestationReasons.Malformed,
                $"SEV-SNP report: expected {Size} bytes (0x{Size:x}), got {b.Length}");
        var version = U32(b, VersionOffset);
        if (version < 2)
            throw new AttestationException(AttestationReasons.Unsupported, $"SEV-SNP report: version {version}, expected 2 or later");
        var family = version >= 3 ? b[CpuidFamIdOffset] : (byte)0;
        var turin = family == FamilyTurin;
        return new SnpReport
        {
            Version = version,
            GuestSvn = U32(b, GuestSvnOffset),
            Policy = BinaryPrimitives.ReadUInt64LittleEndian(b[PolicyOffset..]),
            FamilyId = b.Slice(FamilyIdOffset, 16).ToArray(),
            ImageId = b.Slice(ImageIdOffset, 16).ToArray(),
            Vmpl = U32(b, VmplOffset),
            SignatureAlgo = U32(b, SignatureAlgoOffset),
            CurrentTcb = Tcb(b, CurrentTcbOffset, turin),
            PlatformInfo = BinaryPrimitives.ReadUInt64LittleEndian(b[PlatformInfoOffset..]),
            KeyInfo = U32(b, KeyInfoOffset),
            ReportData = b.Slice(ReportDataOffset, ReportDataSize).ToArray(),
            Measurement = b.Slice(MeasurementOffset, MeasurementSize).ToArray(),
            HostData = b.Slice(HostDataOffset, 32).ToArray(),
            IdKeyDigest = b.Slice(IdKeyDigestOffset, 48).ToArray(),
            AuthorKeyDigest = b.Slice(AuthorKeyDigestOffset, 48).ToArray(),
            ReportId = b.Slice(ReportIdOffset, 32).ToArray(),
            ReportIdMa = b.Slice(ReportIdMaOffset, 32).ToArray(),
            ReportedTcb = Tcb(b, ReportedTcbOffset, turin),
            CpuidFamilyId = family,
            CpuidModelId = version >= 3 ? b[CpuidModIdOffset] : (byte)0,
            CpuidStepping = version >= 3 ? b[CpuidSteppingOffset] : (byte)0,
            ChipId = b.Slice(ChipIdOffset, ChipIdSize).ToArray(),
            CommittedTcb = Tcb(b, CommittedTcbOffset, turin),
            CurrentVersion = (b[CurrentBuildOffset + 2], b[CurrentBuildOffset + 1], b[CurrentBuildOffset]),
            CommittedVersion = (b[CommittedBuildOffset + 2], b[CommittedBuildOffset + 1], b[CommittedBuildOffset]),
            LaunchTcb = Tcb(b, LaunchTcbOffset, turin),
            LaunchMitVector = version >= 5 ? BinaryPrimitives.ReadUInt64LittleEndian(b[LaunchMitVectorOffset..]) : 0,
            CurrentMitVector = version >= 5 ? BinaryPrimitives.ReadUInt64LittleEndian(b[CurrentMitVectorOffset..]) : 0,
            SignedBytes = b[..SignedSize].ToArray(),
            SignatureR = b.Slice(SignatureOffset, SignatureComponentSize).ToArray(),
            SignatureS = b.Slice(SignatureOffset + SignatureComponentSize, SignatureComponentSize).ToArray(),
        };
    }

    /// <summary>The signature as IEEE P1363 r||s, big-endian, each <paramref name="coordinateSize"/> bytes (48 for P-384).</summary>
    public byte[] SignatureP1363(int coordinateSize)
    {
        var result = new byte[2 * coordinateSize];
        WriteBigEndian(SignatureR, result.AsSpan(0, coordinateSize));
        WriteBigEndian(SignatureS, result.AsSpan(coordinateSize, coordinateSize));
        return result;
    }

    private static void WriteBigEndian(byte[] littleEndian, Span<byte> target)
    {
        // The 72-byte field is zero-extended: bytes past the curve size must be zero.
        if (littleEndian.AsSpan(target.Length).ContainsAnyExcept((byte)0))
            throw new AttestationException(AttestationReasons.BadReportSignature,
                $"SEV-SNP signature component exceeds {target.Length} bytes");
        for (var i = 0; i < target.Length; i++)
            target[i] = littleEndian[target.Length - 1 - i];
    }

    private static SnpTcbVersion Tcb(ReadOnlySpan<byte> b, int offset, bool turin) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]), turin);

    private static uint U32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]);
}
