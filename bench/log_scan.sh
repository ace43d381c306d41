#!/bin/sh
# bench/log_scan — heal's log check scanning a 1 GiB log vs GNU grep -c -E, same
# file, same pattern, same run, warm cache. Each tool runs 3 times; best and
# median wall time are printed side by side. Then the cost of a rescan of the
# unchanged file (the common case: nothing new since the last run).
# Env: LOG_SCAN_MB (default 1024), LOG_SCAN_PATTERN (default 'ERROR|FATAL'),
#      LOG_SCAN_PERCENT (matching lines, default 3).
set -eu
BUILD=${BUILD:-build}
BIN=$BUILD/bench/log_scan
MB=${LOG_SCAN_MB:-1024}
PATTERN=${LOG_SCAN_PATTERN:-'ERROR|FATAL'}
PERCENT=${LOG_SCAN_PERCENT:-3}
[ -x "$BIN" ] || { echo "log_scan: $BIN missing (make BUILD=$BUILD bench-bins)"; exit 1; }
dir=$(mktemp -d /tmp/heal-bench-log.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
file=$dir/app.log

now_ns() { date +%s%N; }
stats() {   # "t1 t2 t3" (seconds) -> "best B median M"
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "best %.3f s  median %.3f s", v[1], v[int((NR+1)/2)]}'
}

echo "generating ${MB} MiB synthetic log (${PERCENT}% matching lines; not timed)..."
"$BIN" gen "$file" "$MB" "$PERCENT"
cat "$file" > /dev/null     # warm the page cache for both tools
size=$(wc -c < "$file")

grep_c=""; grep_t=""; grep_u=""; heal_t=""; heal_n=""; rescan=""
for i in 1 2 3; do
    t0=$(now_ns); n=$(LC_ALL=C grep -c -E "$PATTERN" "$file"); t1=$(now_ns)
    grep_c=$n; grep_t="$grep_t $(awk "BEGIN{print ($t1-$t0)/1e9}")"
    # (not > /dev/null: GNU grep stops at the first match when it sees /dev/null)
    t0=$(now_ns); n=$(LC_ALL=C.UTF-8 grep -c -E "$PATTERN" "$file"); t1=$(now_ns)
    grep_u="$grep_u $(awk "BEGIN{print ($t1-$t0)/1e9}")"
    rm -rf "$dir/state"
    out=$("$BIN" scan "$file" "$PATTERN" "$dir/state")
    heal_n=$(echo "$out" | awk '/^matches/ {print $2}')
    heal_t="$heal_t $(echo "$out" | awk '/^matches/ {print $4}')"
    rescan=$(echo "$out" | awk '/^rescan_us/ {print "min " $3 " us, median " $5 " us, max " $7 " us"}')
done
echo "file: $size bytes, pattern '$PATTERN'"
echo "matching lines: heal $heal_n, grep $grep_c"
[ "$heal_n" = "$grep_c" ] || echo "WARNING: counts differ"
mbs() { awk -v s="$size" -v t="$1" 'BEGIN{printf "%.0f MB/s", s/t/1e6}'; }
hb=$(printf '%s\n' $heal_t | sort -n | head -1); gb=$(printf '%s\n' $grep_t | sort -n | head -1)
ub=$(printf '%s\n' $grep_u | sort -n | head -1)
printf '%-34s %s  (%s)\n' "heal log check (PCRE2 JIT):" "$(stats $heal_t)" "$(mbs "$hb")"
printf '%-34s %s  (%s)\n' "grep -c -E, LC_ALL=C:" "$(stats $grep_t)" "$(mbs "$gb")"
printf '%-34s %s  (%s)\n' "grep -c -E, LC_ALL=C.UTF-8:" "$(stats $grep_u)" "$(mbs "$ub")"
echo "rescan of the unchanged ${MB} MiB file (200 runs): $rescan"
