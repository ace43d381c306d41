#!/bin/sh
# bus: events/s of encode -> PUB -> SUB -> decode (a realistic ~500-byte check
# event: 3 evidence lines, 3 metrics, a remedy) over ipc and tcp loopback, and
# p50/p99 one-way latency at a steady 10,000 events/s. Beside each figure, raw
# ZeroMQ in the same run: same topic and payload bytes, no msgpack. Throughput
# is the median of 3 back-to-back pairs (heal, raw) and of their ratios; the
# codec alone is the median of 7 rounds, the best beside it. Latency: one paced
# stream whose events alternate raw and heal (so both halves meet the same
# hiccups of the machine), 3 runs, the median of each percentile.
# Targets (issue 12): heal/raw >= 0.8 on ipc, p99 at 10k/s within 1.2x of raw,
# codec decode >= 2 M events/s on one thread.
# Knobs: N (events per throughput run, default 600000), RATE (10000),
# DURATION (latency run length in s, 3), TRANSPORT (ipc|tcp|all).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BENCH="$BUILD/bench/bus"
[ -x "$BENCH" ] || { echo "bus: $BENCH missing (make bench-bins)" >&2; exit 1; }
echo "machine: $(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
"$BENCH" -n "${N:-600000}" -r "${RATE:-10000}" -s "${DURATION:-3}" -t "${TRANSPORT:-all}"
