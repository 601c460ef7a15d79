#!/usr/bin/env bash
# Runs every fuzz target of the root package, one after another, each for
# the given duration (default 10m), and stops at the first failure.
#
#   scripts/fuzz.sh            # every target, 10 minutes each
#   scripts/fuzz.sh 20s        # every target, 20 seconds each
#   scripts/fuzz.sh 1h FuzzHandshake FuzzDecryptFrame   # only these
#
# A failing input is written to testdata/fuzz/<target>/ by go test; re-run
# it with: go test -run '<target>/<file>' .
# Each target's last lines (executions, new interesting inputs) are
# printed, so a campaign's figures can be copied to SECURITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-10m}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(grep -ho '^func Fuzz[A-Za-z0-9_]*' ./*_test.go | sed 's/^func //' | sort -u)
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no fuzz targets found" >&2
  exit 1
fi

echo "fuzzing ${#targets[@]} targets for ${duration} each: ${targets[*]}"
echo "go $(go env GOVERSION), $(date -u +%Y-%m-%dT%H:%M:%SZ), load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
for t in "${targets[@]}"; do
  echo "=== ${t}"
  log=$(mktemp)
  if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "${duration}" . >"${log}" 2>&1; then
    cat "${log}"
    rm -f "${log}"
    echo "FAIL ${t}" >&2
    exit 1
  fi
  # The last progress line holds the totals.
  grep -E '^fuzz: elapsed' "${log}" | tail -1 || true
  tail -1 "${log}"
  rm -f "${log}"
done
echo "all ${#targets[@]} targets passed"
