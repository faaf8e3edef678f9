using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sp.Core.Model;

namespace Sp.Certification;

/// <summary>PEM certificate chains: leaf first, root last, blocks separated by a newline.</summary>
public static class Pem
{
    private const string CertificateLabel = "CERTIFICATE";

    /// <summary>
    /// Reads every CERTIFICATE block in order. Only whitespace may surround the blocks; another label or
    /// stray text is an error (<see cref="CertificateReasons.MalformedPem"/>).
    /// </summary>
    public static List<X509Certificate2> ReadCertificates(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var result = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (!rest.IsWhiteSpace())
        {
            if (!PemEncoding.TryFind(rest, out var fields))
                throw Malformed($"certificate {result.Count + 1}: expected a '-----BEGIN CERTIFICATE-----' block");
            if (!rest[..fields.Location.Start].IsWhiteSpace())
                throw Malformed($"text before certificate {result.Count + 1} (only PEM blocks are allowed)");
            var label = rest[fields.Label].ToString();
            if (label != CertificateLabel)
                throw Malformed($"block {result.Count + 1}: expected label {CertificateLabel}, got {label}");
            var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            try { result.Add(X509CertificateLoader.LoadCertificate(der)); }
            catch (CryptographicException e) { throw Malformed($"certificate {result.Count + 1}: not a valid X.509 certificate ({e.Message})"); }
            rest = rest[fields.Location.End..];
        }
        if (result.Count == 0) throw Malformed("no certificate found");
        return result;
    }

    /// <summary>The PEM chain of these certificates, in the order given, each block ending with a newline.</summary>
    public static string Join(IEnumerable<X509Certificate2> certificates)
    {
        var sb = new StringBuilder();
        foreach (var certificate in certificates) sb.Append(certificate.ExportCertificatePem()).Append('\n');
        return sb.ToString();
    }

    /// <summary>The first (order) certificate of a report's chain, as PEM.</summary>
    public static string OrderCertificatePem(OrderReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var certificates = ReadCertificates(report.Certificate);
        try { return Join([certificates[0]]); }
        finally { foreach (var c in certificates) c.Dispose(); }
    }

    private static CertificateValidationException Malformed(string detail) =>
        new(CertificateReasons.MalformedPem, $"PEM chain: {detail}");
}
