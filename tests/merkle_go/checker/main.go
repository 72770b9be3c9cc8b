// merkle_check: checks mledger's Merkle tree with an RFC 9162 implementation
// the project did not write (github.com/transparency-dev/merkle).
//
// Reads JSON lines on stdin (tests/merkle_go/proof_dump.cc writes them):
//
//	{"chain_hashes": [hex, ...]}                    first: every event's chain hash, in order
//	{"inclusion": {"seq", "size", "root", "path"}}  mledger's proof that event seq is in the tree of size
//	{"consistency": {"from", "to", "from_root", "to_root", "path"}}
//
// Computes every leaf hash (RFC 9162: SHA-256(0x00 || chain hash)) and the
// root of every size it is asked about on its own (compact ranges), checks
// that mledger's roots equal them, and verifies every proof with
// proof.VerifyInclusion / proof.VerifyConsistency. Exit 0 when all agree,
// 1 naming the first disagreement.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

type inclusion struct {
	Seq  uint64   `json:"seq"`
	Size uint64   `json:"size"`
	Root string   `json:"root"`
	Path []string `json:"path"`
}

type consistency struct {
	From     uint64   `json:"from"`
	To       uint64   `json:"to"`
	FromRoot string   `json:"from_root"`
	ToRoot   string   `json:"to_root"`
	Path     []string `json:"path"`
}

type line struct {
	ChainHashes []string     `json:"chain_hashes"`
	Inclusion   *inclusion   `json:"inclusion"`
	Consistency *consistency `json:"consistency"`
}

func decode(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		fail("not a 32-byte hex hash: %q", h)
	}
	return b
}

func decodeAll(hs []string) [][]byte {
	out := make([][]byte, 0, len(hs))
	for _, h := range hs {
		out = append(out, decode(h))
	}
	return out
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "merkle_check: "+format+"\n", args...)
	os.Exit(1)
}

// roots[n] is the root of the tree of the first n leaves, computed here.
func allRoots(leaves [][]byte) [][]byte {
	hasher := rfc6962.DefaultHasher
	factory := compact.RangeFactory{Hash: hasher.HashChildren}
	r := factory.NewEmptyRange(0)
	roots := [][]byte{hasher.EmptyRoot()}
	for _, leaf := range leaves {
		if err := r.Append(leaf, nil); err != nil {
			fail("compact range: %v", err)
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			fail("compact range root: %v", err)
		}
		roots = append(roots, root)
	}
	return roots
}

func main() {
	hasher := rfc6962.DefaultHasher
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	var roots [][]byte
	leaves := [][]byte{}
	inclusions, consistencies := 0, 0
	root := func(n uint64, claimed string) []byte {
		if n >= uint64(len(roots)) {
			fail("size %d is beyond the %d events given", n, len(roots)-1)
		}
		if !bytes.Equal(roots[n], decode(claimed)) {
			fail("mledger's root of size %d is %s; RFC 9162 gives %x", n, claimed, roots[n])
		}
		return roots[n]
	}
	for in.Scan() {
		var l line
		if err := json.Unmarshal(in.Bytes(), &l); err != nil {
			fail("bad input line: %v", err)
		}
		switch {
		case l.ChainHashes != nil:
			for _, c := range decodeAll(l.ChainHashes) {
				leaves = append(leaves, hasher.HashLeaf(c))
			}
			roots = allRoots(leaves)
		case l.Inclusion != nil:
			p := l.Inclusion
			r := root(p.Size, p.Root)
			if p.Seq == 0 || p.Seq > uint64(len(leaves)) {
				fail("seq %d is not an event", p.Seq)
			}
			if err := proof.VerifyInclusion(hasher, p.Seq-1, p.Size, leaves[p.Seq-1], decodeAll(p.Path), r); err != nil {
				fail("inclusion of event %d in size %d: %v", p.Seq, p.Size, err)
			}
			inclusions++
		case l.Consistency != nil:
			p := l.Consistency
			r1, r2 := root(p.From, p.FromRoot), root(p.To, p.ToRoot)
			if err := proof.VerifyConsistency(hasher, p.From, p.To, decodeAll(p.Path), r1, r2); err != nil {
				fail("consistency of size %d with size %d: %v", p.From, p.To, err)
			}
			consistencies++
		default:
			fail("a line with nothing to check")
		}
	}
	if err := in.Err(); err != nil {
		fail("reading stdin: %v", err)
	}
	if inclusions == 0 || consistencies == 0 {
		fail("nothing was checked (%d inclusion, %d consistency proofs)", inclusions, consistencies)
	}
	fmt.Printf("merkle_check: %d events, %d inclusion and %d consistency proofs agree with github.com/transparency-dev/merkle\n",
		len(leaves), inclusions, consistencies)
}
