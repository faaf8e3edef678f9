using System.Security.Cryptography;
using Sp.Core.Model;

namespace Sp.Certification.Tests;

/// <summary>What the ledger reads of a TEE certificate: the account, only from a chain of the network's root.</summary>
public sealed class TheLedgerAccountReader
{
    [Fact]
    public void Reads_the_account_of_a_certificate_the_root_issued()
    {
        using var world = new TestWorld();
        Assert.Equal("0x" + Convert.ToHexStringLower(world.Account),
            TeeCertificateValidator.ReadLedgerAccount(world.IssueTeeChain(), world.PinnedRoot, TestWorld.Now));
    }

    [Fact]
    public void Refuses_a_chain_of_another_root_a_provider_made_itself()
    {
        using var world = new TestWorld();
        using var other = new TestWorld();
        var e = Assert.Throws<CertificateValidationException>(() =>
            TeeCertificateValidator.ReadLedgerAccount(other.IssueTeeChain(), world.PinnedRoot, TestWorld.Now));
        Assert.Equal(CertificateReasons.ForeignRoot, e.Reason);
        var teeOnly = Pem.Join(Pem.ReadCertificates(other.IssueTeeChain()).Take(1));
        e = Assert.Throws<CertificateValidationException>(() => TeeCertificateValidator.ReadLedgerAccount(teeOnly, world.PinnedRoot, TestWorld.Now));
        Assert.Equal(CertificateReasons.ChainInvalid, e.Reason);
    }

    [Fact]
    public void Refuses_a_certificate_outside_its_validity_at_the_entry_time()
    {
        using var world = new TestWorld();
        var e = Assert.Throws<CertificateValidationException>(() =>
            TeeCertificateValidator.ReadLedgerAccount(world.IssueTeeChain(), world.PinnedRoot, TestWorld.Now + TestWorld.TeeLifetime + TimeSpan.FromDays(1)));
        Assert.Equal(CertificateReasons.ChainInvalid, e.Reason);
    }

    [Fact]
    public void Refuses_a_certificate_that_names_no_account()
    {
        using var world = new TestWorld();
        var chain = CertificationTests.TheTeeCertificateValidator.UncheckedIssue(world, world.EncryptionKey, world.Evidence(), account: []);
        var e = Assert.Throws<CertificateValidationException>(() => TeeCertificateValidator.ReadLedgerAccount(chain, world.PinnedRoot, TestWorld.Now));
        Assert.Equal(CertificateReasons.AccountMissing, e.Reason);
    }
}

/// <summary>The TEE's signed statement of an order's end (docs/formats-result-statement.md).</summary>
public sealed class TheResultStatement
{
    private static readonly DateTimeOffset OrderTime = TestWorld.Now.AddHours(1);

    private static ResultClaims Claims(string orderId = "42", string status = "Done", string? report = null) => new()
    {
        OrderId = orderId,
        Status = status,
        Message = "solution finished",
        ResultSha256 = Convert.ToHexStringLower(SHA256.HashData("result"u8)),
        ResultSize = 6,
        ReportSha256 = report,
    };

    private static ResultStatementValidation Validate(TestWorld world, ResultStatement statement) =>
        ResultStatements.Validate(statement, world.PinnedRoot, world.Policy, world.Verifiers);

    [Fact]
    public void Signed_by_the_order_key_it_validates_and_agrees_with_its_report()
    {
        using var world = TestWorld.Certified();
        using var signer = world.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        var statement = signer.SignResult(Claims(report: ResultStatements.ReportDigest(signer.Report)));
        var v = Validate(world, statement);
        Assert.True(v.IsValid, string.Join("; ", v.Errors));
        Assert.True(v.Simulated);
        Assert.Empty(ResultStatements.CheckAgainst(v, 42, signer.Report));
        // The report as served with its statement attached has the same digest as the one published.
        Assert.Empty(ResultStatements.CheckAgainst(v, 42, signer.Report with { ResultStatement = statement }));
    }

    [Fact]
    public void Altered_claims_fail_the_signature()
    {
        using var world = TestWorld.Certified();
        using var signer = world.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        var statement = signer.SignResult(Claims());
        var forged = statement with { Claims = statement.Claims with { ResultSha256 = Convert.ToHexStringLower(SHA256.HashData("forged"u8)) } };
        var v = Validate(world, forged);
        Assert.False(v.IsValid);
        Assert.Contains(v.Errors, e => e.StartsWith("signature: does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public void A_statement_for_another_order_than_its_certificate_is_refused()
    {
        using var world = TestWorld.Certified();
        using var signer = world.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        var v = Validate(world, signer.SignResult(Claims(orderId: "43")));
        Assert.Contains(v.Errors, e => e.Contains("the order certificate is for order '42', the statement says '43'", StringComparison.Ordinal));
        Assert.Contains("claims.orderId: expected \"41\", got \"43\"", ResultStatements.CheckAgainst(v, 41, null));
    }

    [Fact]
    public void A_key_outside_the_TEE_cannot_sign_one_even_with_the_TEE_chain()
    {
        // The provider holds the public chain, not the order key: it signs with a key of its own.
        using var world = TestWorld.Certified();
        using var signer = world.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        using var providerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = Claims(report: ResultStatements.ReportDigest(signer.Report));
        var forged = new ResultStatement
        {
            Claims = claims,
            Certificate = signer.Report.Certificate,
            Signature = Convert.ToBase64String(providerKey.SignData(ResultStatements.SignedBytes(claims), HashAlgorithmName.SHA256,
                DSASignatureFormat.Rfc3279DerSequence)),
        };
        Assert.False(Validate(world, forged).IsValid);
    }

    [Fact]
    public void A_Done_statement_from_another_run_of_the_order_does_not_match_its_report()
    {
        using var world = TestWorld.Certified();
        using var published = world.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        using var other = world.Tee.IssueOrder(TestWorld.Workload("42") with { Created = 7 }, OrderTime);
        var v = Validate(world, other.SignResult(Claims(report: ResultStatements.ReportDigest(published.Report))));
        Assert.True(v.IsValid);
        Assert.Contains("the statement is not signed under the order certificate of the order's report (another TEE or another run signed it)",
            ResultStatements.CheckAgainst(v, 42, published.Report));
        var wrongReport = Validate(world, published.SignResult(Claims(report: ResultStatements.ReportDigest(other.Report))));
        Assert.Contains(ResultStatements.CheckAgainst(wrongReport, 42, published.Report), e => e.StartsWith("claims.reportSha256:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_chain_of_another_root_is_refused()
    {
        using var world = TestWorld.Certified();
        using var foreign = TestWorld.Certified();
        using var signer = foreign.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        var v = Validate(world, signer.SignResult(Claims()));
        Assert.False(v.IsValid);
        Assert.Contains(v.Errors, e => e.StartsWith("chain:", StringComparison.Ordinal));
    }

    [Fact]
    public void Against_the_order_it_must_say_its_status_come_from_the_TEE_that_took_it_and_name_the_declared_image()
    {
        using var world = TestWorld.Certified();
        using var signer = world.Tee.IssueOrder(TestWorld.Workload("42"), OrderTime);
        var tee = "0x" + Convert.ToHexStringLower(world.Account);
        var image = Convert.ToHexStringLower(SHA256.HashData("image"u8)); // the Image entry of TestWorld.Workload
        var done = Validate(world, signer.SignResult(Claims(report: ResultStatements.ReportDigest(signer.Report))));
        Assert.Equal(tee, done.TeeAccount);
        Assert.Empty(ResultStatements.CheckAgainstOrder(done, "Done", tee, tee, image, signer.Report));

        // An Error statement does not stand in for a Done order, nor a Done one for an Error order.
        var error = Validate(world, signer.SignResult(Claims(status: "Error")));
        Assert.Contains("claims.status: the TEE says Error, the order is Done", ResultStatements.CheckAgainstOrder(error, "Done", tee, tee, image, signer.Report));
        Assert.Contains("claims.status: the TEE says Done, the order is Error", ResultStatements.CheckAgainstOrder(done, "Error", tee, tee, image, signer.Report));
        // Signed by another TEE than the one that took the order: refused for Done; for Error only the offer's current TEE may.
        const string other = "0x00000000000000000000000000000000000000aa";
        Assert.Contains($"the statement is signed by TEE account {tee}, not by the TEE that took the order ({other})",
            ResultStatements.CheckAgainstOrder(done, "Done", other, tee, image, signer.Report));
        Assert.Empty(ResultStatements.CheckAgainstOrder(error, "Error", other, tee, image, signer.Report));
        Assert.NotEmpty(ResultStatements.CheckAgainstOrder(error, "Error", other, other, image, signer.Report));
        // A Done result of another image than the consumer declared (a made-up order served to the TEE).
        var declared = Convert.ToHexStringLower(SHA256.HashData("alice's image"u8));
        Assert.Contains($"the TEE ran image {image}, the order declares solution {declared}",
            ResultStatements.CheckAgainstOrder(done, "Done", tee, tee, declared, signer.Report));
    }

    [Fact]
    public void Signed_bytes_are_the_label_and_the_JCS_form_of_the_claims()
    {
        // docs/formats-result-statement.md, test vector: these claims sign exactly these bytes.
        var claims = new ResultClaims
        {
            OrderId = "7", Status = "Done", Message = "solution finished",
            ResultSha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", ResultSize = 3,
            ReportSha256 = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
        };
        Assert.Equal(
            "sp-result-statement/v1\n" +
            "{\"message\":\"solution finished\",\"orderId\":\"7\",\"reportSha256\":\"fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9\"," +
            "\"resultSha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\",\"resultSize\":3,\"status\":\"Done\",\"version\":1}",
            System.Text.Encoding.UTF8.GetString(ResultStatements.SignedBytes(claims)));
    }
}
