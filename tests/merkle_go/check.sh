#!/usr/bin/env bash
# ctest: mledger's Merkle proofs checked by github.com/transparency-dev/merkle.
#   check.sh PROOF_DUMP SOURCE_DIR BUILD_DIR EVENTS MODE
# Builds tests/merkle_go/checker (the module is fetched by `go` through the module
# proxy once, then from its cache; go.sum pins it), makes a ledger of EVENTS
# events in a temporary directory and checks every proof proof_dump writes.
set -euo pipefail
dump=$1 src=$2 build=$3 events=$4 mode=$5
PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "go is not installed: run tools/setup (Debian package golang-go)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mledger-merkle-go.XXXXXX")
trap 'rm -rf "$work"' EXIT
checker="$work/merkle_check"
(cd "$src/tests/merkle_go/checker" && GOFLAGS=-mod=mod go build -o "$checker" .)
"$dump" "$work/ledger" "$events" "$mode" | "$checker"
