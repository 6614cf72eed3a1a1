#!/usr/bin/env bash
# The README's first command: scripts/demo starts a broker and the simulated branch, and
# the traffic on the printed port is protocol-conformant (checked by `spotter-sim check`);
# the gateway answers the doors, and Ana's training session fills itself from the machines.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/bin}
out=$(mktemp)
trap 'kill $demo 2>/dev/null || true; wait $demo 2>/dev/null || true; rm -f "$out" "$out.sub" "$out.dec"' EXIT

SPOTTER_DEMO_SECONDS=25 "$root/scripts/demo" >"$out" 2>&1 &
demo=$!
port=
for _ in $(seq 1 600); do
  port=$(sed -n 's/.*mosquitto_sub -h 127.0.0.1 -p \([0-9]*\).*/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "demo printed no port:"; cat "$out"; exit 1; }

mosquitto_sub -h 127.0.0.1 -p "$port" -t 'spotter/v1/#' -v -C 60 -W 20 >"$out.sub" || true
lines=$(wc -l <"$out.sub")
echo "received $lines messages from the demo"
[ "$lines" -ge 60 ] || { echo "too little traffic"; cat "$out"; exit 1; }
grep -q '/telemetry ' "$out.sub" || grep -q '/auth ' "$out.sub" || { echo "no machine activity"; exit 1; }
"$bin/spotter-sim" check <"$out.sub"
# The gateway answers the doors.
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'spotter/v1/demo/doors/+/decision' -v -C 3 -W 20 >"$out.dec"
[ "$(wc -l <"$out.dec")" -ge 3 ] || { echo "no door decisions from spotter-edge"; cat "$out"; exit 1; }
"$bin/spotter-sim" check <"$out.dec"
# Ana's training session filled itself from the machines while the demo ran.
wait $demo
sets=$(sed -n "s/^Ana's training session .*: \([0-9]*\) sets from the machines$/\1/p" "$out")
echo "Ana's training session: ${sets:-no} sets from the machines"
[ "${sets:-0}" -ge 1 ] || { echo "the training session did not fill itself"; cat "$out"; exit 1; }
grep -q "demo stopped" "$out"
echo "1 passed, 0 failed"
