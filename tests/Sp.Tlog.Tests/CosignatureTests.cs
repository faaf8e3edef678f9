using System.Text;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>C2SP tlog-cosignature (cosignature/v1), a client's witness policy, and the tlog-witness request body.</summary>
public sealed class CosignatureTests
{
    private static readonly NoteSigner Log = NoteSigner.FromSeed("example.com/log", Enumerable.Repeat((byte)7, 32).ToArray());
    private static readonly Cosigner W1 = Cosigner.FromSeed("witness.example/w1", Enumerable.Repeat((byte)1, 32).ToArray());
    private static readonly Cosigner W2 = Cosigner.FromSeed("witness.example/w2", Enumerable.Repeat((byte)2, 32).ToArray());

    private static string SignedCheckpoint(long size = 5) =>
        new Checkpoint(Log.Name, size, MerkleHash.Leaf([1, 2, 3])).Sign(Log);

    private static string Cosign(string note, Cosigner w, long time = 1_700_000_000) =>
        note + w.SignatureLine(Note.ParseUnverified(Encoding.UTF8.GetBytes(note)).Text, time);

    [Fact]
    public void A_cosignature_verifies_over_the_cosignature_v1_message_and_carries_its_timestamp()
    {
        var note = Cosign(SignedCheckpoint(), W1, 1_679_315_147);
        var opened = Checkpoint.Open(Encoding.UTF8.GetBytes(note), Log.Verifier, [W1.Verifier]);
        Assert.True(opened.Note.IsSignedBy(W1.Verifier));
        var line = opened.Note.VerifiedSignatures.Single(s => s.Name == W1.Name);
        Assert.Equal(1_679_315_147, Cosignature.TimestampOf(line));
        // The key ID hashes the 0x04 type byte: the same public key as a plain note key has another ID.
        Assert.NotEqual(NoteVerifier.FromPublicKey(W1.Name, W1.Verifier.PublicKey.Span).KeyHash, W1.KeyHash);
        Assert.StartsWith("cosignature/v1\ntime 1679315147\nexample.com/log\n5\n", Encoding.UTF8.GetString(Cosignature.SignedMessage(Encoding.UTF8.GetBytes(Checkpoint.Parse(opened.Note.Text).ToText()), 1_679_315_147)));
    }

    [Fact]
    public void A_changed_timestamp_or_a_cosignature_of_another_checkpoint_is_refused()
    {
        var note = Cosign(SignedCheckpoint(), W1, 1_700_000_000);
        var line = note.Split('\n').Single(l => l.StartsWith("— witness.example/w1 ", StringComparison.Ordinal));
        var bytes = Convert.FromBase64String(line.Split(' ')[2]);
        bytes[11] ^= 1; // the timestamp's last byte
        var tampered = note.Replace(line, $"— witness.example/w1 {Convert.ToBase64String(bytes)}", StringComparison.Ordinal);
        Assert.Throws<InvalidNoteSignatureException>(() => Checkpoint.Open(Encoding.UTF8.GetBytes(tampered), Log.Verifier, [W1.Verifier]));

        var other = SignedCheckpoint(6) + line + "\n";
        Assert.Throws<InvalidNoteSignatureException>(() => Checkpoint.Open(Encoding.UTF8.GetBytes(other), Log.Verifier, [W1.Verifier]));
    }

    [Fact]
    public void Cosigner_keys_round_trip_and_are_type_0x04()
    {
        var key = Cosigner.Generate("w.example/x");
        var again = Cosigner.Parse(key.ToSignerKey());
        Assert.Equal(key.Verifier.VerifierKey, again.Verifier.VerifierKey);
        var vkey = NoteVerifier.Parse(key.Verifier.VerifierKey);
        Assert.True(vkey.IsCosigner);
        Assert.Equal(NoteKey.AlgorithmCosignatureV1, Convert.FromBase64String(key.Verifier.VerifierKey.Split('+', 3)[2])[0]);
        // A log key is not a cosigner key, and a cosigner key is not a log key.
        var e = Assert.Throws<MalformedNoteKeyException>(() => Cosigner.Parse(Log.ToSignerKey()));
        Assert.Contains("type 0x04", e.Message);
        Assert.Throws<MalformedNoteKeyException>(() => Checkpoint.Open(Encoding.UTF8.GetBytes(SignedCheckpoint()), vkey));
    }

    [Fact]
    public void A_policy_requires_k_of_n_cosignatures_and_names_the_missing_witnesses()
    {
        var policy = WitnessPolicy.Parse(2, [W1.Verifier.VerifierKey, W2.Verifier.VerifierKey]);
        var one = Cosign(SignedCheckpoint(), W1);
        var e = Assert.Throws<MissingCosignaturesException>(() => policy.Open(Encoding.UTF8.GetBytes(one), Log.Verifier));
        Assert.Equal([W2.Verifier.VerifierKey], e.Missing);
        Assert.Contains("tree size 5 has 1 of the 2 witness cosignatures required (2 of 2)", e.Message);
        Assert.Contains(W2.Verifier.VerifierKey, e.Message);

        var both = Cosign(one, W2);
        Assert.Equal(2, policy.CosignersOf(policy.Open(Encoding.UTF8.GetBytes(both), Log.Verifier)).Count);
        // 1 of 2 takes either.
        Assert.NotNull(WitnessPolicy.Parse(1, [W1.Verifier.VerifierKey, W2.Verifier.VerifierKey]).Open(Encoding.UTF8.GetBytes(one), Log.Verifier));
        // A cosignature by an unknown witness counts for nothing.
        var stranger = Cosign(SignedCheckpoint(), Cosigner.Generate("witness.example/w3"));
        Assert.Throws<MissingCosignaturesException>(() => WitnessPolicy.Parse(1, [W1.Verifier.VerifierKey]).Open(Encoding.UTF8.GetBytes(stranger), Log.Verifier));
    }

    [Fact]
    public void A_policy_with_a_log_key_a_repeated_key_or_an_impossible_threshold_is_refused_with_what_is_wrong()
    {
        Assert.Contains("witness key 1 (example.com/log) is type 0x01",
            Assert.Throws<MalformedNoteKeyException>(() => WitnessPolicy.Parse(1, [Log.Verifier.VerifierKey])).Message);
        Assert.Contains("listed twice",
            Assert.Throws<MalformedNoteKeyException>(() => WitnessPolicy.Parse(1, [W1.Verifier.VerifierKey, W1.Verifier.VerifierKey])).Message);
        Assert.Contains("between 1 and the number of witness keys (1), got 2",
            Assert.Throws<MalformedNoteKeyException>(() => WitnessPolicy.Parse(2, [W1.Verifier.VerifierKey])).Message);
        Assert.Contains("witness key 2:",
            Assert.Throws<MalformedNoteKeyException>(() => WitnessPolicy.Parse(1, [W1.Verifier.VerifierKey, "nope"])).Message);
    }

    [Fact]
    public void The_add_checkpoint_body_round_trips_and_bad_lines_are_named()
    {
        var proof = new[] { MerkleHash.Leaf([1]), MerkleHash.Leaf([2]) };
        var note = Encoding.UTF8.GetBytes(SignedCheckpoint());
        var body = new AddCheckpointRequest(3, proof, note).ToBytes();
        Assert.StartsWith($"old 3\n{proof[0].ToBase64()}\n{proof[1].ToBase64()}\n\nexample.com/log\n", Encoding.UTF8.GetString(body));
        var parsed = AddCheckpointRequest.Parse(body);
        Assert.Equal(3, parsed.OldSize);
        Assert.Equal(proof, parsed.Proof);
        Assert.Equal(note, parsed.Checkpoint);

        Assert.Contains("line 1 must be \"old <size>\"", Assert.Throws<MalformedNoteException>(() => AddCheckpointRequest.Parse("old 03\n\nx"u8)).Message);
        Assert.Contains("line 2 must be a base64 hash", Assert.Throws<MalformedNoteException>(() => AddCheckpointRequest.Parse("old 3\nabc\n\nx"u8)).Message);
        var tooLong = "old 1\n" + string.Concat(Enumerable.Repeat(proof[0].ToBase64() + "\n", 64)) + "\n";
        Assert.Contains("more than 63", Assert.Throws<MalformedNoteException>(() => AddCheckpointRequest.Parse(Encoding.ASCII.GetBytes(tooLong))).Message);
        Assert.Equal(12, AddCheckpointRequest.ParseSize("12\n"));
        Assert.Null(AddCheckpointRequest.ParseSize("012\n"));
    }
}
