using Sp.Core.Json;

namespace Sp.Attestation;

/// <summary>
/// Which evidence a party accepts: TEE types, whether simulated evidence (and from which platform keys),
/// which measurements, whether debug TEEs. Stored as strict JSON (camelCase field names):
/// <code>{"acceptedTypes":["tdx","sev-snp"],"allowSim":false,"simPlatformKeys":[],"allowedMeasurements":[],"allowDebug":false}</code>
/// </summary>
public sealed record AttestationPolicy
{
    private static readonly string[] KnownTypes = [EvidenceTypes.Sim, EvidenceTypes.Tdx, EvidenceTypes.SevSnp];
    private const int KeyIdHexLength = 64;

    public List<string> AcceptedTypes { get; init; } = [EvidenceTypes.Sim, EvidenceTypes.Tdx, EvidenceTypes.SevSnp];

    /// <summary>Accept `sim` evidence at all (it must also be in <see cref="AcceptedTypes"/>).</summary>
    public bool AllowSim { get; init; }

    /// <summary>Accepted sim platform key ids (<see cref="SimPlatform.PublicKeyId"/>); empty = any, when <see cref="AllowSim"/>.</summary>
    public List<string> SimPlatformKeys { get; init; } = [];

    /// <summary>Accepted measurements, lowercase hex; empty = any.</summary>
    public List<string> AllowedMeasurements { get; init; } = [];

    public bool AllowDebug { get; init; }

    /// <summary>Fields of the verified evidence that must have exactly these values, e.g. TDX "rtmr0"..."rtmr3",
    /// SNP "host_data", or "tcb_status": "UpToDate" (with collateral).</summary>
    public Dictionary<string, string> RequiredFields { get; init; } = new();

    /// <summary>Minimum values of numeric fields: the minimum TCB where the format carries it, e.g. TDX
    /// "pce_svn", "qe_isv_svn"; SNP "guest_svn" (decimal or 0x-hex values).</summary>
    public Dictionary<string, long> MinimumFields { get; init; } = new();

    /// <summary>A development network: every type, sim from the one local platform key, no debug.</summary>
    public static AttestationPolicy Devnet(string simPlatformKeyId)
    {
        var policy = new AttestationPolicy { AllowSim = true, SimPlatformKeys = [simPlatformKeyId] };
        policy.Validate("devnet policy");
        return policy;
    }

    /// <summary>A production network: hardware TEEs only, no sim, no debug.</summary>
    public static AttestationPolicy Production() =>
        new() { AcceptedTypes = [EvidenceTypes.Tdx, EvidenceTypes.SevSnp], AllowSim = false };

    /// <summary>Reads a policy file strictly; an unknown field or a bad value is an error naming it.</summary>
    public static AttestationPolicy Load(string path)
    {
        var policy = StrictJson.ParseFile<AttestationPolicy>(path);
        policy.Validate(path);
        return policy;
    }

    public void Save(string path)
    {
        Validate(path);
        File.WriteAllText(path, SpJson.Serialize(this, indented: true) + "\n");
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first bad field, prefixed by <paramref name="source"/>.</summary>
    public void Validate(string source = "policy")
    {
        if (AcceptedTypes is null) throw Bad(source, "acceptedTypes", "expected a list of types, got null");
        for (var i = 0; i < AcceptedTypes.Count; i++)
            if (!KnownTypes.Contains(AcceptedTypes[i]))
                throw Bad(source, $"acceptedTypes[{i}]", $"expected one of {string.Join(", ", KnownTypes)}, got '{AcceptedTypes[i]}'");
        if (SimPlatformKeys is null) throw Bad(source, "simPlatformKeys", "expected a list of key ids, got null");
        for (var i = 0; i < SimPlatformKeys.Count; i++)
            if (SimPlatformKeys[i] is not { Length: KeyIdHexLength } k || !IsLowerHex(k))
                throw Bad(source, $"simPlatformKeys[{i}]",
                    $"expected {KeyIdHexLength} lowercase hex digits (SHA-256 of the platform key SPKI), got '{SimPlatformKeys[i]}'");
        if (AllowedMeasurements is null) throw Bad(source, "allowedMeasurements", "expected a list of measurements, got null");
        for (var i = 0; i < AllowedMeasurements.Count; i++)
            if (AllowedMeasurements[i] is not { Length: > 0 } m || m.Length % 2 != 0 || !IsLowerHex(m))
                throw Bad(source, $"allowedMeasurements[{i}]", $"expected lowercase hex bytes, got '{AllowedMeasurements[i]}'");
        if (RequiredFields is null) throw Bad(source, "requiredFields", "expected an object of field names and values, got null");
        if (MinimumFields is null) throw Bad(source, "minimumFields", "expected an object of field names and numbers, got null");
    }

    internal static bool TryParseNumber(string? s, out long value)
    {
        value = 0;
        if (s is null) return false;
        return s.StartsWith("0x", StringComparison.Ordinal)
            ? long.TryParse(s.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value)
            : long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static bool IsLowerHex(string s) => s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static InvalidDataException Bad(string source, string field, string detail) =>
        new($"{source}: field {field}: {detail}");
}
