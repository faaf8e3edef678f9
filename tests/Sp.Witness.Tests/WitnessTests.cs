using System.Text;
using Sp.Tlog;
using Sp.Tlog.Tests;

namespace Sp.Witness.Tests;

/// <summary>
/// A log the tests run: its key and a tree of 64 entries, checkpoints of any prefix. Another <paramref name="history"/>
/// with the same key is the same log telling another story: its entries differ from entry 3 on.
/// </summary>
internal sealed class TestLog(string origin, NoteSigner? key = null, string history = "main")
{
    public NoteSigner Key { get; } = key ?? NoteSigner.Generate(origin);
    public ReferenceTree Tree { get; } = new(Enumerable.Range(0, 64).Select(i => Encoding.UTF8.GetBytes(i < 3 ? $"{origin} entry {i}" : $"{origin} {history} entry {i}")));

    public byte[] Checkpoint(int size) => Encoding.UTF8.GetBytes(new Checkpoint(Key.Name, size, Tree.Root(size)).Sign(Key));

    public NodeHash[] Proof(int from, int to) => from == 0 || from == to ? [] : Tree.ConsistencyProof(from, to);
}

internal static class WitnessHttp
{
    private static readonly HttpClient Http = new();

    public static async Task<(int Status, string Body, string? ContentType)> AddAsync(string url, long old, IReadOnlyList<NodeHash> proof, byte[] checkpoint) =>
        await PostAsync(url, new AddCheckpointRequest(old, proof, checkpoint).ToBytes());

    public static async Task<(int Status, string Body, string? ContentType)> PostAsync(string url, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        using var resp = await Http.PostAsync(url + "/add-checkpoint", content);
        return ((int)resp.StatusCode, await resp.Content.ReadAsStringAsync(), resp.Content.Headers.ContentType?.MediaType);
    }

    public static Task<HttpResponseMessage> GetAsync(string url) => Http.GetAsync(url);
}

/// <summary>
/// sp-witness as a process, through its HTTP interface (C2SP tlog-witness): what it cosigns, every refusal with the
/// spec's status code, and that a killed witness restarts knowing every size it cosigned.
/// </summary>
public sealed class WitnessTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("sp-witness-tests-").FullName;
    private readonly TestLog _log = new("example.com/log");
    private WitnessProcess _witness = null!;

    public async Task InitializeAsync() =>
        _witness = await WitnessProcess.StartAsync(Path.Combine(_work, "w1"), "witness.example/w1", _log.Key.Verifier.VerifierKey);

    public async Task DisposeAsync()
    {
        await _witness.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private NoteVerifier WitnessKey => NoteVerifier.Parse(_witness.VerifierKey);

    private Task<(int Status, string Body, string? ContentType)> AddAsync(long old, IReadOnlyList<NodeHash> proof, byte[] checkpoint) =>
        WitnessHttp.AddAsync(_witness.Url, old, proof, checkpoint);

    [Fact]
    public async Task A_consistent_checkpoint_is_cosigned_with_a_timestamped_cosignature_v1_and_served_to_monitors()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var first = await AddAsync(0, [], _log.Checkpoint(10));
        Assert.Equal(200, first.Status);
        Assert.StartsWith("— witness.example/w1 ", first.Body);
        Assert.EndsWith("\n", first.Body);
        var cosigned = WitnessPolicy.Parse(1, [_witness.VerifierKey]).Open([.. _log.Checkpoint(10), .. Encoding.UTF8.GetBytes(first.Body)], _log.Key.Verifier);
        var time = Cosignature.TimestampOf(cosigned.Note.VerifiedSignatures.Single(s => s.Name == "witness.example/w1"));
        Assert.InRange(time!.Value, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        var second = await AddAsync(10, _log.Proof(10, 37), _log.Checkpoint(37));
        Assert.Equal(200, second.Status);
        Assert.True(Checkpoint.Open([.. _log.Checkpoint(37), .. Encoding.UTF8.GetBytes(second.Body)], _log.Key.Verifier, [WitnessKey]).Note.IsSignedBy(WitnessKey));
        // The same checkpoint again (old size = its size, same root, no proof) is cosigned again.
        Assert.Equal(200, (await AddAsync(37, [], _log.Checkpoint(37))).Status);

        // Monitors read the latest cosigned checkpoint at /<SHA-256(origin) hex>/checkpoint.
        var originHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(_log.Key.Name)));
        using var latest = await WitnessHttp.GetAsync($"{_witness.Url}/{originHash}/checkpoint");
        Assert.Equal(System.Net.HttpStatusCode.OK, latest.StatusCode);
        var served = Checkpoint.Open(await latest.Content.ReadAsByteArrayAsync(), _log.Key.Verifier, [WitnessKey]);
        Assert.Equal(37, served.Checkpoint.TreeSize);
        Assert.True(served.Note.IsSignedBy(WitnessKey));
        using var none = await WitnessHttp.GetAsync($"{_witness.Url}/{new string('0', 64)}/checkpoint");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task A_stale_or_unknown_old_size_is_a_409_carrying_the_witness_size()
    {
        Assert.Equal(200, (await AddAsync(0, [], _log.Checkpoint(20))).Status);
        var stale = await AddAsync(0, [], _log.Checkpoint(30));
        Assert.Equal(409, stale.Status);
        Assert.Equal("20\n", stale.Body);
        Assert.Equal("text/x.tlog.size", stale.ContentType);
        var other = await AddAsync(15, _log.Proof(15, 30), _log.Checkpoint(30));
        Assert.Equal((409, "20\n"), (other.Status, other.Body));
        // A rollback: the log's smaller checkpoint is never cosigned after a bigger one.
        Assert.Equal(409, (await AddAsync(10, _log.Proof(10, 12), _log.Checkpoint(12))).Status);
        // With the size from the 409, the client goes on.
        Assert.Equal(200, (await AddAsync(20, _log.Proof(20, 30), _log.Checkpoint(30))).Status);
    }

    [Fact]
    public async Task A_bad_consistency_proof_a_proof_from_zero_or_another_root_at_the_same_size_is_a_422()
    {
        Assert.Equal(200, (await AddAsync(0, [], _log.Checkpoint(20))).Status);
        var proof = _log.Proof(20, 45);
        proof[1] = MerkleHash.Leaf([9]);
        var bad = await AddAsync(20, proof, _log.Checkpoint(45));
        Assert.Equal(422, bad.Status);
        Assert.Contains("consistency proof from size 20 to 45 does not verify", bad.Body);
        Assert.Equal(422, (await AddAsync(20, _log.Proof(20, 45)[..^1], _log.Checkpoint(45))).Status);

        // A fork: the same key, another history. Its checkpoint of size 45 is not consistent with size 20.
        var fork = new TestLog("example.com/log", _log.Key, "fork");
        var forked = await AddAsync(20, fork.Proof(20, 45), fork.Checkpoint(45));
        Assert.Equal(422, forked.Status);
        var sameSize = await AddAsync(20, [], fork.Checkpoint(20));
        Assert.Equal(422, sameSize.Status);
        Assert.Contains("the one cosigned at that size has root", sameSize.Body);
        // The witness keeps what it cosigned: the honest log goes on.
        Assert.Equal(200, (await AddAsync(20, _log.Proof(20, 45), _log.Checkpoint(45))).Status);
        Assert.Contains("refused checkpoint of example.com/log at size 45", _witness.Output);

        var fresh = new TestLog("example.com/fresh");
        await using var w2 = await WitnessProcess.StartAsync(Path.Combine(_work, "w2"), "witness.example/w2", fresh.Key.Verifier.VerifierKey);
        var fromZero = await WitnessHttp.AddAsync(w2.Url, 0, _log.Proof(3, 9), fresh.Checkpoint(9));
        Assert.Equal(422, fromZero.Status);
    }

    [Fact]
    public async Task An_unknown_log_is_a_404_a_bad_or_missing_log_signature_a_403_and_a_malformed_body_a_400()
    {
        var stranger = new TestLog("example.com/stranger");
        Assert.Equal(404, (await AddAsync(0, [], stranger.Checkpoint(5))).Status);

        // Known origin, another key: no signature by a trusted key.
        var impostor = new TestLog("example.com/log");
        var forbidden = await AddAsync(0, [], impostor.Checkpoint(5));
        Assert.Equal(403, forbidden.Status);
        Assert.Contains("not signed by the log key example.com/log+", forbidden.Body);
        // The trusted key's name and ID with a wrong signature.
        var note = Encoding.UTF8.GetString(_log.Checkpoint(5));
        var sig = note.Split('\n').Single(l => l.StartsWith("— ", StringComparison.Ordinal)).Split(' ')[2];
        var bytes = Convert.FromBase64String(sig);
        bytes[^1] ^= 1;
        Assert.Equal(403, (await AddAsync(0, [], Encoding.UTF8.GetBytes(note.Replace(sig, Convert.ToBase64String(bytes), StringComparison.Ordinal)))).Status);

        Assert.Equal(400, (await AddAsync(9, [], _log.Checkpoint(5))).Status); // old size above the checkpoint's
        Assert.Equal(400, (await WitnessHttp.PostAsync(_witness.Url, "old 01\n\n"u8.ToArray())).Status);
        Assert.Equal(400, (await WitnessHttp.PostAsync(_witness.Url, [.. "old 0\n\n"u8, .. "not a note"u8])).Status);
        // Nothing was cosigned by any of these.
        Assert.Equal((409, "0\n"), ((await AddAsync(3, [], _log.Checkpoint(5))).Status, (await AddAsync(3, [], _log.Checkpoint(5))).Body));
    }

    [Fact]
    public async Task A_killed_witness_restarts_with_every_size_it_cosigned()
    {
        Assert.Equal(200, (await AddAsync(0, [], _log.Checkpoint(8))).Status);
        Assert.Equal(200, (await AddAsync(8, _log.Proof(8, 33), _log.Checkpoint(33))).Status);
        await _witness.KillAsync();
        await _witness.StartAsync();
        var after = await AddAsync(0, [], _log.Checkpoint(40));
        Assert.Equal((409, "33\n"), (after.Status, after.Body));
        // A fork of what it cosigned before the crash is still refused; the log's next checkpoint is cosigned.
        var fork = new TestLog("example.com/log", _log.Key, "fork");
        Assert.Equal(422, (await AddAsync(33, fork.Proof(33, 40), fork.Checkpoint(40))).Status);
        Assert.Equal(200, (await AddAsync(33, _log.Proof(33, 40), _log.Checkpoint(40))).Status);
        Assert.Empty(Directory.GetFiles(Path.Combine(_witness.Dir, "state"), "*.tmp"));
    }

    [Fact]
    public async Task Concurrent_requests_for_the_same_old_size_cosign_one_and_refuse_the_other()
    {
        Assert.Equal(200, (await AddAsync(0, [], _log.Checkpoint(10))).Status);
        // Two checkpoints from size 10 at once: the witness checks and persists atomically, so only one passes; the
        // other sees the new size (409), never a rollback.
        var results = await Task.WhenAll(
            AddAsync(10, _log.Proof(10, 50), _log.Checkpoint(50)),
            AddAsync(10, _log.Proof(10, 20), _log.Checkpoint(20)));
        Assert.Equal([200, 409], results.Select(r => r.Status).Order());
        var winner = results[0].Status == 200 ? 50 : 20;
        Assert.Equal($"{winner}\n", results.Single(r => r.Status == 409).Body);
    }

    [Fact]
    public async Task Init_refuses_a_bad_name_a_log_key_that_is_not_one_and_an_existing_folder()
    {
        var badName = await WitnessProcess.RunAsync(["init", Path.Combine(_work, "x"), "--name", "has space"]);
        Assert.Equal(1, badName.ExitCode);
        Assert.Contains("--name:", badName.Output);
        var badLog = await WitnessProcess.RunAsync(["init", Path.Combine(_work, "y"), "--name", "w", "--log", _witness.VerifierKey]);
        Assert.Equal(1, badLog.ExitCode);
        Assert.Contains("--log 1: witness.example/w1 is a witness key (type 0x04), not a log key", badLog.Output);
        var again = await WitnessProcess.RunAsync(["init", _witness.Dir, "--name", "w"]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already a witness folder", again.Output);
        var mode = File.GetUnixFileMode(Path.Combine(_witness.Dir, "witness-key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }
}
