#!/usr/bin/env bash
# Ctrl-C in a terminal sends SIGINT to the whole foreground process group at once: the
# script, the broker, the cloud, the gateway and the simulator all get it together (the
# simulator then loses its broker while saying goodbye). Everything must be gone within 5 s.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# A group of its own, as a terminal gives a foreground job.
setsid bash -c "exec '$root/scripts/demo'" >"$out" 2>&1 &
leader=$!
for _ in $(seq 1 1800); do
  grep -q "Press Ctrl-C" "$out" && break
  kill -0 "$leader" 2>/dev/null || { echo "the demo exited early:"; cat "$out"; exit 1; }
  sleep 0.1
done
grep -q "Press Ctrl-C" "$out" || { echo "the demo did not start:"; cat "$out"; pkill -KILL -g "$leader" || true; exit 1; }
sleep 3  # devices, gateway and cloud busy
start=$(date +%s%N)
kill -INT -- "-$leader"
for _ in $(seq 1 100); do
  pgrep -g "$leader" >/dev/null || break
  sleep 0.1
done
ms=$((($(date +%s%N) - start) / 1000000))
if pgrep -g "$leader" >/dev/null; then
  echo "still running ${ms} ms after Ctrl-C:"
  pgrep -ag "$leader" || true
  pkill -KILL -g "$leader" || true
  exit 1
fi
echo "everything stopped ${ms} ms after Ctrl-C"
grep -q "demo stopped" "$out" || { echo "the demo did not clean up:"; cat "$out"; exit 1; }
if grep -q "did not stop within 5 s" "$out"; then echo "a program had to be killed:"; grep "did not stop" "$out"; exit 1; fi
[ "$ms" -le 5000 ] || { echo "slower than 5 s"; exit 1; }
echo "1 passed, 0 failed"
