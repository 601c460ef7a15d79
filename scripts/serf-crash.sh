#!/usr/bin/env bash
# serf-crash.sh BIN TAG [BASE]: 3 serf agents on 127.0.0.{21,22,23}, kill -9 the third,
# time until the first lists it failed.
bin=$1; tag=$2; base=${3:-21}
pids=()
for i in 0 1 2; do
  ip=127.0.0.$((base+i))
  args=(agent -node=n$i -bind=$ip:7946 -rpc-addr=$ip:7373 -log-level=err)
  [ $i -gt 0 ] && args+=(-join=127.0.0.$base:7946)
  $bin "${args[@]}" >${TMPDIR:-/tmp}/serf-crash-$tag-$i.log 2>&1 &
  pids+=($!)
  sleep 0.3
done
for t in $(seq 1 100); do
  n=$($bin members -rpc-addr=127.0.0.$base:7373 -status=alive 2>/dev/null | wc -l)
  [ "$n" = 3 ] && break; sleep 0.1
done
sleep 2
start=$(date +%s.%N)
kill -9 ${pids[2]}
res=timeout
for t in $(seq 1 600); do
  if $bin members -rpc-addr=127.0.0.$base:7373 -status=failed 2>/dev/null | grep -q n2; then
    res=$(echo "$(date +%s.%N) - $start" | bc); break
  fi
  sleep 0.05
done
echo "$tag failed-after ${res}s"
kill ${pids[0]} ${pids[1]} 2>/dev/null; wait ${pids[0]} ${pids[1]} 2>/dev/null
