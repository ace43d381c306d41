#!/bin/sh
# history: a year of synthetic history for 100 checks (bench/history.c, through
# the agent's own incident and counter code), then an agent started on it:
#   - `history` round trip (the agent's reply: counters of 100 checks over 7
#     days + the newest 200 incidents), N requests on one connection;
#   - `healctl history` end to end (process start, config, request, text), M runs;
#   - state.json size after the agent's first cycle;
#   - recording an incident (a heal closed and appended), in the generator.
# Targets (printed, not asserted): healctl history p99 < 50 ms, state.json
# < 2 MB, recording an incident < 1 ms. Beside it, the peer: what answering
# from the files alone costs (python3 reading every incidents.jsonl* file).
# Knobs: CHECKS (100), DAYS (365), N (500), M (100).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CHECKS=${CHECKS:-100}
DAYS=${DAYS:-365}
N=${N:-500}
M=${M:-100}
AGENT="$BUILD/bin/heal-agent"
HEALCTL="$BUILD/bin/healctl"
GEN="$BUILD/bench/history"
CONTROL="$BUILD/bench/control"
for b in "$AGENT" "$HEALCTL" "$GEN" "$CONTROL"; do
    [ -x "$b" ] || { echo "history: $b missing (make all bench-bins)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/heal-bench-XXXXXX)
agent_pid=""
cleanup() {
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
    [ -n "$agent_pid" ] && wait "$agent_pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

gen=$("$GEN" "$dir/state" "$CHECKS" "$DAYS")
{
    printf 'agent\n    interval = 3600\n    state_dir = "%s/state"\n' "$dir"
    printf '    path = "/usr/local/bin:/usr/bin:/bin"\n'
    printf 'bus\n    publish = "ipc://%s/bus"\n    inbound = "ipc://%s/in"\n' "$dir" "$dir"
    printf 'control\n    endpoint = "ipc://%s/ctl"\n' "$dir"
    i=1
    while [ "$i" -le "$CHECKS" ]; do
        printf 'check = c%d\n    kind = command\n    run = "true"\n' "$i"
        i=$((i + 1))
    done
} > "$dir/heal.conf"
chmod 600 "$dir/heal.conf"

ctl() { "$HEALCTL" -c "$dir/heal.conf" "$@"; }
"$AGENT" -c "$dir/heal.conf" > "$dir/agent.log" 2>&1 &
agent_pid=$!
end=$(( $(date +%s) + 20 ))
until ctl --timeout 200 ping >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { echo "history: the agent did not start" >&2; cat "$dir/agent.log" >&2; exit 1; }
    sleep 0.05
done
ctl --timeout 60000 run >/dev/null || true          # first full cycle: state.json saved
first=$(ctl history | head -1)
round=$("$CONTROL" zmq "ipc://$dir/ctl" "$N" history)
# $1 = healctl command: M runs, end to end (process start included)
e2e() {
    /usr/bin/python3 - "$HEALCTL" "$dir/heal.conf" "$M" "$1" <<'PY'
import subprocess, sys, time
ctl, conf, m, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ms = []
for _ in range(m):
    t = time.perf_counter()
    subprocess.run([ctl, "-c", conf, cmd], stdout=subprocess.DEVNULL, check=True)
    ms.append((time.perf_counter() - t) * 1000)
ms.sort()
print("p50_ms=%.2f p99_ms=%.2f max_ms=%.2f n=%d" % (ms[len(ms) // 2], ms[len(ms) * 99 // 100], ms[-1], m))
PY
}
e2e=$(e2e history)
e2e_ping=$(e2e ping)
state_bytes=$(wc -c < "$dir/state/state.json")
peer=$(/usr/bin/python3 - "$dir/state/incidents.jsonl" <<'PY'
import glob, json, sys, time
t = time.perf_counter()
week = (time.time() - 7 * 86400) * 1000
heals = {}
for path in glob.glob(sys.argv[1] + "*"):
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["outcome"] == "healed" and r["closed"] >= week:
                heals[r["check"]] = heals.get(r["check"], 0) + 1
print("%.1f ms (%d checks with heals)" % ((time.perf_counter() - t) * 1000, len(heals)))
PY
)

echo "history: $CHECKS checks, $DAYS days of synthetic history"
echo "$gen" | sed 's/^/  generated:                          /; 2,$s/^  generated:   /               /'
printf '  %-35s %s\n' "first line:" "$first"
printf '  %-35s %s\n' "history round trip (agent):" "$round"
printf '  %-35s %s\n' "healctl history (end to end):" "$e2e"
printf '  %-35s %s\n' "healctl ping (same, for scale):" "$e2e_ping"
printf '  %-35s %s bytes\n' "state.json after a cycle:" "$state_bytes"
printf '  %-35s %s\n' "peer: python3 over the files:" "$peer"
p99=$(echo "$e2e" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
[ -n "$p99" ] && awk "BEGIN { exit !($p99 >= 50.0) }" && echo "  target missed: healctl history p99 $p99 ms >= 50 ms"
[ "$state_bytes" -ge 2097152 ] && echo "  target missed: state.json $state_bytes bytes >= 2 MB"
rec=$(echo "$gen" | sed -n 's/.*record_p99_us=\([0-9]*\).*/\1/p')
[ -n "$rec" ] && [ "$rec" -ge 1000 ] && echo "  target missed: recording an incident p99 $rec us >= 1 ms"
echo "  targets: healctl history p99 < 50 ms, state.json < 2 MB, recording an incident < 1 ms"
