using System.Text;
using System.Text.Json;
using Sp.Tlog;

namespace Sp.Tlog.Tests;

/// <summary>C2SP signed-note against notes made by Go's golang.org/x/mod/sumdb/note (tests/testdata/tlog).</summary>
public sealed class NoteTests
{
    private static readonly JsonElement Vectors = TestData.Json("tlog", "signed-note-vectors.json");

    private static NoteSigner Signer(string key)
    {
        var k = Vectors.GetProperty(key);
        return NoteSigner.FromSeed(k.GetProperty("signer_key").GetString()!.Split('+')[2], Convert.FromHexString(k.GetProperty("seed_hex").GetString()!));
    }

    public sealed class TheKeyFormats
    {
        [Theory]
        [InlineData("log_key")]
        [InlineData("witness_key")]
        public void Should_Reproduce_Go_Signer_And_Verifier_Keys_From_Seed(string key)
        {
            var k = Vectors.GetProperty(key);
            var signer = Signer(key);
            Assert.Equal(k.GetProperty("signer_key").GetString(), signer.ToSignerKey());
            Assert.Equal(k.GetProperty("verifier_key").GetString(), signer.Verifier.VerifierKey);
            var parsed = NoteSigner.Parse(k.GetProperty("signer_key").GetString()!);
            Assert.Equal(signer.Verifier.VerifierKey, parsed.Verifier.VerifierKey);
            var verifier = NoteVerifier.Parse(k.GetProperty("verifier_key").GetString()!);
            Assert.Equal(signer.KeyHash, verifier.KeyHash);
            Assert.Equal(k.GetProperty("verifier_key").GetString(), verifier.VerifierKey);
        }

        [Theory]
        [InlineData("devnet.example/sp-ledger+35a87d06+AahdKi7MbXK/mNDV1kaotDmM+AVHnZT8J2EFMJ02qIGu", "does not match")]
        [InlineData("devnet.example/sp-ledger+35a87d05+AqhdKi7MbXK/mNDV1kaotDmM+AVHnZT8J2EFMJ02qIGu", "type 0x01")]
        [InlineData("devnet.example/sp-ledger+35a87d05+AahdKi7MbXK/mNDV1kaotDmM+AVHnZT8J2EFMJ02qI", "base64")]
        [InlineData("devnet.example/sp-ledger+35a87d5+AahdKi7MbXK/mNDV1kaotDmM+AVHnZT8J2EFMJ02qIGu", "8 hex digits")]
        [InlineData("devnet example+35a87d05+AahdKi7MbXK/mNDV1kaotDmM+AVHnZT8J2EFMJ02qIGu", "whitespace")]
        [InlineData("devnet.example/sp-ledger+35a87d05", "fields")]
        public void Should_Reject_Malformed_Verifier_Keys(string key, string reason)
        {
            var e = Assert.Throws<MalformedNoteKeyException>(() => NoteVerifier.Parse(key));
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Reject_A_Signer_Key_With_A_Wrong_Hash_Or_Prefix()
        {
            var good = Vectors.GetProperty("log_key").GetProperty("signer_key").GetString()!;
            Assert.Throws<MalformedNoteKeyException>(() => NoteSigner.Parse(good.Replace("+35a87d05+", "+35a87d04+", StringComparison.Ordinal)));
            Assert.Throws<MalformedNoteKeyException>(() => NoteSigner.Parse(good["PRIVATE+".Length..]));
        }

        [Fact]
        public void Generated_Keys_Round_Trip()
        {
            var signer = NoteSigner.Generate("example.com/log");
            var again = NoteSigner.Parse(signer.ToSignerKey());
            Assert.Equal(signer.Verifier.VerifierKey, again.Verifier.VerifierKey);
            Assert.Throws<MalformedNoteKeyException>(() => NoteSigner.Generate("bad+name"));
        }
    }

    public sealed class TheSignMethod
    {
        [Fact]
        public void Should_Reproduce_Go_Signed_Notes_Byte_For_Byte()
        {
            var notes = Vectors.GetProperty("notes");
            var text = notes[0].GetProperty("text").GetString()!;
            Assert.Equal(notes[0].GetProperty("note").GetString(), Note.Sign(text, Signer("log_key")));
            Assert.Equal(notes[1].GetProperty("note").GetString(), Note.Sign(text, Signer("log_key"), Signer("witness_key")));
            var checkpointFile = File.ReadAllText(TestData.PathOf("tlog", "tiles", "checkpoint.700"));
            var checkpoint = Checkpoint.Parse(Note.ParseUnverified(Encoding.UTF8.GetBytes(checkpointFile)).Text);
            Assert.Equal(checkpointFile, checkpoint.Sign(Signer("log_key")));
        }

        [Fact]
        public void Should_Refuse_Text_Without_Final_Newline_Or_With_Control_Characters()
        {
            var signer = Signer("log_key");
            Assert.Throws<MalformedNoteException>(() => Note.Sign("no newline", signer));
            Assert.Throws<MalformedNoteException>(() => Note.Sign("tab\there\n", signer));
            Assert.Throws<ArgumentException>(() => Note.Sign("twice\n", signer, signer));
        }
    }

    public sealed class TheOpenMethod
    {
        [Fact]
        public void Should_Agree_With_Go_On_Every_Vector()
        {
            foreach (var v in Vectors.GetProperty("notes").EnumerateArray())
            {
                var verifier = NoteVerifier.Parse(v.GetProperty("verifier_key").GetString()!);
                var note = v.GetProperty("note").GetString()!;
                if (v.GetProperty("valid").GetBoolean())
                {
                    var opened = Note.Open(note, [verifier]);
                    Assert.Equal(v.GetProperty("text").GetString(), opened.Text);
                    Assert.True(opened.IsSignedBy(verifier));
                    continue;
                }
                var goError = v.GetProperty("go_error").GetString()!;
                var e = Assert.ThrowsAny<TlogException>(() => Note.Open(note, [verifier]));
                // Our messages start like Go's ("invalid signature for key ...", "note has no verifiable signatures").
                Assert.StartsWith(goError, e.Message, StringComparison.Ordinal);
                Assert.True(e is InvalidNoteSignatureException or UnverifiedNoteException, e.GetType().Name);
            }
        }

        [Fact]
        public void Should_Ignore_Unknown_Signatures_But_List_Them()
        {
            var v = Vectors.GetProperty("notes")[1];
            var opened = Note.Open(v.GetProperty("note").GetString()!, [NoteVerifier.Parse(v.GetProperty("verifier_key").GetString()!)]);
            Assert.Single(opened.VerifiedSignatures);
            var unknown = Assert.Single(opened.UnverifiedSignatures);
            Assert.Equal("witness.example/w1", unknown.Name);
            Assert.Equal(0x034f3d66u, unknown.KeyHash);
        }

        [Fact]
        public void Should_Reject_A_Known_Cosigner_With_A_Bad_Signature_Even_If_The_Log_Signed()
        {
            var log = Signer("log_key");
            var witness = Signer("witness_key");
            var note = Note.Sign("hello\n", log, witness);
            var lines = note.Split('\n');
            var witnessLine = lines[^2];
            var forged = note.Replace(witnessLine, witnessLine[..^6] + (witnessLine[^6] == 'A' ? "B" : "A") + witnessLine[^5..], StringComparison.Ordinal);
            Assert.Throws<InvalidNoteSignatureException>(() => Note.Open(forged, [log.Verifier, witness.Verifier]));
            Assert.Single(Note.Open(forged, [log.Verifier]).UnverifiedSignatures);
        }

        [Theory]
        [InlineData("hello\n— example.com/log AAAA\n", "blank line")]
        [InlineData("hello\n\n— example.com/log AAAA", "newline")]
        [InlineData("hello\n\n- example.com/log AAAAAAAA\n", "must start")]
        [InlineData("hello\n\n— example.com/log AAAA\n", "key hash and a signature")]
        [InlineData("hello\n\n— example.com/log not-base64!\n", "key hash and a signature")]
        [InlineData("he\rllo\n\n— example.com/log AAAAAAAA\n", "control character")]
        public void Should_Reject_Malformed_Notes(string note, string reason)
        {
            var e = Assert.Throws<MalformedNoteException>(() => Note.Open(note, [Signer("log_key").Verifier]));
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Reject_Invalid_Utf8()
        {
            byte[] note = [.. "hi"u8, 0xff, .. "\n\n— a AAAAAAAA\n"u8];
            Assert.Throws<MalformedNoteException>(() => Note.Open(note, [Signer("log_key").Verifier]));
        }
    }
}
