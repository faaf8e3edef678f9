using Sp.Attestation;

namespace Sp.Certification.Tests;

public sealed class AttestationPolicyTests : IDisposable
{
    private const string KeyId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("sp-policy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "policy.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Defaults_accept_every_type_but_neither_sim_nor_debug()
    {
        var policy = new AttestationPolicy();
        Assert.Equal(new[] { "sim", "tdx", "sev-snp" }, policy.AcceptedTypes);
        Assert.False(policy.AllowSim);
        Assert.False(policy.AllowDebug);
        Assert.Empty(policy.SimPlatformKeys);
        Assert.Empty(policy.AllowedMeasurements);
    }

    [Fact]
    public void Devnet_allows_sim_from_one_platform_key()
    {
        var policy = AttestationPolicy.Devnet(KeyId);
        Assert.True(policy.AllowSim);
        Assert.Equal(new[] { KeyId }, policy.SimPlatformKeys);
        Assert.Contains("sim", policy.AcceptedTypes);
        Assert.False(policy.AllowDebug);
    }

    [Fact]
    public void Production_refuses_sim()
    {
        var policy = AttestationPolicy.Production();
        Assert.False(policy.AllowSim);
        Assert.DoesNotContain("sim", policy.AcceptedTypes);
        Assert.False(policy.AllowDebug);
    }

    [Fact]
    public void Save_then_Load_round_trips()
    {
        var policy = AttestationPolicy.Devnet(KeyId) with { AllowedMeasurements = ["00ff"], AllowDebug = true };
        var path = Path.Combine(_dir, "p.json");
        policy.Save(path);
        var loaded = AttestationPolicy.Load(path);
        Assert.Equal(policy.AcceptedTypes, loaded.AcceptedTypes);
        Assert.Equal(policy.SimPlatformKeys, loaded.SimPlatformKeys);
        Assert.Equal(policy.AllowedMeasurements, loaded.AllowedMeasurements);
        Assert.True(loaded.AllowSim);
        Assert.True(loaded.AllowDebug);
        Assert.Contains("\"allowedMeasurements\"", File.ReadAllText(path));
    }

    [Fact]
    public void Missing_fields_take_their_defaults()
    {
        var loaded = AttestationPolicy.Load(Write("""{"allowSim": true}"""));
        Assert.True(loaded.AllowSim);
        Assert.Equal(new[] { "sim", "tdx", "sev-snp" }, loaded.AcceptedTypes);
    }

    [Fact]
    public void An_unknown_field_is_an_error_naming_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => AttestationPolicy.Load(Write("""{"allowSim": true, "allowSimm": false}""")));
        Assert.Contains("allowSimm", e.Message);
        Assert.Contains("policy.json", e.Message);
    }

    [Theory]
    [InlineData("""{"acceptedTypes": ["sgx"]}""", "acceptedTypes[0]")]
    [InlineData("""{"allowedMeasurements": ["AB"]}""", "allowedMeasurements[0]")]
    [InlineData("""{"allowedMeasurements": ["abc"]}""", "allowedMeasurements[0]")]
    [InlineData("""{"simPlatformKeys": ["00"]}""", "simPlatformKeys[0]")]
    [InlineData("""{"allowSim": "yes"}""", "allowSim")]
    public void A_bad_value_is_an_error_naming_the_field(string json, string field)
    {
        var e = Assert.Throws<InvalidDataException>(() => AttestationPolicy.Load(Write(json)));
        Assert.Contains(field, e.Message);
    }
}
