using System.Text;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

public sealed class CheckpointTests
{
    private static NoteVerifier LogKey =>
        NoteVerifier.Parse(TestData.Json("tlog", "log-vectors.json").GetProperty("verifier_key").GetString()!);

    [Theory]
    [InlineData("checkpoint.700", 700L)]
    [InlineData("checkpoint.1000", 1000L)]
    [InlineData("checkpoint", 1000L)]
    public void Go_Checkpoints_Verify_And_Parse(string file, long size)
    {
        var bytes = File.ReadAllBytes(TestData.PathOf("tlog", "tiles", file));
        var signed = Checkpoint.Open(bytes, LogKey);
        Assert.Equal("devnet.example/sp-ledger", signed.Checkpoint.Origin);
        Assert.Equal(size, signed.Checkpoint.TreeSize);
        var want = TestData.Json("tlog", "log-vectors.json").GetProperty("checkpoints").EnumerateArray()
            .Single(c => c.GetProperty("size").GetInt64() == size).GetProperty("root_hash").GetString();
        Assert.Equal(want, signed.Checkpoint.RootHash.ToBase64());
        Assert.Empty(signed.Checkpoint.Extensions);
        Assert.Equal(bytes, signed.NoteBytes.ToArray());
    }

    [Fact]
    public void Text_Round_Trips_With_Extensions()
    {
        var checkpoint = new Checkpoint("example.com/log", 42, MerkleHash.Empty, ["ext one", "ext two"]);
        var text = checkpoint.ToText();
        Assert.Equal($"example.com/log\n42\n{MerkleHash.Empty.ToBase64()}\next one\next two\n", text);
        Assert.Equal(checkpoint, Checkpoint.Parse(text));
    }

    [Theory]
    [InlineData("example.com/log\n042\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "leading zeros")]
    [InlineData("example.com/log\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "tree size")]
    [InlineData("example.com/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", "root hash")]
    [InlineData("example.com/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "newline")]
    [InlineData("example.com/log\n1\n", "got 2 lines")]
    [InlineData("\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "origin")]
    [InlineData("example.com/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", "extension")]
    public void Non_Canonical_Checkpoints_Are_Rejected(string text, string reason)
    {
        var e = Assert.Throws<MalformedCheckpointException>(() => Checkpoint.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Requires_The_Log_Key_Signature_And_Matching_Origin()
    {
        var log = NoteSigner.Generate("example.com/log");
        var witness = NoteSigner.Generate("example.com/witness");
        var checkpoint = new Checkpoint("example.com/log", 3, MerkleHash.Empty);
        var signed = checkpoint.Sign(log, witness);

        Assert.Equal(checkpoint, Checkpoint.Open(Encoding.UTF8.GetBytes(signed), log.Verifier, [witness.Verifier]).Checkpoint);
        // Signed only by a known witness: not good enough.
        var witnessOnly = Note.Sign(checkpoint.ToText(), witness);
        Assert.Throws<UnverifiedNoteException>(() => Checkpoint.Open(Encoding.UTF8.GetBytes(witnessOnly), log.Verifier, [witness.Verifier]));
        // A key named differently from the origin cannot sign for the log.
        var other = NoteSigner.Generate("example.com/other");
        Assert.Throws<ArgumentException>(() => checkpoint.Sign(other));
        var wrongOrigin = Note.Sign(checkpoint.ToText(), other);
        Assert.Throws<MalformedCheckpointException>(() => Checkpoint.Open(Encoding.UTF8.GetBytes(wrongOrigin), other.Verifier));
    }
}
