#!/bin/sh
# Load (start) or unload (stop) heal's own services for the current user:
#   macOS: launchd agents from $LAUNCHD_DIR (bootout + wait, enable, bootstrap)
#   Linux: systemd user units from $SYSTEMD_USER_DIR (enable --now / disable --now)
# Used by `make agents` / `make agents-stop` (mk/install.mk); see docs/supervisors.md.
# launchctl's exit status is read directly, never through a pipe.
set -u
action=${1:-}
uid=$(id -u)
domain="gui/$uid"
plists=${HEAL_PLISTS:-"dev.heal.agent dev.heal.diagnoser dev.heal.notify dev.heal.exporter"}
units=${HEAL_UNITS:-"heal-agent.service heal-diagnoser.service heal-notify.service heal-exporter.service"}
launchd_dir=${LAUNCHD_DIR:-"$HOME/Library/LaunchAgents"}
wait_s=${HEAL_BOOTOUT_WAIT:-30}

# Wait until launchctl print says 113 (the job has left the domain) or time out.
wait_gone() {
    n=0
    while [ "$n" -lt $((wait_s * 10)) ]; do
        launchctl print "$domain/$1" >/dev/null 2>&1
        [ $? -eq 113 ] && return 0
        sleep 0.1
        n=$((n + 1))
    done
    echo "agents: $domain/$1 still loaded after ${wait_s}s" >&2
    return 1
}

stop_launchd() {
    rc=0
    for label in $plists; do
        launchctl print "$domain/$label" >/dev/null 2>&1
        st=$?
        if [ $st -eq 0 ]; then
            launchctl bootout "$domain/$label" || true
            wait_gone "$label" || rc=1
        elif [ $st -eq 112 ]; then
            echo "agents: no $domain session (log in at the console first)" >&2; return 1
        fi
    done
    return $rc
}

start_launchd() {
    stop_launchd || return 1
    for label in $plists; do
        plist="$launchd_dir/$label.plist"
        [ -f "$plist" ] || { echo "agents: $plist missing: run make install" >&2; return 1; }
        launchctl enable "$domain/$label" || true
        launchctl bootstrap "$domain" "$plist" || return 1
        echo "agents: $domain/$label loaded"
    done
}

# shellcheck disable=SC2086  # $units is a list of unit names
case "$(uname -s):$action" in
    Darwin:start) start_launchd ;;
    Darwin:stop)  stop_launchd ;;
    *:start) systemctl --user daemon-reload && systemctl --user enable --now $units ;;
    *:stop)  systemctl --user disable --now $units ;;
    *) echo "usage: agents.sh start|stop" >&2; exit 64 ;;
esac
