#!/bin/sh
# control: round-trip latency of `status` with 100 checks configured, idle and
# while a cycle with 5 hung checks (command `sleep 30`, timeout 20 s) runs.
# Target: p99 <= 5 ms in both. Beside it, in the same run, Monit 5.33's status
# page (HTTP, /_status?format=xml) with the same 100 + 5 checks.
# Knobs: N (requests per measurement, default 2000), CHECKS (100), HUNG (5).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-2000}
CHECKS=${CHECKS:-100}
HUNG=${HUNG:-5}
AGENT="$BUILD/bin/heal-agent"
HEALCTL="$BUILD/bin/healctl"
BENCH="$BUILD/bench/control"
for b in "$AGENT" "$HEALCTL" "$BENCH"; do
    [ -x "$b" ] || { echo "control: $b missing (make all bench-bins)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/heal-bench-XXXXXX)
agent_pid=""; monit_pid=""; run_pid=""
cleanup() {
    for p in $run_pid $agent_pid $monit_pid; do kill "$p" 2>/dev/null || true; done
    for p in $run_pid $agent_pid $monit_pid; do wait "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# $1 = number of hung checks
heal_config() {
    {
        printf 'agent\n    interval = 3600\n    state_dir = "%s/state"\n' "$dir"
        printf '    path = "/usr/local/bin:/usr/bin:/bin"\n'
        printf 'bus\n    publish = "ipc://%s/bus"\n    inbound = "ipc://%s/in"\n' "$dir" "$dir"
        printf 'control\n    endpoint = "ipc://%s/ctl"\n' "$dir"
        i=1
        while [ "$i" -le "$CHECKS" ]; do
            printf 'check = c%d\n    kind = command\n    run = "echo ok %d"\n' "$i" "$i"
            i=$((i + 1))
        done
        i=1
        while [ "$i" -le "$1" ]; do
            printf 'check = hung%d\n    kind = command\n    run = "sleep 30"\n    timeout = 20\n' "$i"
            i=$((i + 1))
        done
    } > "$dir/heal.conf"
    chmod 600 "$dir/heal.conf"
}

# Wait (at most $2 s) for command $1 to succeed.
wait_until() {
    end=$(( $(date +%s) + $2 ))
    until eval "$1" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || { echo "control: timed out: $1" >&2; return 1; }
        sleep 0.05
    done
}

ctl() { "$HEALCTL" -c "$dir/heal.conf" "$@"; }

# --- heal -----------------------------------------------------------------
heal_config 0
"$AGENT" -c "$dir/heal.conf" > "$dir/agent.log" 2>&1 &
agent_pid=$!
wait_until "ctl --timeout 200 ping" 20
ctl --timeout 60000 run >/dev/null || true          # first full cycle done
heal_idle=$("$BENCH" zmq "ipc://$dir/ctl" "$N" status)

heal_config "$HUNG"
ctl reload >/dev/null
# A full cycle now: 100 quick checks and HUNG that sleep until their timeout.
ctl --timeout 60000 run >/dev/null 2>&1 &
run_pid=$!
wait_until "ctl --json status | grep -q '\"running\": *true'" 3 || true
heal_busy=$("$BENCH" zmq "ipc://$dir/ctl" "$N" status)
if kill -0 "$run_pid" 2>/dev/null; then during="yes"; else during="NO (cycle ended early)"; fi
kill "$agent_pid" 2>/dev/null || true
wait "$agent_pid" 2>/dev/null || true
agent_pid=""
kill "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true
run_pid=""

# --- Monit (peer), same checks ---------------------------------------------
monit_idle="(monit not installed)"; monit_busy="$monit_idle"
if command -v monit >/dev/null 2>&1; then
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # $1 = number of hung checks
    monit_config() {
        {
            printf 'set daemon 3600\nset logfile %s/monit.log\n' "$dir"
            printf 'set pidfile %s/monit.pid\nset idfile %s/monit.id\nset statefile %s/monit.state\n' "$dir" "$dir" "$dir"
            printf 'set httpd port %s and use address 127.0.0.1\n    allow 127.0.0.1\n' "$port"
            i=1
            while [ "$i" -le "$CHECKS" ]; do
                printf 'check program c%d with path "/bin/echo ok %d"\n    if status != 0 then alert\n' "$i" "$i"
                i=$((i + 1))
            done
            i=1
            while [ "$i" -le "$1" ]; do
                printf 'check program hung%d with path "/bin/sleep 30" with timeout 20 seconds\n    if status != 0 then alert\n' "$i"
                i=$((i + 1))
            done
        } > "$dir/monitrc"
        chmod 600 "$dir/monitrc"
    }
    url="http://127.0.0.1:$port/_status?format=xml"
    monit_config 0
    monit -c "$dir/monitrc" -I > "$dir/monit.out" 2>&1 &
    monit_pid=$!
    if wait_until "curl -sf '$url'" 20; then
        monit_idle=$("$BENCH" http "$url" "$N" || echo failed)
        kill "$monit_pid"; wait "$monit_pid" 2>/dev/null || true
        monit_config "$HUNG"
        monit -c "$dir/monitrc" -I > "$dir/monit.out" 2>&1 &
        monit_pid=$!
        wait_until "curl -sf '$url'" 20
        monit_busy=$("$BENCH" http "$url" "$N" || echo failed)
    else
        monit_idle="(monit did not start: $(tail -1 "$dir/monit.out"))"; monit_busy=""
    fi
fi

echo "control: status round trip, $CHECKS checks, $N requests each"
printf '  %-34s %s\n' "heal idle:" "$heal_idle"
printf '  %-34s %s\n' "heal, cycle with $HUNG hung checks:" "$heal_busy (cycle in flight: $during)"
printf '  %-34s %s\n' "monit idle (HTTP status):" "$monit_idle"
printf '  %-34s %s\n' "monit, $HUNG hung checks:" "$monit_busy"
for line in "$heal_idle" "$heal_busy"; do
    p99=$(echo "$line" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
    if [ -n "$p99" ] && awk "BEGIN { exit !($p99 > 5.0) }"; then
        echo "  target missed: p99 $p99 ms > 5 ms"
    fi
done
echo "  target: p99 <= 5 ms in both"
