using System.Buffers.Binary;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.SevSnp;

/// <summary>
/// The bytes of <see cref="Evidence.Data"/> for "sev-snp": the 0x4A0-byte attestation report, optionally followed
/// by the certificate table the platform returns beside it (GHCB extended guest request; configfs-tsm
/// <c>auxblob</c>): entries of (GUID 16 bytes, offset u32 LE, length u32 LE) ended by an all-zero entry, offsets
/// counted from the start of the table. GUIDs are written in RFC 4122 byte order and read in either order.
/// </summary>
public static class SnpEvidenceData
{
    public const int TableEntrySize = 24;
    public static readonly Guid VcekGuid = new("63da758d-e664-4564-adc5-f4b93be8accd");
    public static readonly Guid VlekGuid = new("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
    public static readonly Guid AskGuid = new("4ab7b379-bbac-4fe4-a02f-05aef327c782");
    public static readonly Guid ArkGuid = new("c0b406a4-a803-4952-9743-3fb6014cd0ae");

    /// <summary>Report followed by a certificate table holding the VCEK (DER).</summary>
    public static byte[] Compose(ReadOnlySpan<byte> report, ReadOnlySpan<byte> vcekDer) => Compose(report, [(VcekGuid, vcekDer.ToArray())]);

    /// <summary>Report followed by a certificate table holding these certificates (GUID, DER), in this order.</summary>
    public static byte[] Compose(ReadOnlySpan<byte> report, IReadOnlyList<(Guid Guid, byte[] Der)> certificates)
    {
        if (report.Length != SnpReport.Size)
            throw new ArgumentException($"report must be {SnpReport.Size} bytes, got {report.Length}", nameof(report));
        ArgumentNullException.ThrowIfNull(certificates);
        var tableHeader = (certificates.Count + 1) * TableEntrySize; // the entries + the all-zero terminator
        var result = new byte[report.Length + tableHeader + certificates.Sum(c => c.Der.Length)];
        report.CopyTo(result);
        var table = result.AsSpan(report.Length);
        var offset = tableHeader;
        for (var i = 0; i < certificates.Count; i++)
        {
            var entry = table.Slice(i * TableEntrySize, TableEntrySize);
            certificates[i].Guid.TryWriteBytes(entry, bigEndian: true, out _);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[20..], (uint)certificates[i].Der.Length);
            certificates[i].Der.CopyTo(table[offset..]);
            offset += certificates[i].Der.Length;
        }
        return result;
    }

    /// <summary>Splits evidence data into the report bytes and the certificates of its table (by GUID).</summary>
    public static byte[] Split(ReadOnlySpan<byte> data, out IReadOnlyDictionary<Guid, byte[]> certificates)
    {
        if (data.Length < SnpReport.Size)
            throw new AttestationException(AttestationReasons.Malformed,
                $"SEV-SNP evidence: {data.Length} bytes, a report alone is {SnpReport.Size}");
        var report = data[..SnpReport.Size].ToArray();
        var table = data[SnpReport.Size..];
        var certs = new Dictionary<Guid, byte[]>();
        certificates = certs;
        if (table.IsEmpty)
            return report;
        for (var at = 0; ; at += TableEntrySize)
        {
            if (at + TableEntrySize > table.Length)
                throw new AttestationException(AttestationReasons.Malformed,
                    $"SEV-SNP certificate table: entry at {at} truncated (table is {table.Length} bytes, no zero terminator)");
            var entry = table.Slice(at, TableEntrySize);
            if (!entry.ContainsAnyExcept((byte)0))
                break;
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
            if ((ulong)offset + length > (ulong)table.Length)
                throw new AttestationException(AttestationReasons.Malformed,
                    $"SEV-SNP certificate table: entry at {at} points to {offset}+{length}, table is {table.Length} bytes");
            var bytes = table.Slice((int)offset, (int)length).ToArray();
            certs[Known(new Guid(entry[..16], bigEndian: true)) ?? new Guid(entry[..16])] = bytes;
        }
        return report;
    }

    private static Guid? Known(Guid g) => g == VcekGuid || g == VlekGuid || g == AskGuid || g == ArkGuid ? g : null;
}
