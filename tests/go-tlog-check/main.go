// go-tlog-check: verifies a C2SP tlog-tiles log with Go's reference packages (golang.org/x/mod/sumdb/note and
// sumdb/tlog), independently of our C# code. Used by tests/Sp.EndToEnd.Tests (LedgerLogTests) against a log that
// sp-node serves and one that `sp-node log export` wrote.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go LOG_URL|DIR VERIFIER_KEY [OLD_CHECKPOINT_FILE]
//
// It verifies the checkpoint's signature (note.Open with the verifier key), rebuilds the tree from the hash tiles
// (tlog.TileHashReader checks every tile it loads against the checkpoint's root), proves every entry of every entry
// bundle included (tlog.ProveRecord / CheckRecord) and, given an older checkpoint, proves the two consistent
// (tlog.ProveTree / CheckTree). Prints one line and exits 0 when all hold, else prints why and exits 1.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type source struct{ base string }

// read returns the bytes at a C2SP path (tile/L/N[.p/W], tile/entries/N[.p/W], checkpoint).
func (s source) read(path string) ([]byte, error) {
	if strings.HasPrefix(s.base, "http://") || strings.HasPrefix(s.base, "https://") {
		resp, err := http.Get(strings.TrimRight(s.base, "/") + "/" + path) // the transport asks for gzip and inflates it
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
		}
		return io.ReadAll(resp.Body)
	}
	return os.ReadFile(filepath.Join(s.base, filepath.FromSlash(path)))
}

// c2spPath maps Go's sumdb tile path (tile/8/L/N, tile/8/data/N) to tlog-tiles' (tile/L/N, tile/entries/N).
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	p = strings.Replace(p, "data/", "entries/", 1)
	return "tile/" + p
}

type tiles struct{ src source }

func (tiles) Height() int { return 8 }

func (r tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data, err := r.src.read(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func open(msg []byte, verifier note.Verifier) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("checkpoint: want origin, size, root hash, got %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], raw)
	return checkpoint{lines[0], tlog.Tree{N: size, Hash: h}}, nil
}

func run(args []string) (string, error) {
	if len(args) < 2 {
		return "", fmt.Errorf("usage: go-tlog-check LOG_URL|DIR VERIFIER_KEY [OLD_CHECKPOINT_FILE]")
	}
	src := source{args[0]}
	verifier, err := note.NewVerifier(args[1])
	if err != nil {
		return "", fmt.Errorf("verifier key: %v", err)
	}
	msg, err := src.read("checkpoint")
	if err != nil {
		return "", err
	}
	cp, err := open(msg, verifier)
	if err != nil {
		return "", err
	}
	if cp.origin != verifier.Name() {
		return "", fmt.Errorf("checkpoint origin %q is not the key's name %q", cp.origin, verifier.Name())
	}
	thr := tlog.TileHashReader(cp.tree, tiles{src})
	root, err := tlog.TreeHash(cp.tree.N, thr)
	if err != nil {
		return "", fmt.Errorf("tree hash from the tiles: %v", err)
	}
	if root != cp.tree.Hash {
		return "", fmt.Errorf("the tiles give root %v, the checkpoint says %v", root, cp.tree.Hash)
	}
	// Every entry of every bundle, proved included under the checkpoint.
	var entries int64
	for start := int64(0); start < cp.tree.N; start += 256 {
		width := cp.tree.N - start
		path := fmt.Sprintf("tile/entries/%s", tilePathIndex(start/256))
		if width < 256 {
			path += fmt.Sprintf(".p/%d", width)
		} else {
			width = 256
		}
		bundle, err := src.read(path)
		if err != nil {
			return "", err
		}
		for i := int64(0); i < width; i++ {
			if len(bundle) < 2 {
				return "", fmt.Errorf("%s: entry %d missing", path, i)
			}
			n := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+n {
				return "", fmt.Errorf("%s: entry %d truncated", path, i)
			}
			index := start + i
			proof, err := tlog.ProveRecord(cp.tree.N, index, thr)
			if err != nil {
				return "", fmt.Errorf("entry %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, cp.tree.N, cp.tree.Hash, index, tlog.RecordHash(bundle[2:2+n])); err != nil {
				return "", fmt.Errorf("entry %d is not included: %v", index, err)
			}
			bundle = bundle[2+n:]
			entries++
		}
		if len(bundle) != 0 {
			return "", fmt.Errorf("%s: %d bytes after its %d entries", path, len(bundle), width)
		}
	}
	line := fmt.Sprintf("go-tlog-check: %s verified: checkpoint of tree size %d, %d entries proved included", cp.origin, cp.tree.N, entries)
	if len(args) > 2 {
		oldMsg, err := os.ReadFile(args[2])
		if err != nil {
			return "", err
		}
		old, err := open(oldMsg, verifier)
		if err != nil {
			return "", fmt.Errorf("old %v", err)
		}
		if old.tree.N > cp.tree.N {
			return "", fmt.Errorf("old checkpoint of tree size %d is bigger than %d", old.tree.N, cp.tree.N)
		}
		if old.tree.N > 0 {
			proof, err := tlog.ProveTree(cp.tree.N, old.tree.N, thr)
			if err != nil {
				return "", fmt.Errorf("consistency proof %d -> %d: %v", old.tree.N, cp.tree.N, err)
			}
			if err := tlog.CheckTree(proof, cp.tree.N, cp.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
				return "", fmt.Errorf("tree size %d is not consistent with tree size %d: %v", cp.tree.N, old.tree.N, err)
			}
		}
		line += fmt.Sprintf(", consistent with tree size %d", old.tree.N)
	}
	return line, nil
}

// tilePathIndex encodes a tile index as tlog-tiles path elements (x001/x234/067).
func tilePathIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

func main() {
	line, err := run(os.Args[1:])
	if err != nil {
		fmt.Println("go-tlog-check: " + err.Error())
		os.Exit(1)
	}
	fmt.Println(line)
}
