"""Remediation that tells the truth (issue 13): a restart that works is
`healed` (verify window), a hung service is remediated in the same run, a
remedy slower than its backoff is retried when the backoff ends, no cycle is
dropped, `depends` blocks dependents, `remedy: null` when nothing is
configured, and `description` travels with the check.

Real processes: python http.server, a socket that accepts and never answers,
sleep. Every wait has a deadline; nothing sleeps to synchronise.
"""
import json
import os
import signal
import subprocess
import sys
import time

from conftest import AGENT, command_check, free_port, wait_for, wait_port

PY = "/usr/bin/python3"

HUNG = r"""
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)          # accepted, never answered
"""


def check_event(heal, name, pred=None, timeout=10.0):
    return heal.bus.wait(
        lambda t, p: t.startswith("heal.check.") and p.get("check") == name
        and (pred is None or pred(p)), timeout, "check event for " + name)[1]


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def kill_pidfile(path):
    for pid in lines(path):
        try:
            os.kill(int(pid), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass


def http_check(name, port, remedy, timeout=None, verify=None, critical=True, extra=""):
    text = ("check = %s\n    kind = http\n    url = \"http://127.0.0.1:%d/\"\n"
            % (name, port))
    if critical:
        text += "    critical = true\n"
    if timeout is not None:
        text += "    timeout = %s\n" % timeout
    text += extra
    text += "    remedy\n        run = \"%s\"\n        backoff = 0\n" % remedy.replace('"', '\\"')
    if verify is not None:
        text += "        verify = %s\n" % verify
    return text


# --- defect 1: verify window ---------------------------------------------------

def test_background_restart_is_healed_not_failed(heal):
    """A remedy that starts the server in the background and returns at once
    (the server needs a moment to listen) is `healed`, with no critical alert
    and the verification time in the event; before, `failed` + alerts."""
    port = free_port()
    pidfile = os.path.join(heal.dir, "web.pid")
    remedy = ("(sleep 1; exec %s -m http.server %d --bind 127.0.0.1) "
              ">/dev/null 2>&1 & echo $! > %s" % (PY, port, pidfile))
    heal.config(http_check("web", port, remedy, timeout=2))
    try:
        heal.start_agent()
        ev = check_event(heal, "web", timeout=20)
        assert ev["severity"] == "healed", ev
        r = ev["remedy"]
        assert r["result"] == "healed" and r["attempt"] == 1, r
        assert r["verify_ms"] >= 500, r           # the server took ~1 s to listen
        assert any(e.startswith("verified: passed after") for e in ev["evidence"]), ev
        heal.bus.wait_topic("heal.cycle")
        assert not [p for t, p in heal.bus.seen if t == "heal.alert.web"]
    finally:
        kill_pidfile(pidfile)


def test_verify_window_ends_failed(heal):
    """A remedy that does not help: re-checked until the window ends, then
    `failed`, the time it tried in the event."""
    port = free_port()
    heal.config(http_check("web", port, "true", timeout=1, verify="1500ms"))
    heal.start_agent()
    ev = check_event(heal, "web", timeout=20)
    r = ev["remedy"]
    assert ev["severity"] == "critical" and r["result"] == "failed", ev
    assert 1400 <= r["verify_ms"] < 5000, r
    assert any(e.startswith("verify: still failing after") for e in ev["evidence"]), ev


def test_stop_during_verify_is_prompt(heal):
    """SIGTERM while a worker re-checks in a long verify window: the agent
    stops within a second or two, not after the window (or its stop grace)."""
    port = free_port()
    ran = os.path.join(heal.dir, "ran")
    heal.config(http_check("web", port, "touch %s" % ran, timeout=1, verify=60))
    heal.start_agent()
    wait_for(lambda: os.path.exists(ran), 10, "the remedy to run")
    t0 = time.monotonic()
    heal.agent.send_signal(signal.SIGTERM)
    assert heal.agent.wait(10) == 0
    assert time.monotonic() - t0 < 3.0, time.monotonic() - t0


def test_process_start_timeout_is_verify(heal):
    """The process kind's start_timeout is the old name of remedy/verify:
    both accepted, not together."""
    conf = heal.config(
        "check = p\n    kind = process\n    port = %d\n    start_timeout = 3\n"
        "    remedy\n        start = \"true\"\n" % free_port())
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    heal.config(
        "check = p\n    kind = process\n    port = %d\n"
        "    remedy\n        start = \"true\"\n        verify = 3\n" % free_port())
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    heal.config(
        "check = p\n    kind = process\n    port = %d\n    start_timeout = 3\n"
        "    remedy\n        start = \"true\"\n        verify = 3\n" % free_port())
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 78 and "start_timeout" in p.stderr and "verify" in p.stderr, \
        p.stderr


# --- defect 2: a probe that times out is remediated ----------------------------

def test_hung_http_replaced_in_the_same_run(heal):
    """A server that accepts and never answers: the probe's timeout is a
    failure of the service, remediated in the same run (before: `unknown`
    with no remedy, or `throttled ... attempt 0`)."""
    port = free_port()
    hung = heal.spawn([PY, "-c", HUNG, str(port)])
    wait_port(port)
    pidfile = os.path.join(heal.dir, "web.pid")
    remedy = ("kill %d; nohup %s -m http.server %d --bind 127.0.0.1 >/dev/null 2>&1 & "
              "echo $! > %s" % (hung.pid, PY, port, pidfile))
    heal.config(http_check("web", port, remedy, timeout=1))
    try:
        heal.start_agent()
        ev = check_event(heal, "web", timeout=20)
        assert ev["severity"] == "healed", ev
        assert ev["remedy"]["result"] == "healed" and ev["remedy"]["attempt"] == 1, ev
        assert any("no answer within" in e for e in ev["evidence"]), ev
    finally:
        kill_pidfile(pidfile)


BLACKHOLE = r"""
import socket, sys, time
srv = socket.socket()
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(0)                        # never accepted: the backlog fills up
fill = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    fill.append(c)
open(sys.argv[2], "w").close()       # ready: further SYNs are dropped
time.sleep(3600)
"""


def test_blackholed_tcp_port_is_remediated(heal):
    """A port whose SYNs are dropped: the connect times out, which is a
    failure of the service: the remedy runs in the same run (attempt 1),
    not `unknown` or `throttled ... attempt 0`."""
    port = free_port()
    ready = os.path.join(heal.dir, "ready")
    count = os.path.join(heal.dir, "count")
    heal.spawn([PY, "-c", BLACKHOLE, str(port), ready])
    wait_for(lambda: os.path.exists(ready), 5, "blackhole ready")
    heal.config("check = port\n    kind = tcp\n    critical = true\n"
                "    port = %d\n    timeout = 1\n"
                "    remedy\n        run = \"echo x >> %s\"\n        verify = 0\n"
                "        backoff = 0\n" % (port, count))
    heal.start_agent()
    ev = check_event(heal, "port", timeout=15)
    assert ev["severity"] == "critical", ev
    assert ev["remedy"]["result"] == "failed" and ev["remedy"]["attempt"] == 1, ev
    assert "no answer within" in ev["message"], ev
    assert len(lines(count)) == 1


# --- defect 3: early retry when the backoff ends -------------------------------

def test_slow_remedy_retried_when_backoff_ends(heal):
    """backoff 1 s, a remedy that takes 2 s and does not help: the second
    attempt comes right after the first (its backoff already ended), not an
    interval (300 s) later."""
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("slow", "echo down; exit 2", critical=True,
                              remedy="sleep 2; echo x >> %s" % count,
                              attempts=3, within=900, backoff=1, verify=0))
    heal.start_agent()
    first = check_event(heal, "slow", lambda p: (p.get("remedy") or {}).get("attempt") == 1,
                        timeout=15)
    second = check_event(heal, "slow", lambda p: (p.get("remedy") or {}).get("attempt") == 2,
                         timeout=15)
    assert first["remedy"]["result"] == "failed" and second["remedy"]["result"] == "failed"
    assert second["ts"] - first["ts"] < 6000, (first["ts"], second["ts"])
    assert len(lines(count)) >= 2


# --- defect 4: no dropped cycles -----------------------------------------------

def test_cycles_not_dropped_when_a_run_outlasts_the_interval(heal):
    """interval 1 s, one check runs 3 s: every cycle still ends, is published
    with consecutive numbers and report.json is rewritten; the slow check's
    event says it was carried over."""
    heal.config(command_check("quick", "true") +
                command_check("slow", "sleep 3", timeout=10), interval=1)
    heal.start_agent()
    cycles = []

    def enough():
        cycles[:] = [p["cycle"] for t, p in heal.bus.seen if t == "heal.cycle"]
        return len(cycles) >= 5

    end = time.monotonic() + 15
    while not enough():
        assert time.monotonic() < end, cycles
        heal.bus.recv(0.5)
    assert cycles == list(range(cycles[0], cycles[0] + len(cycles))), cycles
    # the report follows the cycles (it used to stay 20 s stale)
    wait_for(lambda: heal.report()["cycle"] >= cycles[-1], 5, "fresh report.json")
    ev = check_event(heal, "slow", timeout=10)
    assert any(e.startswith("carried over: started in cycle") for e in ev["evidence"]), ev


# --- defect 8: small truths ----------------------------------------------------

def test_no_remedy_is_null_and_description_travels(heal):
    heal.config(command_check("bare", "echo broken; exit 2", critical=True,
                              description="the thing users see"))
    heal.start_agent()
    ev = check_event(heal, "bare")
    assert ev["severity"] == "critical" and ev["remedy"] is None, ev
    assert ev["description"] == "the thing users see"
    alert = heal.bus.wait_topic("heal.alert.bare")[1]
    assert alert["description"] == "the thing users see"
    heal.bus.wait_topic("heal.cycle")
    rep = heal.report()
    assert rep["checks"]["bare"]["remedy"] is None
    assert rep["checks"]["bare"]["description"] == "the thing users see"
    st = heal.ctl("status")["data"]
    bare = [c for c in st["checks"] if c["name"] == "bare"][0]
    assert bare["description"] == "the thing users see" and bare["remedy"] is None, bare
    out = heal.healctl("show", "bare")
    assert "none configured for this failure" in out.stdout, out.stdout
    assert "the thing users see" in out.stdout, out.stdout


def test_optional_check_is_remediated(heal):
    """docs/config.md: optional checks are remediated like critical ones;
    their failure is a warning."""
    flag = os.path.join(heal.dir, "flag")
    heal.config(command_check("opt", "test -f %s || exit 2" % flag,
                              remedy="touch %s" % flag, verify=0))
    heal.start_agent()
    ev = check_event(heal, "opt")
    assert ev["severity"] == "healed" and ev["remedy"]["result"] == "healed", ev


def test_attempts_bounds_agree(heal):
    """remedy/attempts: 1000 is the documented maximum and accepted; 1001 not."""
    conf = heal.config(command_check("a", "true", remedy="true", attempts=1000))
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    heal.config(command_check("a", "true", remedy="true", attempts=1001))
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 78 and "0 to 1000" in p.stderr, p.stderr


# --- depends -------------------------------------------------------------------

def test_depends_config_errors(heal):
    conf = heal.config(command_check("a", "true", depends="nosuch"))
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 78 and "'nosuch': no check has this name" in p.stderr, p.stderr
    heal.config(command_check("a", "true", depends="b") +
                command_check("b", "true", depends="c") +
                command_check("c", "true", depends="a"))
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 78, p.stderr
    assert "dependency cycle: a -> b -> c -> a" in p.stderr, p.stderr
    heal.config(command_check("a", "true", depends="a"))
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 78 and "itself" in p.stderr, p.stderr


def test_dependency_remediated_first(heal):
    """db and api both down at start; api depends on db and needs it: db is
    remediated first, then api runs and passes: api's remedy never runs."""
    dbflag = os.path.join(heal.dir, "db")
    api_count = os.path.join(heal.dir, "api-count")
    heal.config(command_check("db", "test -f %s || { echo db down; exit 2; }" % dbflag,
                              critical=True, remedy="sleep 0.5; touch %s" % dbflag,
                              verify=0) +
                command_check("api", "test -f %s || { echo no db; exit 2; }" % dbflag,
                              critical=True, depends="db",
                              remedy="echo x >> %s" % api_count, verify=0))
    heal.start_agent()
    db = check_event(heal, "db")
    assert db["severity"] == "healed", db
    api = check_event(heal, "api")
    assert api["severity"] == "ok" and api["remedy"] is None, api
    assert api["ts"] >= db["ts"]
    assert lines(api_count) == []


def test_blocked_while_dependency_fails_then_rerun_at_once(heal):
    """db fails and its remedy cannot fix it: api (which fails too) is
    `blocked` by db: no remedy, no alert, not an issue; healctl status says
    so. When db passes, api runs again at once (interval is 300 s)."""
    dbflag = os.path.join(heal.dir, "db")
    api_count = os.path.join(heal.dir, "api-count")
    heal.config(command_check("db", "test -f %s || { echo db down; exit 2; }" % dbflag,
                              critical=True) +
                command_check("api", "test -f %s || { echo no db; exit 2; }" % dbflag,
                              critical=True, depends="db",
                              remedy="echo x >> %s" % api_count, verify=0))
    heal.start_agent()
    api = check_event(heal, "api")
    assert api["severity"] == "blocked" and api["blocked_by"] == "db", api
    assert api["remedy"] is None and api["message"].startswith("blocked by 'db': "), api
    cyc = heal.bus.wait_topic("heal.cycle")[1]
    assert cyc["issues"] == ["db"] and cyc["counts"]["blocked"] == 1, cyc
    alerts = [p["check"] for t, p in heal.bus.seen if t.startswith("heal.alert.")]
    assert "api" not in alerts and "db" in alerts, alerts
    assert lines(api_count) == []
    st = heal.ctl("status")["data"]
    row = [c for c in st["checks"] if c["name"] == "api"][0]
    assert row["severity"] == "blocked" and row["blocked_by"] == "db", row
    out = heal.healctl("status")
    assert "blocked by db" in out.stdout, out.stdout
    out = heal.healctl("show", "api")
    assert "blocked    by db" in out.stdout, out.stdout
    # db comes back: api runs again at once, not 300 s later
    open(dbflag, "w").close()
    heal.bus.seen.clear()
    r = heal.ctl("run", "db", timeout=15)
    assert r["ok"] and r["data"]["checks"]["db"]["severity"] == "ok", r
    api = check_event(heal, "api", timeout=5)
    assert api["severity"] == "ok" and api.get("blocked_by") is None, api
    assert lines(api_count) == []
