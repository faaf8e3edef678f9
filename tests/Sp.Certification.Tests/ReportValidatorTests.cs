using System.Text.Json.Nodes;
using Sp.Attestation;
using Sp.Core.Json;
using Sp.Core.Model;

namespace Sp.Certification.Tests;

public sealed class ReportValidatorTests
{
    private static readonly DateTimeOffset OrderTime = TestWorld.Now.AddHours(2);

    private static ReportValidation Validate(TestWorld world, OrderReport report, AttestationPolicy? policy = null) =>
        ReportValidator.Validate(report, world.PinnedRoot, policy ?? world.Policy, world.Verifiers);

    [Fact]
    public void A_report_built_by_a_certified_tee_validates()
    {
        using var world = TestWorld.Certified();
        var result = Validate(world, world.Tee.BuildReport(TestWorld.Workload("7"), OrderTime));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
        Assert.Equal("7", result.OrderId);
        Assert.True(result.Simulated);
        Assert.NotNull(result.Evidence);
        Assert.Equal(Convert.ToHexStringLower(world.Measurement), result.Evidence.Measurement);
    }

    [Fact]
    public void A_report_stays_valid_after_the_tee_certificate_expires()
    {
        // It is verified as of the order certificate's issue time, whatever today's date.
        using var world = TestWorld.Certified();
        var report = world.Tee.BuildReport(TestWorld.Workload(), TestWorld.Now + TestWorld.TeeLifetime - TimeSpan.FromMinutes(1));
        var afterExpiry = TestWorld.Now + TestWorld.TeeLifetime + TimeSpan.FromDays(1);
        var e = Assert.Throws<CertificateValidationException>(() =>
            TeeCertificateValidator.Validate(world.Tee.ChainPem, world.PinnedRoot, world.Policy, world.Verifiers, afterExpiry));
        Assert.Equal("chain-invalid", e.Reason);
        Assert.True(Validate(world, report).IsValid);
    }

    [Fact]
    public void An_edited_runtime_info_hash_makes_it_invalid()
    {
        using var world = TestWorld.Certified();
        var report = world.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var entries = report.WorkloadInfo.RuntimeInfo.ToList();
        entries[1] = entries[1] with { Hash = HashInfo.Sha256(new byte[32]) };
        var edited = report with { WorkloadInfo = report.WorkloadInfo with { RuntimeInfo = entries } };

        var result = Validate(world, edited);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith("workloadInfo: its digest", StringComparison.Ordinal));
    }

    [Fact]
    public void An_edited_order_id_makes_it_invalid()
    {
        using var world = TestWorld.Certified();
        var report = world.Tee.BuildReport(TestWorld.Workload("1"), OrderTime);
        var result = Validate(world, report with { WorkloadInfo = report.WorkloadInfo with { OrderId = "2" } });
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Contains("order '1'") && e.Contains("says '2'"));
    }

    [Fact]
    public void Reserialising_the_json_with_other_whitespace_and_key_order_still_validates()
    {
        using var world = TestWorld.Certified();
        var report = world.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var node = JsonNode.Parse(SpJson.Serialize(report))!;
        var reordered = Reverse(node)!.ToJsonString(new() { WriteIndented = true, IndentSize = 3 });
        Assert.NotEqual(SpJson.Serialize(report), reordered);

        var reread = SpJson.Deserialize<OrderReport>(reordered);
        Assert.True(Validate(world, reread).IsValid);
    }

    [Fact]
    public void A_foreign_root_makes_it_invalid()
    {
        using var world = TestWorld.Certified();
        using var otherRoot = RootCa.Create("SP Test Root", TestWorld.Now);
        var report = world.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var result = ReportValidator.Validate(report, otherRoot.Certificate, world.Policy, world.Verifiers);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith("chain:", StringComparison.Ordinal) && e.Contains("not the pinned root"));
    }

    [Fact]
    public void An_order_certificate_swapped_in_from_another_order_makes_it_invalid()
    {
        using var world = TestWorld.Certified();
        var mine = world.Tee.BuildReport(TestWorld.Workload("1"), OrderTime);
        var other = world.Tee.BuildReport(TestWorld.Workload("2") with { Created = 5 }, OrderTime);
        var swapped = mine with { Certificate = other.Certificate };

        var result = Validate(world, swapped);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith("workloadInfo: its digest", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("workloadInfo.orderId", StringComparison.Ordinal));
    }

    [Fact]
    public void An_order_certificate_from_another_tee_makes_the_chain_invalid()
    {
        using var world = TestWorld.Certified();
        using var world2 = TestWorld.Certified();
        var mine = world.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var foreign = world2.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var spliced = mine with
        {
            Certificate = TeeIdentity.OrderCertificatePem(foreign) + world.Tee.ChainPem,
        };
        var result = Validate(world, spliced);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith("chain:", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_a_production_policy_a_sim_report_is_invalid()
    {
        using var world = TestWorld.Certified();
        var result = Validate(world, world.Tee.BuildReport(TestWorld.Workload(), OrderTime), AttestationPolicy.Production());
        Assert.False(result.IsValid);
        Assert.True(result.Simulated);
        Assert.Null(result.Evidence);
        Assert.Contains(result.Errors, e => e.Contains("sim-not-allowed"));
    }

    [Fact]
    public void A_chain_without_the_tee_certificate_is_invalid()
    {
        using var world = TestWorld.Certified();
        var report = world.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var result = Validate(world, report with { Certificate = TeeIdentity.OrderCertificatePem(report) });
        Assert.False(result.IsValid);
        Assert.Contains("expected the chain order, TEE, root", Assert.Single(result.Errors));
    }

    [Fact]
    public void Garbage_instead_of_a_chain_is_invalid_not_an_exception()
    {
        using var world = TestWorld.Certified();
        var report = world.Tee.BuildReport(TestWorld.Workload(), OrderTime);
        var result = Validate(world, report with { Certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" });
        Assert.False(result.IsValid);
        Assert.Null(result.OrderId);
    }

    /// <summary>The same JSON with every object's keys in reverse order.</summary>
    private static JsonNode? Reverse(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Reverse().Select(kv => KeyValuePair.Create(kv.Key, Reverse(kv.Value?.DeepClone())))),
        JsonArray a => new JsonArray(a.Select(x => Reverse(x?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };
}
