#!/bin/sh
# exporter: heal-exporter with 1,000 checks configured (command checks, each
# reporting two metrics), all run once:
#   - scrape latency p50/p99 of GET /metrics (libcurl, one kept-alive
#     connection; each scrape asks the agent for `metrics` over its control
#     socket),
#     target p99 <= 20 ms; beside it, in the same run, Prometheus' own
#     /metrics (Go client_golang) when /usr/bin/prometheus is installed;
#   - heal-exporter's resident memory (VmRSS, VmHWM) after the scrapes;
#   - the agent's CPU per scrape and its `metrics` round trip (healctl's
#     codec, no HTTP);
#   - the agent's control round trip (`ping`) p99, idle and while a
#     background loop scrapes 10 times a second: target within 5 ms.
# Knobs: N (scrapes, default 200), CHECKS (1000), PINGS (2000).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-200}
CHECKS=${CHECKS:-1000}
PINGS=${PINGS:-2000}
AGENT="$BUILD/bin/heal-agent"
EXPORTER="$BUILD/bin/heal-exporter"
HEALCTL="$BUILD/bin/healctl"
BENCH="$BUILD/bench/control"
for b in "$AGENT" "$EXPORTER" "$HEALCTL" "$BENCH"; do
    [ -x "$b" ] || { echo "exporter: $b missing (make all bench-bins)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/heal-bench-XXXXXX)
agent_pid=""; exp_pid=""; load_pid=""; prom_pid=""
cleanup() {
    for p in $load_pid $exp_pid $agent_pid $prom_pid; do kill "$p" 2>/dev/null || true; done
    for p in $load_pid $exp_pid $agent_pid $prom_pid; do wait "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Wait (at most $2 s) for command $1 to succeed.
wait_until() {
    end=$(( $(date +%s) + $2 ))
    until eval "$1" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || { echo "exporter: timed out: $1" >&2; return 1; }
        sleep 0.05
    done
}
ctl() { "$HEALCTL" -c "$dir/heal.conf" "$@"; }

port=$(free_port)
{
    printf 'agent\n    interval = 3600\n    state_dir = "%s/state"\n' "$dir"
    printf '    path = "/usr/local/bin:/usr/bin:/bin"\n'
    printf 'bus\n    publish = "ipc://%s/bus"\n    inbound = "ipc://%s/in"\n' "$dir" "$dir"
    printf 'control\n    endpoint = "ipc://%s/ctl"\n' "$dir"
    printf 'exporter\n    listen = "127.0.0.1:%s"\n' "$port"
    i=1
    while [ "$i" -le "$CHECKS" ]; do
        printf 'check = c%d\n    kind = command\n    run = "echo '"'"'ok | rss=%dKB load=0.%d'"'"'"\n' "$i" "$i" "$i"
        i=$((i + 1))
    done
} > "$dir/heal.conf"
chmod 600 "$dir/heal.conf"

"$AGENT" -c "$dir/heal.conf" > "$dir/agent.log" 2>&1 &
agent_pid=$!
wait_until "ctl --timeout 200 ping" 30 || { cat "$dir/agent.log" >&2; exit 1; }
ctl --timeout 600000 run >/dev/null || true          # every check has a last event
"$EXPORTER" -c "$dir/heal.conf" > "$dir/exporter.log" 2>&1 &
exp_pid=$!
url="http://127.0.0.1:$port/metrics"
wait_until "curl -sf http://127.0.0.1:$port/" 20
rss_idle=$(awk '/^VmRSS/ {printf "VmRSS=%.1fMB", $2/1024}' "/proc/$exp_pid/status" 2>/dev/null || echo "(no /proc)")
series=$(curl -sf "$url" | grep -vc '^#')
bytes=$(curl -sf "$url" | wc -c)

# The agent's CPU time (utime + stime, clock ticks) across the scrapes.
agent_ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat" 2>/dev/null || echo 0; }
ticks0=$(agent_ticks)
scrape=$("$BENCH" http "$url" "$N")
ticks1=$(agent_ticks)
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
agent_cpu=$(awk "BEGIN { if ($ticks1 > 0) printf \"%.2f ms\", ($ticks1 - $ticks0) * 1000 / $hz / $N; else print \"(no /proc)\" }")
metrics_idle=$("$BENCH" zmq "ipc://$dir/ctl" 200 metrics)
rss=$(awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "VmRSS=%.1fMB VmHWM=%.1fMB", r/1024, h/1024}' "/proc/$exp_pid/status" 2>/dev/null || echo "(no /proc)")

ping_idle=$("$BENCH" zmq "ipc://$dir/ctl" "$PINGS" ping)
# 10 scrapes a second in the background (pacing only, not synchronisation).
( while :; do curl -sf -o /dev/null "$url" || true; sleep 0.1; done ) &
load_pid=$!
ping_busy=$("$BENCH" zmq "ipc://$dir/ctl" "$PINGS" ping)
status_busy=$("$BENCH" zmq "ipc://$dir/ctl" 200 status)
kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; load_pid=""
rss_after=$(awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "VmRSS=%.1fMB VmHWM=%.1fMB", r/1024, h/1024}' "/proc/$exp_pid/status" 2>/dev/null || echo "(no /proc)")

# --- peer: Prometheus' own /metrics (client_golang) --------------------------
peer="(prometheus not installed)"
if [ -x /usr/bin/prometheus ]; then
    pport=$(free_port)
    printf 'global:\n  scrape_interval: 1h\n' > "$dir/prom.yml"
    /usr/bin/prometheus --config.file="$dir/prom.yml" --storage.tsdb.path="$dir/tsdb" \
        --web.listen-address="127.0.0.1:$pport" > "$dir/prom.log" 2>&1 &
    prom_pid=$!
    if wait_until "curl -sf http://127.0.0.1:$pport/-/ready" 30; then
        pseries=$(curl -sf "http://127.0.0.1:$pport/metrics" | grep -vc '^#')
        peer="$("$BENCH" http "http://127.0.0.1:$pport/metrics" "$N") ($pseries series)"
    fi
fi

echo "exporter: $CHECKS checks, $series series, $bytes bytes per scrape"
printf '  %-40s %s\n' "heal-exporter scrape ($N):" "$scrape"
printf '  %-40s %s\n' "prometheus' own /metrics (peer):" "$peer"
printf '  %-40s %s\n' "heal-exporter memory before a scrape:" "$rss_idle"
printf '  %-40s %s\n' "heal-exporter memory after scrapes:" "$rss"
printf '  %-40s %s\n' "... after the 10/s load too:" "$rss_after"
printf '  %-40s %s\n' "agent CPU per scrape:" "$agent_cpu"
printf '  %-40s %s\n' "agent \`metrics\` round trip, idle:" "$metrics_idle"
printf '  %-40s %s\n' "agent ping, idle:" "$ping_idle"
printf '  %-40s %s\n' "agent ping, 10 scrapes/s:" "$ping_busy"
printf '  %-40s %s\n' "agent status ($CHECKS checks), 10 scrapes/s:" "$status_busy"
p99=$(echo "$scrape" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
[ -n "$p99" ] && awk "BEGIN { exit !($p99 > 20.0) }" && echo "  target missed: scrape p99 $p99 ms > 20 ms"
p99=$(echo "$ping_busy" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
[ -n "$p99" ] && awk "BEGIN { exit !($p99 > 5.0) }" && echo "  target missed: agent ping p99 $p99 ms > 5 ms under scrapes"
echo "  targets: scrape p99 <= 20 ms; agent control p99 <= 5 ms during 10 scrapes/s"
