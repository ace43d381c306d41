"""hung_http: a hung (not dead) HTTP service replaced by its remedy, heal vs
Monit in the same run.

Run by bench/hung_http.sh under `tini -s` (the daemonized servers are
orphaned to the subreaper and reaped when killed). The service is this file
run as `serve PORT PIDFILE`: an HTTP server that answers 200 until it gets
SIGUSR1, then accepts connections and never answers (the process stays
alive: a process or pid check sees nothing wrong). Its remedy kills it and
starts a fresh one in the background.

For each supervisor in turn:
  1. start it with an HTTP check of the service (1 s probe timeout, checked
     every 1 s) whose remedy restarts it;
  2. wait until the service answers;
  3. N times: hang it (SIGUSR1), time until a new process answers 200 again;
  4. stop it.

heal:  kind = http, interval 1, timeout 1, remedy/run = the restart,
       remedy/verify 5 (the new server takes a moment to listen).
Monit: check process with pidfile, start program with timeout 5 seconds (as
       heal's verify), `if failed port P protocol http request "/" with timeout
       1 seconds then restart` at `set daemon 1`. Monit pauses port tests while a
       process is younger than its start timeout, so every server is left to
       age past it (AGE, 6 s) before it is hung: that pause is not counted
       against Monit.

Environment: BUILD (heal build dir), N (hangs each, 10).
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from supervisors import (AGENT, alive, free_port, read_pid, start_heal, start_monit,
                         stop, summary, wait_until)

N = int(os.environ.get("N", "10"))
ONLY = os.environ.get("ONLY", "")
PY = "/usr/bin/python3"
SELF = os.path.abspath(__file__)
SAMPLE_TIMEOUT = 60.0
AGE = float(os.environ.get("AGE", "6"))    # server age before each hang, s


# --- the service ----------------------------------------------------------------

def serve(port, pidfile):
    import http.server
    import threading
    hung = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if hung.is_set():
                time.sleep(3600)        # accepted, never answered
                return
            body = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    signal.signal(signal.SIGUSR1, lambda s, f: hung.set())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    tmp = pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, pidfile)             # listening before the pid is visible
    server.serve_forever()


# --- measuring ------------------------------------------------------------------

def answers(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=0.3) as r:
            return r.status == 200
    except OSError:
        return False


def start_cmd(port, pidfile):
    return "nohup %s %s serve %d %s >/dev/null 2>&1 &" % (PY, SELF, port, pidfile)


def restart_cmd(port, pidfile):
    return "kill -9 $(cat %s) 2>/dev/null; %s" % (pidfile, start_cmd(port, pidfile))


class Heal:
    name = "heal"

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None

    def start(self, port, pidfile):
        self.proc = start_heal(self.tmp, 1,
                               "check = web\n"
                               "    kind = http\n"
                               "    critical = true\n"
                               "    url = \"http://127.0.0.1:%d/\"\n"
                               "    timeout = 1\n"
                               "    remedy\n"
                               "        run = \"%s\"\n"
                               "        verify = 5\n"
                               "        attempts = 1000\n"
                               "        within = 2\n"
                               "        backoff = 1ms\n" % (port, restart_cmd(port, pidfile)))

    def stop(self):
        stop(self.proc)


class Monit:
    name = "monit"

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None

    def start(self, port, pidfile):
        self.proc = start_monit(
            self.tmp, 1,
            "check process web with pidfile %s\n"
            "    start program = \"/bin/sh -c '%s'\" with timeout 5 seconds\n"
            "    stop program = \"/bin/sh -c 'kill -9 $(cat %s)'\"\n"
            "    if failed port %d protocol http request \"/\" with timeout 1 seconds"
            " then restart\n" % (pidfile, start_cmd(port, pidfile), pidfile, port))

    def stop(self):
        stop(self.proc)


def measure(kind):
    """N hang -> answering-again times (seconds); failures = None."""
    tmp = tempfile.mkdtemp(prefix="heal-hung-", dir="/tmp")
    port = free_port()
    pidfile = os.path.join(tmp, "web.pid")
    sup = kind(tmp)
    times = []
    try:
        subprocess.run(["/bin/sh", "-c", start_cmd(port, pidfile)], check=True)
        wait_until(lambda: answers(port), 30, "the service to answer", step=0.005)
        sup.start(port, pidfile)
        up_since = time.monotonic()
        for _ in range(N):
            wait_until(lambda: answers(port), 30, "the service up", step=0.005)
            # The supervisor has seen it healthy, and it is older than
            # Monit's start timeout (Monit skips port tests before); then a
            # random pause, so the hang falls anywhere in a check cycle.
            time.sleep(max(0.0, up_since + AGE - time.monotonic()) + random.uniform(0, 1))
            pid = read_pid(pidfile)
            if not pid or not alive(pid):
                raise RuntimeError("no live server pid in %s" % pidfile)
            began = time.monotonic()
            os.kill(pid, signal.SIGUSR1)
            healed = None
            end = began + SAMPLE_TIMEOUT
            while time.monotonic() < end:
                now_pid = read_pid(pidfile)
                if now_pid and now_pid != pid and answers(port):
                    healed = time.monotonic() - began
                    break
                time.sleep(0.01)
            times.append(healed)
            up_since = time.monotonic()
    finally:
        sup.stop()
        pid = read_pid(pidfile)
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
        if os.environ.get("KEEP"):
            print("hung_http: kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return times


def main():
    kinds = [k for k in (Heal, Monit) if not ONLY or k.name == ONLY]
    if Heal in kinds and not os.access(AGENT, os.X_OK):
        print("hung_http: %s not built" % AGENT, file=sys.stderr)
        return 1
    if Monit in kinds and not shutil.which("monit"):
        print("hung_http: monit not installed", file=sys.stderr)
        return 1
    print("hung http: an HTTP server stops answering (alive, accepting, silent); time "
          "until a fresh one answers 200 again (%d hangs each)" % N)
    print("heal: http check, interval 1 s, timeout 1 s, remedy kills + restarts, verify 5 s")
    print("monit: set daemon 1, check process (start timeout 5 s) + if failed port "
          "protocol http with timeout 1 seconds then restart")
    print("each server is %g-%g s old when hung (past Monit's start timeout; "
          "the hang falls anywhere in a cycle)" % (AGE, AGE + 1))
    results = {}
    for kind in (Heal, Monit):
        results[kind.name] = summary(measure(kind)) if kind in kinds else None

    def fmt(v):
        return "%8.3f" % v if v is not None else "     n/a"

    print()
    print("%-28s %10s %10s" % ("", "heal", "monit"))
    for key in ("median", "p95", "max"):
        print("%-28s %10s %10s" % ("hang to answering %s (s)" % key,
                                   fmt(results["heal"] and results["heal"][key]),
                                   fmt(results["monit"] and results["monit"][key])))
    print("%-28s %10s %10s" % ("samples ok / failed",
                               "%d/%d" % ((results["heal"] or {}).get("n", 0),
                                          (results["heal"] or {}).get("failed", N)),
                               "%d/%d" % ((results["monit"] or {}).get("n", 0),
                                          (results["monit"] or {}).get("failed", N))))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(main())
