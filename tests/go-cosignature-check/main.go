// go-cosignature-check: verifies witnesses' cosignatures (C2SP tlog-cosignature, Ed25519 cosignature/v1) on a
// checkpoint independently of our C# code. Used by tests/Sp.Witness.Tests (WitnessCrossCheckTests, GoCosignatureCheck) and,
// on the checkpoints sp-node serves and publishes, by tests/Sp.EndToEnd.Tests (SplitViewTests, LedgerLogTests.StaticLog).
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go CHECKPOINT_FILE LOG_VERIFIER_KEY WITNESS_VERIFIER_KEY...
//
// Debian's golang.org/x/mod/sumdb/note knows only Ed25519 note keys (type 0x01): note.NewVerifier refuses the
// cosigner keys (type 0x04). So the note is parsed and its signature lines matched to keys by note.Open (name and
// key ID), with the log key from note.NewVerifier and, for each witness, a note.Verifier written here: it computes
// the key ID SHA-256(name || "\n" || 0x04 || key)[:4] itself and checks the Ed25519 signature (crypto/ed25519) over
// "cosignature/v1\ntime <timestamp>\n" || checkpoint text. Prints one line and exits 0 when the log and every
// witness signed, else prints why and exits 1.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosignatureV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	time *uint64
}

func (v *cosignatureV1) Name() string    { return v.name }
func (v *cosignatureV1) KeyHash() uint32 { return v.hash }
func (v *cosignatureV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t >= 1<<63 {
		return false
	}
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	if !ed25519.Verify(v.key, signed, sig[8:]) {
		return false
	}
	*v.time = t
	return true
}

func cosigner(vkey string) (*cosignatureV1, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("witness key %q: want name+hash+base64", vkey)
	}
	hash, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 {
		return nil, fmt.Errorf("witness key %q: bad key hash", vkey)
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != 0x04 {
		return nil, fmt.Errorf("witness key %q: want type 0x04 and a 32-byte Ed25519 key", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), key...))
	if binary.BigEndian.Uint32(h[:4]) != uint32(hash) {
		return nil, fmt.Errorf("witness key %q: key hash %08x does not match SHA-256(name || \\n || 0x04 || key)[:4] = %08x", vkey, hash, binary.BigEndian.Uint32(h[:4]))
	}
	return &cosignatureV1{name: parts[0], hash: uint32(hash), key: ed25519.PublicKey(key[1:]), time: new(uint64)}, nil
}

func run() error {
	if len(os.Args) < 4 {
		return fmt.Errorf("usage: go run main.go CHECKPOINT_FILE LOG_VERIFIER_KEY WITNESS_VERIFIER_KEY...")
	}
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		return err
	}
	logKey, err := note.NewVerifier(strings.TrimSpace(os.Args[2]))
	if err != nil {
		return fmt.Errorf("log key: %v", err)
	}
	verifiers := []note.Verifier{logKey}
	var witnesses []*cosignatureV1
	for _, vkey := range os.Args[3:] {
		w, err := cosigner(strings.TrimSpace(vkey))
		if err != nil {
			return err
		}
		witnesses = append(witnesses, w)
		verifiers = append(verifiers, w)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	signed := map[string]bool{}
	for _, s := range n.Sigs {
		signed[fmt.Sprintf("%s+%08x", s.Name, s.Hash)] = true
	}
	if !signed[fmt.Sprintf("%s+%08x", logKey.Name(), logKey.KeyHash())] {
		return fmt.Errorf("checkpoint: no signature by the log key")
	}
	var got []string
	for _, w := range witnesses {
		if !signed[fmt.Sprintf("%s+%08x", w.name, w.hash)] {
			return fmt.Errorf("no valid cosignature by %s", w.name)
		}
		got = append(got, fmt.Sprintf("%s at %d", w.name, *w.time))
	}
	lines := bytes.SplitN([]byte(n.Text), []byte("\n"), 3)
	fmt.Printf("verified: checkpoint of %s at tree size %s, cosigned by %s\n", lines[0], lines[1], strings.Join(got, ", "))
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}
