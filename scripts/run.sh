#!/bin/sh
# make run: start heal-agent, heal-diagnoser and heal-notify on the default config (no -c:
# $HEAL_CONFIG, ~/.config/heal/heal.conf, else built-in defaults), show where
# the bus and the report are, a `healctl status` and what to try next, and stop them
# on Ctrl-C. The daemons' own logs go to BUILD_DIR/run.log; RUN_FLAGS=-v (make run
# RUN_FLAGS=-v) makes them verbose there.
# Usage: sh scripts/run.sh [BUILD_DIR]
set -u
build=${1:-build}
bin="$build/bin"
flags=${RUN_FLAGS:-}
log=${RUN_LOG:-$build/run.log}
for b in heal-agent heal-diagnoser heal-notify healctl; do
    [ -x "$bin/$b" ] || { echo "run: $bin/$b is missing: run make first" >&2; exit 1; }
done

"$bin/heal-agent" -n >/dev/null || exit $?
: > "$log"

agent_pid=""; diag_pid=""; notify_pid=""
stop() {
    trap - INT TERM EXIT
    [ -n "$notify_pid" ] && kill -TERM "$notify_pid" 2>/dev/null
    [ -n "$notify_pid" ] && wait "$notify_pid" 2>/dev/null
    [ -n "$diag_pid" ] && kill -TERM "$diag_pid" 2>/dev/null
    [ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null
    [ -n "$diag_pid" ] && wait "$diag_pid" 2>/dev/null
    [ -n "$agent_pid" ] && wait "$agent_pid" 2>/dev/null
    echo "run: stopped"
    exit 0
}
trap stop INT TERM EXIT

"$bin/heal-agent" $flags >>"$log" 2>&1 &
agent_pid=$!

# Wait (bounded) for the agent to answer on its control socket.
i=0
until "$bin/healctl" --timeout 500 ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -ge 40 ] || ! kill -0 "$agent_pid" 2>/dev/null; then
        echo "run: heal-agent did not come up; its log ($log):" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    sleep 0.25
done

# The diagnoser is optional here: it may fail (no Ollama); the agent keeps running.
"$bin/heal-diagnoser" $flags >>"$log" 2>&1 &
diag_pid=$!

# heal-notify delivers alerts: to the configured destinations, else the desktop.
"$bin/heal-notify" $flags >>"$log" 2>&1 &
notify_pid=$!

"$bin/healctl" --json report 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
    print("run: state dir: %s (report.json, state.json, incidents.jsonl)" % r["agent"]["state_dir"])
    print("run: config:    %s" % (r["agent"]["config"] or "built-in defaults"))
except Exception:
    pass
' 2>/dev/null
"$bin/healctl" run >/dev/null 2>&1
"$bin/healctl" status
cat <<EOF

What to try next (in another terminal):
  $bin/healctl watch              live events, one line each
  $bin/healctl help               every command; healctl COMMAND -h for one
  $bin/healctl init               write a starter config for this machine
  $bin/heal-agent -n              validate the config
Logs of the three daemons: $log (make run RUN_FLAGS=-v for debug lines).
Ctrl-C here stops all three.
EOF
wait "$agent_pid"
agent_pid=""
stop
