#!/usr/bin/env bash
# The full side-by-side grid of BENCHMARKS.md, "Side by side with
# hashicorp/memberlist (bench/)": both systems, both broadcast paths, both
# configs, two payload sizes and four cluster sizes, then the sustained-rate
# sweep and the raw loopback TCP ceiling. JSON lines are appended to $OUT.
#
#   bench/grid.sh                       # everything, 100 broadcasts per cell
#   NS="16 64" BROADCASTS=30 bench/grid.sh
#   SWEEP=0 RAW=0 NS=256 CONFIGS=lan PAYLOADS=1024 bench/grid.sh
#   NS= bench/grid.sh                  # only the sweep and the raw ceiling
#
# Runs one cell at a time: the figures include process CPU, so nothing else
# of yours should run beside it. Each run records /proc/loadavg.
set -euo pipefail
cd "$(dirname "$0")"

OUT=${OUT:-grid.jsonl}
NS=${NS-"16 64 256 1000"} # NS= (empty) runs no grid cells
CONFIGS=${CONFIGS:-"lan local"}
PAYLOADS=${PAYLOADS:-"256 1024"}
BROADCASTS=${BROADCASTS:-100}
RATE=${RATE:-1}
SWEEP=${SWEEP:-1}
RAW=${RAW:-1}

bin=$(mktemp -d)/bench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" .

for n in $NS; do
  for config in $CONFIGS; do
    for payload in $PAYLOADS; do
      echo "== n=$n config=$config payload=$payload ($(cut -d' ' -f1-3 /proc/loadavg))" >&2
      "$bin" -system both -api both -config "$config" -n "$n" -payload "$payload" \
        -rate "$RATE" -broadcasts "$BROADCASTS" -json >>"$OUT"
    done
  done
done
if [ "$SWEEP" = 1 ]; then
  echo "== sweep n=32 payload=1024 ($(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$bin" -sweep -system both -api both -config lan -n 32 -payload 1024 -json >>"$OUT"
fi
if [ "$RAW" = 1 ]; then
  echo "== raw n=32 payload=1024 ($(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$bin" -raw -n 32 -payload 1024 -json >>"$OUT"
fi
echo "wrote $OUT" >&2
