#!/bin/sh
# Runs each benchmark script (bench/<name>.sh), or only the one named.
set -eu
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
for b in bench/*.sh; do
    name=$(basename "$b" .sh)
    [ "$name" = run ] && continue
    [ $# -gt 0 ] && [ "$name" != "$1" ] && continue
    echo "=== bench: $name ==="
    sh "$b"
done
