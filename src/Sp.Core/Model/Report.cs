namespace Sp.Core.Model;

/// <summary>One thing the TEE actually loaded: the solution image archive or a dataset.</summary>
public sealed record RuntimeInfoEntry
{
    /// <summary>"Image" or "Data".</summary>
    public required string Type { get; init; }
    public required long Size { get; init; }
    public required HashInfo Hash { get; init; }
}

public sealed record WorkloadInfo
{
    public required List<RuntimeInfoEntry> RuntimeInfo { get; init; }
    /// <summary>Unix time in milliseconds when the TEE took the order.</summary>
    public required long Created { get; init; }
    public required string OrderId { get; init; }
    public Dictionary<string, long> OrderCapacity { get; init; } = new();
    /// <summary>The attestation type the TEE's certificate was issued on ("sim", "tdx", "sev-snp").</summary>
    public string? AttestationType { get; init; }
}

/// <summary>What `orders get-report` returns: the PEM chain (order cert first, root last) and workload info.</summary>
public sealed record OrderReport
{
    public required string Certificate { get; init; }
    public required WorkloadInfo WorkloadInfo { get; init; }
    /// <summary>The TEE's signed statement of how the order ended, once it has (not part of the report the TEE
    /// published: <c>order.finish</c> stores it, and the report's digest is taken without it).</summary>
    public ResultStatement? ResultStatement { get; init; }

    /// <summary>The report as the TEE published it with <c>order.report</c> (without the result statement).</summary>
    public OrderReport AsPublished() => ResultStatement is null ? this : this with { ResultStatement = null };
}
