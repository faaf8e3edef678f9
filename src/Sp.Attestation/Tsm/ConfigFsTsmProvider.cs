namespace Sp.Attestation.Tsm;

/// <summary>
/// Evidence from the Linux configfs-tsm interface of a confidential VM (TDX or SEV-SNP): create a report entry
/// under /sys/kernel/config/tsm/report, write the 64 bytes of report data to <c>inblob</c>, read the quote or
/// attestation report from <c>outblob</c> and, on SEV-SNP, the certificate table from <c>auxblob</c>
/// (appended to the evidence, docs/formats-attestation.md). The entry is removed afterwards.
/// </summary>
public sealed class ConfigFsTsmProvider : IEvidenceProvider
{
    public const string DefaultRoot = "/sys/kernel/config/tsm/report";

    private readonly string _root;
    private readonly Func<string> _entryName;

    /// <param name="entryName">Names each report entry (default: unique per process and call); a stand-in for the
    /// kernel in tests prepares the entry it will be given.</param>
    public ConfigFsTsmProvider(string type, string root = DefaultRoot, Func<string>? entryName = null)
    {
        _entryName = entryName ?? (() => $"sp-tee-{Environment.ProcessId}-{Guid.NewGuid():N}");
        if (type is not (EvidenceTypes.Tdx or EvidenceTypes.SevSnp))
            throw new ArgumentException($"configfs-tsm gives tdx or sev-snp evidence, not '{type}'", nameof(type));
        Type = type;
        _root = root;
        if (!Directory.Exists(root))
            throw new AttestationException(AttestationReasons.Unsupported,
                $"{type} evidence needs the configfs-tsm interface at {root}, which this machine lacks (not a confidential VM, " +
                "or configfs is not mounted); without TEE hardware use the \"sim\" attestation provider");
    }

    public string Type { get; }

    public Evidence GetEvidence(ReadOnlySpan<byte> reportData)
    {
        if (reportData.Length != 64) throw new ArgumentException("report data must be 64 bytes", nameof(reportData));
        var entry = Path.Combine(_root, _entryName());
        Directory.CreateDirectory(entry);
        try
        {
            var provider = ReadText(Path.Combine(entry, "provider"));
            if (provider is not null && !ProviderMatches(provider))
                throw new AttestationException(AttestationReasons.Unsupported, $"configfs-tsm provider is '{provider}', but {Type} evidence was asked for");
            File.WriteAllBytes(Path.Combine(entry, "inblob"), reportData.ToArray());
            var outblob = File.ReadAllBytes(Path.Combine(entry, "outblob"));
            if (outblob.Length == 0) throw new AttestationException(AttestationReasons.Malformed, $"configfs-tsm returned an empty outblob for {Type}");
            var aux = Path.Combine(entry, "auxblob");
            var data = Type == EvidenceTypes.SevSnp && File.Exists(aux) && new FileInfo(aux).Length > 0
                ? [.. outblob, .. File.ReadAllBytes(aux)]
                : outblob;
            return new Evidence(Type, data);
        }
        finally
        {
            try { Directory.Delete(entry); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private bool ProviderMatches(string provider) => Type switch
    {
        EvidenceTypes.Tdx => provider.StartsWith("tdx", StringComparison.Ordinal),
        _ => provider.StartsWith("sev", StringComparison.Ordinal),
    };

    private static string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
