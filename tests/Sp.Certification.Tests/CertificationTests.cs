using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sp.Attestation;

namespace Sp.Certification.Tests;

public sealed class CertificationTests
{
    public sealed class TheRootCa
    {
        [Fact]
        public void Create_makes_a_self_signed_P384_CA()
        {
            using var root = RootCa.Create("SP Root", TestWorld.Now);
            var cert = root.Certificate;
            Assert.Equal("CN=SP Root", cert.Subject);
            Assert.Equal(cert.Subject, cert.Issuer);
            Assert.False(cert.HasPrivateKey);
            using var key = cert.GetECDsaPublicKey()!;
            Assert.Equal(384, key.KeySize);
            var bc = cert.Extensions.OfType<X509BasicConstraintsExtension>().Single();
            Assert.True(bc.CertificateAuthority);
            Assert.Equal(1, bc.PathLengthConstraint);
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", root.CertificatePem);
        }

        [Fact]
        public void FromPem_restores_a_root_that_can_still_issue()
        {
            using var world = new TestWorld();
            using var again = RootCa.FromPem(world.Root.CertificatePem, world.Root.ExportPrivateKeyPem());
            Assert.Equal(world.Root.Certificate.RawData, again.Certificate.RawData);
            var chain = again.IssueTeeCertificate(world.Tee.CreateCsr("tee"), world.EncryptionKey, world.Account, world.Evidence(), world.Policy,
                world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime);
            Assert.NotNull(TeeCertificateValidator.Validate(chain, world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now));
        }

        [Fact]
        public void FromPem_refuses_a_key_that_does_not_match()
        {
            using var a = RootCa.Create("A", TestWorld.Now);
            using var b = RootCa.Create("B", TestWorld.Now);
            Assert.Throws<ArgumentException>(() => RootCa.FromPem(a.CertificatePem, b.ExportPrivateKeyPem()));
        }

        [Fact]
        public void Issues_an_intermediate_CA_embedding_evidence_and_encryption_key()
        {
            using var world = new TestWorld();
            var evidence = world.Evidence();
            var chain = Pem.ReadCertificates(world.Root.IssueTeeCertificate(world.Tee.CreateCsr("tee-1"), world.EncryptionKey, world.Account,
                evidence, world.Policy, world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));

            Assert.Equal(2, chain.Count);
            var tee = chain[0];
            Assert.Equal(world.Root.Certificate.RawData, chain[1].RawData);
            Assert.Equal("CN=tee-1", tee.Subject);
            Assert.Equal(world.Root.Certificate.Subject, tee.Issuer);
            Assert.Equal(world.Tee.SigningKeySpki, tee.PublicKey.ExportSubjectPublicKeyInfo());
            var bc = tee.Extensions.OfType<X509BasicConstraintsExtension>().Single();
            Assert.True(bc.CertificateAuthority);
            Assert.True(bc.HasPathLengthConstraint);
            Assert.Equal(0, bc.PathLengthConstraint);
            var ku = tee.Extensions.OfType<X509KeyUsageExtension>().Single();
            Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, ku.KeyUsages);
            Assert.False(tee.Extensions[SpOids.TeeEvidence]!.Critical);
            Assert.False(tee.Extensions[SpOids.TeeEncryptionKey]!.Critical);
            var embedded = SpExtensions.DecodeEvidence(tee);
            Assert.Equal("sim", embedded.Type);
            Assert.Equal(evidence.Data, embedded.Data);
            Assert.Equal(world.EncryptionKey, SpExtensions.DecodeEncryptionKey(tee));
            Assert.Equal(TestWorld.Now + TestWorld.TeeLifetime, new DateTimeOffset(tee.NotAfter.ToUniversalTime()));
        }

        [Fact]
        public void Refuses_evidence_bound_to_another_encryption_key()
        {
            using var world = new TestWorld();
            var otherKey = RandomNumberGenerator.GetBytes(32);
            var e = Assert.Throws<AttestationException>(() => world.Root.IssueTeeCertificate(world.Tee.CreateCsr("tee"), otherKey, world.Account,
                world.Evidence(), world.Policy, world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));
            Assert.Equal("report-data-mismatch", e.Reason);
        }

        [Fact]
        public void Refuses_evidence_bound_to_another_signing_key()
        {
            using var world = new TestWorld();
            using var intruder = TeeIdentity.Create();
            var e = Assert.Throws<AttestationException>(() => world.Root.IssueTeeCertificate(intruder.CreateCsr("tee"), world.EncryptionKey, world.Account,
                world.Evidence(), world.Policy, world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));
            Assert.Equal("report-data-mismatch", e.Reason);
        }

        [Fact]
        public void Refuses_sim_evidence_under_a_production_policy()
        {
            using var world = new TestWorld();
            var e = Assert.Throws<AttestationException>(() => world.Root.IssueTeeCertificate(world.Tee.CreateCsr("tee"), world.EncryptionKey, world.Account,
                world.Evidence(), AttestationPolicy.Production(), world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));
            Assert.Equal("sim-not-allowed", e.Reason);
        }

        [Fact]
        public void Refuses_evidence_from_an_unknown_sim_platform()
        {
            using var world = new TestWorld();
            using var rogue = SimPlatform.Create();
            var evidence = new SimEvidenceProvider(rogue, world.Measurement)
                .GetEvidence(TeeKeyBinding.ReportData(world.Tee.SigningKeySpki, world.EncryptionKey, world.Account));
            var e = Assert.Throws<AttestationException>(() => world.Root.IssueTeeCertificate(world.Tee.CreateCsr("tee"), world.EncryptionKey, world.Account,
                evidence, world.Policy, world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));
            Assert.Equal("sim-platform-unknown", e.Reason);
        }

        [Fact]
        public void Refuses_a_csr_whose_signature_does_not_verify()
        {
            using var world = new TestWorld();
            var csr = world.Tee.CreateCsr("tee");
            csr[^1] ^= 1; // inside the signature
            var e = Assert.Throws<CertificateValidationException>(() => world.Root.IssueTeeCertificate(csr, world.EncryptionKey, world.Account,
                world.Evidence(), world.Policy, world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));
            Assert.Equal("bad-csr", e.Reason);
        }

        [Fact]
        public void Refuses_an_encryption_key_that_is_not_32_bytes()
        {
            using var world = new TestWorld();
            Assert.Throws<ArgumentException>(() => world.Root.IssueTeeCertificate(world.Tee.CreateCsr("tee"), new byte[31], world.Account,
                world.Evidence(), world.Policy, world.Verifiers, TestWorld.Now, TestWorld.TeeLifetime));
        }
    }

    public sealed class TheTeeIdentity
    {
        [Fact]
        public void AttachCertificateChain_refuses_a_chain_for_another_key()
        {
            using var world = new TestWorld();
            var chain = world.IssueTeeChain();
            using var other = TeeIdentity.Create();
            var e = Assert.Throws<CertificateValidationException>(() => other.AttachCertificateChain(chain));
            Assert.Equal("not-our-key", e.Reason);
            Assert.Throws<InvalidOperationException>(() => other.ChainPem);
        }

        [Fact]
        public void BuildReport_needs_a_certificate_first()
        {
            using var tee = TeeIdentity.Create();
            Assert.Throws<InvalidOperationException>(() => tee.BuildReport(TestWorld.Workload(), TestWorld.Now));
        }

        [Fact]
        public void BuildReport_issues_an_order_certificate_under_the_tee_certificate()
        {
            using var world = TestWorld.Certified();
            var report = world.Tee.BuildReport(TestWorld.Workload("order-7"), TestWorld.Now.AddHours(1));
            var chain = Pem.ReadCertificates(report.Certificate);
            Assert.Equal(3, chain.Count);
            Assert.Equal("CN=order-7", chain[0].Subject);
            Assert.Equal(chain[1].Subject, chain[0].Issuer);
            Assert.Equal(world.Tee.ChainPem, Pem.Join(chain.Skip(1)));
            Assert.Equal("sim", report.WorkloadInfo.AttestationType);
            var (orderId, digest) = SpExtensions.DecodeOrderWorkload(chain[0]);
            Assert.Equal("order-7", orderId);
            Assert.Equal(SHA256.HashData(Sp.Core.Json.Jcs.Canonicalize(report.WorkloadInfo)), digest);
            Assert.Equal(Pem.Join([chain[0]]), TeeIdentity.OrderCertificatePem(report));
        }

        [Fact]
        public void BuildReport_refuses_a_workload_claiming_another_attestation_type()
        {
            using var world = TestWorld.Certified();
            Assert.Throws<ArgumentException>(() =>
                world.Tee.BuildReport(TestWorld.Workload() with { AttestationType = "tdx" }, TestWorld.Now));
        }

        [Fact]
        public void BuildReport_refuses_once_the_tee_certificate_has_expired()
        {
            using var world = TestWorld.Certified();
            Assert.Throws<InvalidOperationException>(() =>
                world.Tee.BuildReport(TestWorld.Workload(), TestWorld.Now + TestWorld.TeeLifetime + TimeSpan.FromDays(1)));
        }
    }

    public sealed class TheTeeCertificateValidator
    {
        [Fact]
        public void Validates_a_chain_issued_by_the_pinned_root()
        {
            using var world = new TestWorld();
            var validated = TeeCertificateValidator.Validate(world.IssueTeeChain(), world.PinnedRoot, world.Policy, world.Verifiers,
                TestWorld.Now.AddDays(1));
            Assert.Equal(world.EncryptionKey, validated.EncryptionPublicKey);
            Assert.True(validated.Evidence.Simulated);
            Assert.Equal(Convert.ToHexStringLower(world.Measurement), validated.Evidence.Measurement);
            Assert.Equal(world.Tee.SigningKeySpki, validated.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        }

        [Fact]
        public void Validates_the_tee_certificate_alone_without_the_root()
        {
            using var world = new TestWorld();
            var teeOnly = Pem.Join(Pem.ReadCertificates(world.IssueTeeChain()).Take(1));
            Assert.NotNull(TeeCertificateValidator.Validate(teeOnly, world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now));
        }

        [Fact]
        public void Fails_against_another_pinned_root()
        {
            using var world = new TestWorld();
            using var otherRoot = RootCa.Create("SP Test Root", TestWorld.Now); // same name, other key
            var chain = world.IssueTeeChain();
            var e = Assert.Throws<CertificateValidationException>(() =>
                TeeCertificateValidator.Validate(chain, otherRoot.Certificate, world.Policy, world.Verifiers, TestWorld.Now));
            Assert.Equal("foreign-root", e.Reason);
            var teeOnly = Pem.Join(Pem.ReadCertificates(chain).Take(1));
            e = Assert.Throws<CertificateValidationException>(() =>
                TeeCertificateValidator.Validate(teeOnly, otherRoot.Certificate, world.Policy, world.Verifiers, TestWorld.Now));
            Assert.Equal("chain-invalid", e.Reason);
        }

        [Fact]
        public void Fails_once_the_tee_certificate_has_expired()
        {
            using var world = new TestWorld();
            var e = Assert.Throws<CertificateValidationException>(() => TeeCertificateValidator.Validate(world.IssueTeeChain(),
                world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now + TestWorld.TeeLifetime + TimeSpan.FromDays(1)));
            Assert.Equal("chain-invalid", e.Reason);
        }

        [Fact]
        public void Fails_for_sim_evidence_under_a_production_policy()
        {
            using var world = new TestWorld();
            var e = Assert.Throws<CertificateValidationException>(() => TeeCertificateValidator.Validate(world.IssueTeeChain(),
                world.PinnedRoot, AttestationPolicy.Production(), world.Verifiers, TestWorld.Now));
            Assert.Equal("sim-not-allowed", e.Reason);
            Assert.IsType<AttestationException>(e.InnerException);
        }

        [Fact]
        public void Fails_when_the_embedded_encryption_key_is_not_the_one_the_evidence_binds()
        {
            // A root that skipped its checks: the certificate carries another encryption key than the evidence binds.
            using var world = new TestWorld();
            var chain = UncheckedIssue(world, RandomNumberGenerator.GetBytes(32), world.Evidence());
            var e = Assert.Throws<CertificateValidationException>(() =>
                TeeCertificateValidator.Validate(chain, world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now));
            Assert.Equal("report-data-mismatch", e.Reason);
        }

        [Fact]
        public void Fails_when_the_certificate_carries_no_evidence()
        {
            using var world = new TestWorld();
            var chain = UncheckedIssue(world, world.EncryptionKey, evidence: null);
            var e = Assert.Throws<CertificateValidationException>(() =>
                TeeCertificateValidator.Validate(chain, world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now));
            Assert.Equal("evidence-missing", e.Reason);
        }

        [Fact]
        public void Refuses_text_that_is_not_a_certificate_chain()
        {
            using var world = new TestWorld();
            var e = Assert.Throws<CertificateValidationException>(() =>
                TeeCertificateValidator.Validate("hello", world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now));
            Assert.Equal("malformed-pem", e.Reason);
        }

        /// <summary>Issues a TEE certificate with the root's key but none of RootCa's checks.</summary>
        [Fact]
        public void Fails_when_the_embedded_account_is_not_the_one_the_evidence_binds()
        {
            // A root that skipped its checks: the certificate names another ledger account than the evidence binds.
            using var world = new TestWorld();
            var chain = UncheckedIssue(world, world.EncryptionKey, world.Evidence(), RandomNumberGenerator.GetBytes(20));
            var e = Assert.Throws<CertificateValidationException>(() =>
                TeeCertificateValidator.Validate(chain, world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now));
            Assert.Equal("report-data-mismatch", e.Reason);
        }

        [Fact]
        public void Reports_the_account_the_evidence_binds()
        {
            using var world = new TestWorld();
            var validated = TeeCertificateValidator.Validate(world.IssueTeeChain(), world.PinnedRoot, world.Policy, world.Verifiers, TestWorld.Now);
            Assert.Equal("0x" + Convert.ToHexStringLower(world.Account), validated.Account);
        }

        internal static string UncheckedIssue(TestWorld world, byte[] encryptionKey, Evidence? evidence, byte[]? account = null)
        {
            using var issuer = X509Certificate2.CreateFromPem(world.Root.CertificatePem, world.Root.ExportPrivateKeyPem());
            var csr = CertificateRequest.LoadSigningRequest(world.Tee.CreateCsr("tee"), HashAlgorithmName.SHA384);
            var request = new CertificateRequest(csr.SubjectName, csr.PublicKey, HashAlgorithmName.SHA384);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
            if (evidence is not null) request.CertificateExtensions.Add(SpExtensions.EncodeEvidence(evidence));
            request.CertificateExtensions.Add(SpExtensions.EncodeEncryptionKey(encryptionKey));
            if (account is not [] ) request.CertificateExtensions.Add(SpExtensions.EncodeTeeAccount(account ?? world.Account));
            using var tee = request.Create(issuer, TestWorld.Now, TestWorld.Now.AddDays(1), [1, 2, 3]);
            return Pem.Join([tee, world.Root.Certificate]);
        }
    }
}
