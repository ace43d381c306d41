#!/bin/sh
# time_to_heal: SIGKILL redis-server N times (default 20) and time until it
# answers PING again, under heal and under Monit 5.33 in the same run; then
# the idle CPU of each watching IDLE_PROCS (50) processes for IDLE_SECONDS (60).
# Both run under a subreaper (tini -s), as launchd/systemd would provide, so the
# killed daemons are reaped. See bench/time_to_heal.py for the knobs.
set -eu
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
REAPER=""
if command -v tini >/dev/null 2>&1; then REAPER="tini -s --"; fi
# shellcheck disable=SC2086
exec $REAPER /usr/bin/python3 bench/time_to_heal.py "$@"
