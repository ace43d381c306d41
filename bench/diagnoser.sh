#!/bin/sh
# diagnoser: latency of heal-diagnoser between the bus and the model server,
# with a fake Ollama that answers at once (tests/servers/fake_ollama.py):
#   out  = heal.cycle published -> the HTTP request has arrived at the server
#   back = the server starts its reply -> heal.diagnosis received on inbound
# and its peak RSS; beside the same figures for the obvious peer, a Python
# script doing the same job (bench/diagnoser_peer.py), measured in the same run.
# Target: <= 5 ms each way. N iterations (default 200). See bench/diagnoser.py.
set -eu
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
exec /usr/bin/python3 bench/diagnoser.py "$@"
