"""time_to_heal: how long a SIGKILLed redis-server is down, heal vs Monit.

Run by bench/time_to_heal.sh under `tini -s` (daemonized redis is orphaned
to the subreaper and reaped when killed). For each supervisor in turn:

  1. start it with a process check on redis-server (pidfile + start command);
  2. wait until redis answers PING;
  3. N times: SIGKILL redis, time until it answers PING again;
  4. stop it.

Then the idle cost: each supervisor watches M `sleep` processes (pidfiles)
for D seconds; CPU = utime+stime (+ reaped children) of its process from
/proc/<pid>/stat before and after. heal is measured twice: at its own check
interval (HEAL_INTERVAL: the exit watch makes a long interval safe) and at
Monit's cycle (same polling rate as Monit).

Environment: BUILD (heal build dir), N (kills, 20), IDLE_SECONDS (60),
IDLE_PROCS (50), HEAL_INTERVAL (heal's check interval while idle, 30 s),
MONIT_CYCLE (Monit's `set daemon`, 1 s: what its heal times need).
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from supervisors import (AGENT, alive, free_port, read_pid, start_heal, start_monit,
                         stop, summary, wait_until)

N = int(os.environ.get("N", "20"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "60"))
IDLE_PROCS = int(os.environ.get("IDLE_PROCS", "50"))
HEAL_INTERVAL = int(os.environ.get("HEAL_INTERVAL", "30"))
MONIT_CYCLE = int(os.environ.get("MONIT_CYCLE", "1"))
ONLY = os.environ.get("ONLY", "")     # "heal" or "monit": one side (debugging)
SAMPLE_TIMEOUT = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def ping(port):
    """True when redis on port answers PING with +PONG."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def cpu_seconds(pid):
    """utime + stime + cutime + cstime of pid, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime is field 14 -> index 11.
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLK_TCK


def redis_command(port, tmp):
    return ("redis-server --port %d --bind 127.0.0.1 --daemonize yes --pidfile %s/redis.pid "
            "--save '' --appendonly no --dir %s --logfile %s/redis.log"
            % (port, tmp, tmp, tmp))


class Heal:
    name = "heal"

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None

    def start(self, checks, interval):
        self.proc = start_heal(self.tmp, interval, checks)
        return self.proc.pid

    def redis_checks(self, port):
        return ("check = redis\n"
                "    kind = process\n"
                "    critical = true\n"
                "    pidfile = \"%s/redis.pid\"\n"
                "    port = %d\n"
                "    remedy\n"
                "        start = \"%s\"\n"
                "        attempts = 1000\n"
                "        within = 2\n"
                "        backoff = 1ms\n" % (self.tmp, port, redis_command(port, self.tmp)))

    def idle_checks(self, pidfiles):
        out = ""
        for i, pf in enumerate(pidfiles):
            out += ("check = sleep%d\n"
                    "    kind = process\n"
                    "    pidfile = \"%s\"\n" % (i, pf))
        return out

    def stop(self):
        stop(self.proc)


class Monit:
    name = "monit"

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None

    def start(self, checks, cycle):
        self.proc = start_monit(self.tmp, cycle, checks)
        return self.proc.pid

    def redis_checks(self, port):
        return ("check process redis with pidfile %s/redis.pid\n"
                "    start program = \"/bin/sh -c '%s'\" with timeout 30 seconds\n"
                "    stop program = \"/bin/sh -c 'kill $(cat %s/redis.pid)'\"\n"
                % (self.tmp, redis_command(port, self.tmp).replace("'", ""), self.tmp))

    def idle_checks(self, pidfiles):
        out = ""
        for i, pf in enumerate(pidfiles):
            out += ("check process sleep%d with pidfile %s\n"
                    "    start program = \"/bin/true\"\n" % (i, pf))
        return out

    def stop(self):
        stop(self.proc)


def measure_heal_times(kind):
    """N kill -9 -> PONG times (seconds) for one supervisor; failures = None."""
    tmp = tempfile.mkdtemp(prefix="heal-tth-", dir="/tmp")
    sup = kind(tmp)
    port = free_port()
    pidfile = os.path.join(tmp, "redis.pid")
    times = []
    try:
        if kind is Heal:
            sup.start(sup.redis_checks(port), 300)
        else:
            sup.start(sup.redis_checks(port), MONIT_CYCLE)
        # The supervisor starts redis itself (nothing runs at first).
        wait_until(lambda: ping(port), 60, "%s to start redis" % sup.name)
        for _ in range(N):
            # A random pause first: samples fall anywhere in a poll cycle,
            # and the supervisor has re-armed after the last heal.
            time.sleep(random.uniform(0.5, 1.5))
            wait_until(lambda: ping(port), 30, "redis up")
            pid = read_pid(pidfile)
            if not pid or not alive(pid):
                raise RuntimeError("no live redis pid in %s" % pidfile)
            began = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            # First the old one must be gone (PING on a dying server).
            end = began + SAMPLE_TIMEOUT
            healed = None
            while time.monotonic() < end:
                if read_pid(pidfile) != pid and ping(port):
                    healed = time.monotonic() - began
                    break
                if not alive(pid) and ping(port):
                    healed = time.monotonic() - began
                    break
                time.sleep(0.001)
            times.append(healed)
    finally:
        sup.stop()
        pid = read_pid(pidfile)
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    return times


def measure_idle(kind, pidfiles, interval):
    tmp = tempfile.mkdtemp(prefix="heal-idle-", dir="/tmp")
    sup = kind(tmp)
    try:
        checks = sup.idle_checks(pidfiles)
        pid = sup.start(checks, interval)
        # Let start-up (config, first cycle) pass before the window.
        time.sleep(3)
        if sup.proc.poll() is not None:
            raise RuntimeError("%s exited during the idle run" % sup.name)
        before = cpu_seconds(pid)
        time.sleep(IDLE_SECONDS)
        after = cpu_seconds(pid)
        if sup.proc.poll() is not None:
            raise RuntimeError("%s exited during the idle run" % sup.name)
        return after - before
    finally:
        sup.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    kinds = [k for k in (Heal, Monit) if not ONLY or k.name == ONLY]
    if Heal in kinds and not os.access(AGENT, os.X_OK):
        print("time_to_heal: %s not built" % AGENT, file=sys.stderr)
        return 1
    for tool in ("redis-server", "monit"):
        if not shutil.which(tool):
            print("time_to_heal: %s not installed" % tool, file=sys.stderr)
            return 1
    monit_version = subprocess.run(["monit", "-V"], capture_output=True,
                                   text=True).stdout.split("\n")[0]
    print("time to heal: SIGKILL redis-server, time until it answers PING again "
          "(%d kills each)" % N)
    print("heal: process check, pidfile + port, interval 300 s (only the exit watch)")
    print("monit: %s, set daemon %d, check process with pidfile + start program"
          % (monit_version, MONIT_CYCLE))
    results = {}
    for kind in (Heal, Monit):
        results[kind.name] = summary(measure_heal_times(kind)) if kind in kinds else None

    # Idle: M sleepers with pidfiles, watched by each in turn.
    tmp = tempfile.mkdtemp(prefix="heal-sleepers-", dir="/tmp")
    sleepers, pidfiles = [], []
    idle = {}
    try:
        for i in range(IDLE_PROCS):
            p = subprocess.Popen(["sleep", "100000"])
            sleepers.append(p)
            pf = os.path.join(tmp, "s%d.pid" % i)
            with open(pf, "w") as f:
                f.write("%d\n" % p.pid)
            pidfiles.append(pf)
        # heal at its own interval, heal at Monit's cycle, Monit.
        idle["heal"] = measure_idle(Heal, pidfiles, HEAL_INTERVAL) if Heal in kinds else None
        idle["heal_fast"] = (measure_idle(Heal, pidfiles, MONIT_CYCLE)
                             if Heal in kinds and HEAL_INTERVAL != MONIT_CYCLE else None)
        idle["monit"] = measure_idle(Monit, pidfiles, MONIT_CYCLE) if Monit in kinds else None
    finally:
        for p in sleepers:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    def fmt(v):
        return "%8.3f" % v if v is not None else "     n/a"

    print()
    print("%-28s %10s %10s" % ("", "heal", "monit"))
    for key in ("median", "p95", "max"):
        print("%-28s %10s %10s" % ("heal time %s (s)" % key,
                                   fmt(results["heal"] and results["heal"][key]),
                                   fmt(results["monit"] and results["monit"][key])))
    print("%-28s %10s %10s" % ("samples ok / failed",
                               "%d/%d" % ((results["heal"] or {}).get("n", 0),
                                          (results["heal"] or {}).get("failed", N)),
                               "%d/%d" % ((results["monit"] or {}).get("n", 0),
                                          (results["monit"] or {}).get("failed", N))))
    print("%-28s %10s %10s" % ("idle CPU, %d procs, %gs (s)" % (IDLE_PROCS, IDLE_SECONDS),
                               fmt(idle["heal"]), fmt(idle["monit"])))
    print("%-28s %10s %10s" % ("  at check interval (s)", HEAL_INTERVAL, MONIT_CYCLE))
    if idle.get("heal_fast") is not None:
        print("%-28s %10s %10s" % ("idle CPU, heal every %ds (s)" % MONIT_CYCLE,
                                   fmt(idle["heal_fast"]), fmt(idle["monit"])))
    if results["heal"] and results["monit"]:
        ratio = results["monit"]["median"] / max(results["heal"]["median"], 1e-6)
        print()
        print("heal median %.3f s (target <= 0.25 s): %s"
              % (results["heal"]["median"],
                 "met" if results["heal"]["median"] <= 0.25 else "MISSED"))
        print("heal is %.1fx faster than Monit at the median (target >= 8x): %s"
              % (ratio, "met" if ratio >= 8 else "MISSED"))
    if idle["heal"] is not None and idle["monit"] is not None:
        print("idle CPU heal %.3f s vs Monit %.3f s (target: not higher): %s"
              % (idle["heal"], idle["monit"],
                 "met" if idle["heal"] <= idle["monit"] else "MISSED"))
        if idle.get("heal_fast") is not None:
            print("  (heal checking as often as Monit, every %d s: %.3f s)"
                  % (MONIT_CYCLE, idle["heal_fast"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
