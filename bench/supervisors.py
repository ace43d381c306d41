"""supervisors: what bench/time_to_heal.py and bench/hung_http.py share.

heal-agent and Monit are each started on a config in their own temp dir
(the config's head here, the checks by each bench), then stopped; the
helpers to wait on a port, a pidfile or a condition with a deadline; and the
summary of a series of timings.
"""
import os
import signal
import socket
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
AGENT = os.path.join(BUILD, "bin", "heal-agent")
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def alive(pid):
    """Running and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] not in "ZX"
    except (OSError, ValueError):
        return False


def wait_until(pred, timeout, what, step=0.001):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    raise RuntimeError("timed out waiting for " + what)


def summary(times):
    """n, failed, median, p95, max of the timings (None: a failed sample)."""
    ok = sorted(t for t in times if t is not None)
    if not ok:
        return None
    p95 = ok[min(len(ok) - 1, int(round(0.95 * (len(ok) - 1))))]
    return {"n": len(ok), "failed": len(times) - len(ok),
            "median": statistics.median(ok), "p95": p95, "max": ok[-1]}


def start_heal(tmp, interval, checks):
    """heal-agent on tmp/heal.conf: its state, bus and control in tmp, then checks."""
    conf = os.path.join(tmp, "heal.conf")
    with open(conf, "w") as f:
        f.write("agent\n"
                "    interval = %d\n"
                "    state_dir = \"%s/state\"\n"
                "    path = \"%s\"\n"
                "bus\n"
                "    publish = \"ipc://%s/bus\"\n"
                "    inbound = \"ipc://%s/in\"\n"
                "control\n"
                "    endpoint = \"ipc://%s/ctl\"\n"
                % (interval, tmp, PATH, tmp, tmp, tmp))
        f.write(checks)
    os.chmod(conf, 0o600)
    log = open(os.path.join(tmp, "agent.log"), "ab")
    return subprocess.Popen([AGENT, "-c", conf], stdout=log, stderr=log)


def start_monit(tmp, cycle, checks):
    """Monit in the foreground on tmp/monitrc (set daemon cycle), then checks."""
    conf = os.path.join(tmp, "monitrc")
    with open(conf, "w") as f:
        f.write("set daemon %d\n"
                "set idfile %s/monit.id\n"
                "set statefile %s/monit.state\n"
                "set pidfile %s/monit.pid\n"
                "set logfile %s/monit.log\n" % (cycle, tmp, tmp, tmp, tmp))
        f.write(checks)
    os.chmod(conf, 0o600)
    log = open(os.path.join(tmp, "monit.out"), "ab")
    return subprocess.Popen(["monit", "-I", "-c", conf], stdout=log, stderr=log)


def stop(proc):
    """SIGTERM, then SIGKILL after 10 s."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
