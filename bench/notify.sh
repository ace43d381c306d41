#!/bin/sh
# notify: alert published -> delivered to a local webhook by heal-notify, p50/p99
# with group_wait 0 (target p99 <= 20 ms), sustained 1,000 alerts/s without loss,
# peak RSS; beside it Prometheus Alertmanager (API -> webhook, group_wait 0s).
# Knobs: RATE (1000), DURATION (5 s), RATE_LAT (100/s), LAT_N (500).
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
BUILD=${BUILD:-build} /usr/bin/python3 bench/notify.py
