#!/bin/sh
# Runs the unit test binaries, then the integration tests (pytest, with Debian's
# /usr/bin/python3) under a subreaper (tini -s) so killed daemons are reaped as
# launchd/systemd would. Prints "N passed, N failed" last. Exit 1 on any failure.
set -u
BUILD=${BUILD:-build}
export HEAL_BUILD="$BUILD"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0; failed=0; failures=""

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    if "$t"; then passed=$((passed + 1)); echo "unit: $(basename "$t"): ok"
    else failed=$((failed + 1)); failures="$failures $(basename "$t")"; echo "unit: $(basename "$t"): FAILED"; fi
done

PY=/usr/bin/python3
REAPER=""
command -v tini >/dev/null 2>&1 && REAPER="tini -s --"
junit="$BUILD/pytest.xml"
mkdir -p "$BUILD"
# shellcheck disable=SC2086
$REAPER $PY -m pytest -p no:cacheprovider -q -ra --junitxml="$junit" \
    ${PYTEST_ARGS:-} tests/integration
counts=$($PY - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    t, f, e, k = (int(s.get(x, 0)) for x in ("tests", "failures", "errors", "skipped"))
    print(t - f - e - k, f + e, k)
except Exception:
    print(0, 1, 0)
PY
)
set -- $counts
passed=$((passed + $1)); failed=$((failed + $2)); skipped=$3
[ -n "$failures" ] && echo "failed unit tests:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
