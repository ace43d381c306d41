#!/bin/sh
# hung_http: an HTTP server that stops answering (alive, accepting, silent) is
# replaced by its remedy; time from the hang until a fresh server answers,
# under heal and under Monit (if failed port ... protocol http then restart,
# set daemon 1) in the same run. Under a subreaper (tini -s) so the killed
# daemons are reaped. See bench/hung_http.py for the knobs.
set -eu
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
REAPER=""
if command -v tini >/dev/null 2>&1; then REAPER="tini -s --"; fi
# shellcheck disable=SC2086
exec $REAPER /usr/bin/python3 bench/hung_http.py "$@"
