using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;
using Sp.Core.Model;

namespace Sp.Certification.Tests;

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A devnet in miniature: a sim platform, a root CA, and one TEE certified by it.</summary>
internal sealed class TestWorld : IDisposable
{
    public static readonly DateTimeOffset Now = new(2030, 1, 15, 12, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan TeeLifetime = TimeSpan.FromDays(30);

    public SimPlatform Platform { get; } = SimPlatform.Create();
    public byte[] Measurement { get; } = SHA256.HashData("loader v1"u8);
    public RootCa Root { get; } = RootCa.Create("SP Test Root", Now);
    public TeeIdentity Tee { get; } = TeeIdentity.Create();
    public byte[] EncryptionKey { get; } = RandomNumberGenerator.GetBytes(32);
    /// <summary>The TEE's ledger account address (20 bytes), bound in its evidence with its two keys.</summary>
    public byte[] Account { get; } = RandomNumberGenerator.GetBytes(20);
    public List<IEvidenceVerifier> Verifiers { get; } = EvidenceVerifiers.Default;

    public AttestationPolicy Policy => AttestationPolicy.Devnet(Platform.PublicKeyId);
    public SimEvidenceProvider Provider => new(Platform, Measurement, new FixedClock(Now));

    /// <summary>Evidence binding the TEE's signing key and encryption key.</summary>
    public Evidence Evidence() => Provider.GetEvidence(TeeKeyBinding.ReportData(Tee.SigningKeySpki, EncryptionKey, Account));

    public string IssueTeeChain() =>
        Root.IssueTeeCertificate(Tee.CreateCsr("tee-1"), EncryptionKey, Account, Evidence(), Policy, Verifiers, Now, TeeLifetime);

    public static TestWorld Certified()
    {
        var world = new TestWorld();
        world.Tee.AttachCertificateChain(world.IssueTeeChain());
        return world;
    }

    public static WorkloadInfo Workload(string orderId = "42") => new()
    {
        OrderId = orderId,
        Created = 1_894_017_600_000,
        RuntimeInfo =
        [
            new RuntimeInfoEntry { Type = "Image", Size = 1234, Hash = HashInfo.Sha256(SHA256.HashData("image"u8)) },
            new RuntimeInfoEntry { Type = "Data", Size = 99, Hash = HashInfo.Sha256(SHA256.HashData("data"u8)) },
        ],
        OrderCapacity = new() { ["cpu"] = 2 },
    };

    public X509Certificate2 PinnedRoot => Root.Certificate;

    public void Dispose()
    {
        Platform.Dispose();
        Root.Dispose();
        Tee.Dispose();
    }
}
