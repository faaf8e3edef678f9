using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation.Vendor;

namespace Sp.Attestation.Tdx;

/// <summary>
/// The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1, "SGX PCK Certificate and CRL
/// Profile"): a SEQUENCE of (OID, value) pairs: PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type.
/// </summary>
public sealed class PckCertificateExtensions
{
    public const string SgxExtensionsOid = "1.2.840.113741.1.13.1";
    public const string PpidOid = SgxExtensionsOid + ".1";
    public const string TcbOid = SgxExtensionsOid + ".2";
    public const string PceSvnOid = TcbOid + ".17";
    public const string CpuSvnOid = TcbOid + ".18";
    public const string PceIdOid = SgxExtensionsOid + ".3";
    public const string FmspcOid = SgxExtensionsOid + ".4";
    public const string SgxTypeOid = SgxExtensionsOid + ".5";
    public const int TcbComponentCount = 16;

    public required byte[] Fmspc { get; init; }
    public required byte[] PceId { get; init; }
    public required byte[] Ppid { get; init; }
    /// <summary>SGX TCB component SVNs 1..16 (index 0..15).</summary>
    public required int[] TcbComponents { get; init; }
    public required int PceSvn { get; init; }
    public required byte[] CpuSvn { get; init; }

    /// <summary>Reads the extension from a PCK leaf certificate; throws "malformed" when absent or not as the profile says.</summary>
    public static PckCertificateExtensions Read(X509Certificate2 pck)
    {
        var ext = pck.Extensions.FirstOrDefault(e => e.Oid?.Value == SgxExtensionsOid)
            ?? throw new AttestationException(AttestationReasons.Malformed,
                $"PCK certificate '{pck.Subject}': no SGX extension ({SgxExtensionsOid})");
        try
        {
            byte[]? fmspc = null, pceId = null, ppid = null, cpuSvn = null;
            var comps = new int[TcbComponentCount];
            int pceSvn = -1;
            var seq = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
            while (seq.HasData)
            {
                var item = seq.ReadSequence();
                var oid = item.ReadObjectIdentifier();
                switch (oid)
                {
                    case PpidOid: ppid = item.ReadOctetString(); break;
                    case PceIdOid: pceId = item.ReadOctetString(); break;
                    case FmspcOid: fmspc = item.ReadOctetString(); break;
                    case TcbOid:
                        var tcb = item.ReadSequence();
                        while (tcb.HasData)
                        {
                            var c = tcb.ReadSequence();
                            var cOid = c.ReadObjectIdentifier();
                            if (cOid == CpuSvnOid)
                                cpuSvn = c.ReadOctetString();
                            else if (cOid == PceSvnOid)
                                pceSvn = (int)c.ReadInteger();
                            else if (cOid.StartsWith(TcbOid + ".", StringComparison.Ordinal)
                                     && int.TryParse(cOid.AsSpan(TcbOid.Length + 1), out var n) && n is >= 1 and <= TcbComponentCount)
                                comps[n - 1] = (int)c.ReadInteger();
                            else
                                c.ReadEncodedValue();
                        }
                        break;
                    default: item.ReadEncodedValue(); break;
                }
            }
            if (fmspc is null || pceId is null || pceSvn < 0 || cpuSvn is null)
                throw new AttestationException(AttestationReasons.Malformed,
                    $"PCK certificate SGX extension: missing {(fmspc is null ? "FMSPC" : pceId is null ? "PCE-ID" : pceSvn < 0 ? "PCESVN" : "CPUSVN")}");
            return new PckCertificateExtensions
            {
                Fmspc = fmspc, PceId = pceId, Ppid = ppid ?? [], TcbComponents = comps, PceSvn = pceSvn, CpuSvn = cpuSvn,
            };
        }
        catch (Exception e) when (e is AsnContentException or OverflowException or InvalidCastException)
        {
            throw new AttestationException(AttestationReasons.Malformed, "PCK certificate SGX extension: " + e.Message);
        }
    }
}
