using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Sp.Attestation;

namespace Sp.Certification.Tests;

public sealed class SimEvidenceTests
{
    private static readonly byte[] ReportData = SHA512.HashData("binding"u8);

    public sealed class TheSimPlatform
    {
        [Fact]
        public void PublicKeyId_is_lowercase_hex_sha256_of_the_spki()
        {
            using var platform = SimPlatform.Create();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(platform.PublicKeySpki)), platform.PublicKeyId);
            Assert.Equal(64, platform.PublicKeyId.Length);
        }

        [Fact]
        public void FromPem_restores_the_same_key()
        {
            using var platform = SimPlatform.Create();
            using var again = SimPlatform.FromPem(platform.ExportPrivateKeyPem());
            Assert.Equal(platform.PublicKeyId, again.PublicKeyId);
            // And it signs evidence that verifies under the same key id.
            var evidence = new SimEvidenceProvider(again, new byte[32]).GetEvidence(ReportData);
            var verified = new SimEvidenceVerifier().Verify(evidence, TestWorld.Now);
            Assert.Equal(platform.PublicKeyId, verified.Fields.Single(f => f.Key == "platform_key").Value);
        }

        [Fact]
        public void FromPem_refuses_a_key_on_another_curve()
        {
            using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var e = Assert.Throws<ArgumentException>(() => SimPlatform.FromPem(p384.ExportPkcs8PrivateKeyPem()));
            Assert.Contains("P-256", e.Message);
        }
    }

    public sealed class TheProvider
    {
        [Fact]
        public void Evidence_round_trips_through_the_verifier()
        {
            using var platform = SimPlatform.Create();
            var measurement = SHA256.HashData("loader"u8);
            var provider = new SimEvidenceProvider(platform, measurement, new FixedClock(TestWorld.Now));
            var evidence = provider.GetEvidence(ReportData);

            Assert.Equal("sim", provider.Type);
            Assert.Equal("sim", evidence.Type);
            var verified = new SimEvidenceVerifier().Verify(evidence, TestWorld.Now);
            Assert.Equal("sim", verified.Type);
            Assert.True(verified.Simulated);
            Assert.False(verified.Debug);
            Assert.Equal(ReportData, verified.ReportData);
            Assert.Equal(Convert.ToHexStringLower(measurement), verified.Measurement);
            Assert.Equal(
                new KeyValuePair<string, string>[]
                {
                    new("platform_key", platform.PublicKeyId),
                    new("timestamp", "2030-01-15T12:00:00.000Z"),
                    new("notice", "simulated: no hardware isolation"),
                },
                verified.Fields);
        }

        [Fact]
        public void Evidence_follows_the_documented_layout()
        {
            using var platform = SimPlatform.Create();
            var measurement = SHA256.HashData("loader"u8);
            var data = new SimEvidenceProvider(platform, measurement, new FixedClock(TestWorld.Now)).GetEvidence(ReportData).Data;

            Assert.Equal(0x9A + 91 + 64, data.Length); // P-256 SPKI is 91 bytes
            Assert.Equal("SPEV", Encoding.ASCII.GetString(data, 0, 4));
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(4)));
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(6)));
            Assert.Equal("sim\0\0\0\0\0", Encoding.ASCII.GetString(data, 8, 8));
            Assert.Equal(measurement, data[0x10..0x30]);
            Assert.Equal(ReportData, data[0x30..0x70]);
            Assert.Equal(TestWorld.Now.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(0x70)));
            Assert.Equal("simulated: no hardware isolation", Encoding.ASCII.GetString(data, 0x78, 32));
            Assert.Equal(91, BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(0x98)));
            Assert.Equal(platform.PublicKeySpki, data[0x9A..(0x9A + 91)]);
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(platform.PublicKeySpki, out _);
            Assert.True(key.VerifyData(data.AsSpan(0, 0x9A + 91), data.AsSpan(0x9A + 91), HashAlgorithmName.SHA256,
                DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(63)]
        [InlineData(65)]
        public void Refuses_report_data_that_is_not_64_bytes(int length)
        {
            using var platform = SimPlatform.Create();
            var provider = new SimEvidenceProvider(platform, new byte[32]);
            var e = Assert.Throws<ArgumentException>(() => provider.GetEvidence(new byte[length]));
            Assert.Contains($"got {length}", e.Message);
        }

        [Fact]
        public void Refuses_a_measurement_that_is_not_32_bytes()
        {
            using var platform = SimPlatform.Create();
            Assert.Throws<ArgumentException>(() => new SimEvidenceProvider(platform, new byte[48]));
        }
    }

    public sealed class TheVerifier
    {
        private static Evidence Sample(SimPlatform platform) =>
            new SimEvidenceProvider(platform, SHA256.HashData("loader"u8), new FixedClock(TestWorld.Now)).GetEvidence(ReportData);

        [Fact]
        public void Every_flipped_byte_fails_with_bad_signature_or_malformed()
        {
            using var platform = SimPlatform.Create();
            var evidence = Sample(platform);
            var verifier = new SimEvidenceVerifier();
            var reasons = new HashSet<string>();
            for (var i = 0; i < evidence.Data.Length; i++)
            {
                foreach (var mask in new byte[] { 0x01, 0x80 })
                {
                    var tampered = evidence.Data.ToArray();
                    tampered[i] ^= mask;
                    var e = Assert.Throws<AttestationException>(() => verifier.Verify(evidence with { Data = tampered }, TestWorld.Now));
                    Assert.True(e.Reason is "bad-signature" or "malformed", $"byte {i} mask {mask:x2}: reason {e.Reason}");
                    reasons.Add(e.Reason);
                }
            }
            Assert.Equal(new[] { "bad-signature", "malformed" }, reasons.Order());
        }

        [Fact]
        public void A_trailing_byte_is_rejected()
        {
            using var platform = SimPlatform.Create();
            var evidence = Sample(platform);
            var e = Assert.Throws<AttestationException>(() =>
                new SimEvidenceVerifier().Verify(evidence with { Data = [.. evidence.Data, 0] }, TestWorld.Now));
            Assert.Equal("malformed", e.Reason);
            Assert.Contains("trailing", e.Message);
        }

        [Fact]
        public void A_truncated_evidence_is_rejected()
        {
            using var platform = SimPlatform.Create();
            var evidence = Sample(platform);
            foreach (var length in new[] { 0, 10, 0x9A, evidence.Data.Length - 1 })
            {
                var e = Assert.Throws<AttestationException>(() =>
                    new SimEvidenceVerifier().Verify(evidence with { Data = evidence.Data[..length] }, TestWorld.Now));
                Assert.Equal("malformed", e.Reason);
                Assert.Contains("truncated", e.Message);
            }
        }

        [Fact]
        public void A_signature_by_another_key_over_the_same_claims_is_rejected()
        {
            using var platform = SimPlatform.Create();
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var data = Sample(platform).Data;
            var signed = data.Length - 64;
            other.SignData(data.AsSpan(0, signed), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                .CopyTo(data, signed);
            var e = Assert.Throws<AttestationException>(() => new SimEvidenceVerifier().Verify(new Evidence("sim", data), TestWorld.Now));
            Assert.Equal("bad-signature", e.Reason);
        }

        [Fact]
        public void Evidence_of_another_type_is_refused()
        {
            using var platform = SimPlatform.Create();
            var e = Assert.Throws<AttestationException>(() =>
                new SimEvidenceVerifier().Verify(Sample(platform) with { Type = "tdx" }, TestWorld.Now));
            Assert.Equal("type-mismatch", e.Reason);
        }
    }
}
