#!/usr/bin/env bash
# serf-compat.sh runs hashicorp/serf's own test suites twice, in one run:
# once on the memberlist version serf's go.mod pins, once on hyparlist standing
# in for memberlist, and prints the pass/fail counts of both.
#
# The stand-in is a copy of this repository's root package (its non-test .go
# files plus go.mod and go.sum) in a temporary directory, with the module
# renamed to github.com/hashicorp/memberlist and the package to memberlist. A
# copy of serf gets a replace directive pointing at it. The repository itself
# is not touched. Not part of .ci/run: it needs the network (modules) and
# takes many minutes.
#
# Usage:
#   scripts/serf-compat.sh [SERF_DIR]
# SERF_DIR is a serf source tree (for example a checkout of serf's main);
# without it the script downloads github.com/hashicorp/serf@$SERF_VERSION.
# Environment:
#   SERF_VERSION  module version to download (default: latest)
#   SERF_PKGS     packages to test (default: "./serf/ ./cmd/...")
#   SERF_RUN      -run pattern passed to go test (default: all tests)
#   SERF_ONLY     "memberlist" or "hyparlist" to run one side only
#   KEEP=1        keep the temporary directory (its path is printed)
# If the go-metrics version that serf selects has no compat package (v0.7.0 and
# later), the hyparlist side is built with -tags hashicorpmetrics, the tag under
# which hyparlist uses go-metrics' own types.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/serf-compat.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "work dir: $work" >&2
else
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
fi
pkgs=${SERF_PKGS:-"./serf/ ./cmd/..."}
runpat=${SERF_RUN:-}

# 1. The serf source.
if [ $# -ge 1 ]; then
  serfsrc=$(cd "$1" && pwd)
  serfver="dir $serfsrc"
else
  json=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/serf@${SERF_VERSION:-latest}")
  serfsrc=$(jq -r .Dir <<<"$json")
  serfver=$(jq -r .Version <<<"$json")
fi

# 2. The stand-in: root package only, module and package renamed.
stand="$work/memberlist"
mkdir -p "$stand"
for f in "$repo"/*.go; do
  case "$f" in *_test.go) continue ;; esac
  sed -e 's/^package hyparlist$/package memberlist/' "$f" >"$stand/$(basename "$f")"
done
sed -e 's#^module .*#module github.com/hashicorp/memberlist#' "$repo/go.mod" >"$stand/go.mod"
cp "$repo/go.sum" "$stand/go.sum"

# 3. Two copies of serf: as is, and pointed at the stand-in.
cp -r "$serfsrc" "$work/serf-memberlist"
chmod -R u+w "$work/serf-memberlist"
cp -r "$work/serf-memberlist" "$work/serf-hyparlist"
(
  cd "$work/serf-hyparlist"
  go mod edit -replace "github.com/hashicorp/memberlist=$stand"
  # -e: tidy looks at every build tag, and under the default one the stand-in
  # imports go-metrics/compat, which go-metrics v0.7.0 (serf v0.11.0) lacks.
  go mod tidy -e >/dev/null 2>&1
)
mlver=$(cd "$work/serf-memberlist" && go list -m -f '{{.Version}}' github.com/hashicorp/memberlist)
gmdir=$(cd "$work/serf-hyparlist" && go list -m -f '{{.Dir}}' github.com/hashicorp/go-metrics)
gmver=$(cd "$work/serf-hyparlist" && go list -m -f '{{.Version}}' github.com/hashicorp/go-metrics)
tags=""
if [ ! -d "$gmdir/compat" ]; then tags="-tags=hashicorpmetrics"; fi

# run NAME DIR [FLAGS...] runs the suites in DIR and leaves NAME.json.
run() {
  local name=$1 dir=$2
  shift 2
  local args=(-json -count=1 -timeout=40m)
  [ -n "$runpat" ] && args+=(-run "$runpat")
  echo "== $name: go test $* ${args[*]} $pkgs" >&2
  (cd "$dir" && go test "$@" "${args[@]}" $pkgs) >"$work/$name.json" 2>"$work/$name.stderr" || true
}

# summary NAME prints the counts of top-level tests and the failed ones.
summary() {
  local f="$work/$1.json"
  local pass fail skip build
  pass=$(jq -r 'select(.Test != null and (.Test|contains("/")|not) and .Action=="pass") | .Test' "$f" | wc -l)
  fail=$(jq -r 'select(.Test != null and (.Test|contains("/")|not) and .Action=="fail") | .Test' "$f" | wc -l)
  skip=$(jq -r 'select(.Test != null and (.Test|contains("/")|not) and .Action=="skip") | .Test' "$f" | wc -l)
  build=$(jq -r 'select(.Test == null and .Action=="fail") | .Package' "$f" | sort -u | tr '\n' ' ')
  printf '%-10s passed %4d  failed %4d  skipped %4d' "$1" "$pass" "$fail" "$skip"
  [ -n "$build" ] && printf '  failed packages: %s' "$build"
  printf '\n'
  if [ ! -s "$f" ] || grep -q . "$work/$1.stderr"; then
    sed -n 1,20p "$work/$1.stderr" | sed 's/^/    stderr: /'
  fi
  jq -r 'select(.Test != null and (.Test|contains("/")|not) and .Action=="fail") | "    FAIL \(.Package|sub(".*/serf/";"")) \(.Test)"' "$f"
}

echo "serf $serfver; memberlist $mlver; hyparlist $(cd "$repo" && git describe --always --dirty); go-metrics $gmver ${tags}; $(go version)"
[ "${SERF_ONLY:-}" != hyparlist ] && run memberlist "$work/serf-memberlist"
[ "${SERF_ONLY:-}" != memberlist ] && run hyparlist "$work/serf-hyparlist" $tags
[ "${SERF_ONLY:-}" != hyparlist ] && summary memberlist
[ "${SERF_ONLY:-}" != memberlist ] && summary hyparlist
exit 0
