"""heal-agent: cycles, --once, remediation budget, timeouts, control, state,
reload, mute, crash safety. Real binary, real sockets, real commands."""
import json
import os
import random
import signal
import subprocess
import time

import jsonschema
import msgpack
import pytest
import zmq

from conftest import (AGENT, ROOT, SLOW, command_check, ctl_raw, deadline,
                      sanitizer_reports, wait_exit, wait_for, write_config)

SCHEMA = os.path.join(ROOT, "schemas", "report.schema.json")


@pytest.fixture(autouse=True)
def clean_exit(heal):
    """After each test: stop the agents, then fail on any sanitizer report in
    their logs (leaks show at exit)."""
    yield
    heal.stop()
    reports = sanitizer_reports(heal.dir)
    assert not reports, "\n".join(reports)


def report_schema():
    with open(SCHEMA) as f:
        return json.load(f)


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def check_event(heal, name, pred=None, timeout=10.0):
    return heal.bus.wait(
        lambda t, p: t.startswith("heal.check.") and p.get("check") == name
        and (pred is None or pred(p)), timeout, "check event for " + name)[1]


def synced(heal, ev):
    """Wait until the bus has delivered ev (by seq): everything published
    before it is then in heal.bus.seen."""
    heal.bus.wait(lambda t, p: p.get("seq") == ev["seq"], 10, "seq %d" % ev["seq"])
    return ev


def run(heal, name=None, timeout=15.0):
    r = heal.ctl("run", *([name] if name else []), timeout=timeout)
    assert r["ok"], r
    return r["data"]


# --- cycles and events --------------------------------------------------------

def test_cycle_events_and_report(heal):
    heal.config(command_check("good", "echo fine") +
                command_check("meh", "echo slow; exit 1") +
                command_check("bad", "echo down; exit 2", critical=True))
    heal.start_agent()
    cyc = heal.bus.wait_topic("heal.cycle", 15)[1]
    assert cyc["cycle"] == 1
    assert cyc["counts"]["ok"] == 1 and cyc["counts"]["warning"] == 1
    assert cyc["counts"]["critical"] == 1
    assert cyc["degraded"] is True and cyc["issues"] == ["bad"]
    assert isinstance(cyc["duration_ms"], int)
    topics = [t for t, _ in heal.bus.seen]
    assert "heal.check.ok.good" in topics
    assert "heal.check.warning.meh" in topics
    assert "heal.check.critical.bad" in topics
    assert "heal.alert.bad" in topics
    bad = check_event(heal, "bad")
    for key in ("v", "type", "seq", "ts", "host", "source", "cycle", "check", "kind",
                "critical", "severity", "message", "duration_ms", "streak", "since",
                "changed", "evidence", "metrics", "remedy"):
        assert key in bad, key
    assert bad["streak"] == 1 and bad["changed"] is True and bad["message"] == "down"
    # report.json is written at the cycle end and valid
    rep = wait_for(lambda: os.path.exists(os.path.join(heal.state, "report.json"))
                   and heal.report(), 5, "report.json")
    jsonschema.validate(rep, report_schema())
    assert rep["checks"]["bad"]["severity"] == "critical"
    assert rep["degraded"] is True and rep["worst"] == "critical"
    # a second run: streak grows, changed false
    data = run(heal, "bad")
    ev = data["checks"]["bad"]
    assert ev["streak"] == 2 and ev["changed"] is False
    # incidents: meh and bad are open (in the state), nothing is in the file yet
    inc = heal.ctl("incidents")["data"]
    assert sorted(i["check"] for i in inc["open"]) == ["bad", "meh"]
    assert inc["incidents"] == []
    assert not os.path.exists(os.path.join(heal.state, "incidents.jsonl"))
    # SIGTERM: "stopping", exit 0
    heal.agent.send_signal(signal.SIGTERM)
    assert wait_exit(heal.agent) == 0
    heal.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "stopping", 5)


@pytest.mark.parametrize("checks,code", [
    (command_check("a", "true"), 0),
    (command_check("a", "true") + command_check("b", "exit 1"), 1),
    (command_check("a", "exit 3") + command_check("b", "exit 2", critical=True), 2),
    (command_check("a", "exit 3") + command_check("b", "exit 1"), 3),
])
def test_once_exit_codes(heal, checks, code):
    heal.config(checks)
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       timeout=30 * SLOW)
    assert p.returncode == code, p.stderr
    jsonschema.validate(heal.report(), report_schema())


def test_once_healed_is_zero(heal):
    flag = os.path.join(heal.dir, "flag")
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("fix", "test -f %s || exit 2" % flag, critical=True,
                              remedy="echo x >> %s; touch %s" % (count, flag)))
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       timeout=30 * SLOW)
    assert p.returncode == 0, p.stderr
    assert heal.report()["checks"]["fix"]["severity"] == "healed"
    assert len(lines(count)) == 1


def test_example_config_is_valid(tmp_path):
    """docs/heal.conf.example validates as shipped, and with its commented
    platform blocks (launchd, systemd) switched on."""
    example = os.path.join(ROOT, "docs", "heal.conf.example")
    text = open(example).read()
    conf = str(tmp_path / "example.conf")
    write_config(conf, text)
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    head, tail = text.split("#check = tunnel", 1)
    on = "\n".join(l[1:] if l.startswith("#check") or l.startswith("#    ") else l
                   for l in ("#check = tunnel" + tail).split("\n"))
    assert "\ncheck = tunnel" in "\n" + on and "\ncheck = dashboard" in on
    write_config(conf, head + on)
    p = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_home_paths_expanded(heal):
    """"~/" in a path key means $HOME for every kind that takes a path."""
    home = os.path.join(heal.dir, "home")
    os.makedirs(home)
    with open(os.path.join(home, "app.log"), "w") as f:
        f.write("started\n")
    with open(os.path.join(home, "svc.pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    heal.config("check = applog\n    kind = log\n    path = \"~/app.log\"\n"
                "    pattern = \"ERROR\"\n    max_rate = 5/h\n"
                "check = svc\n    kind = process\n    pidfile = \"~/svc.pid\"\n"
                "check = marker\n    kind = file\n    path = \"~/app.log\"\n")
    env = dict(os.environ, HOME=home)
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       timeout=30 * SLOW, env=env)
    assert p.returncode == 0, p.stderr
    checks = heal.report()["checks"]
    assert {n: checks[n]["severity"] for n in ("applog", "svc", "marker")} == \
        {"applog": "ok", "svc": "ok", "marker": "ok"}, checks


# --- remediation ---------------------------------------------------------------

def test_healed(heal):
    flag = os.path.join(heal.dir, "flag")
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("svc", "test -f %s || { echo missing; exit 2; }" % flag,
                              critical=True,
                              remedy="echo x >> %s; touch %s" % (count, flag),
                              backoff=0))
    heal.start_agent()
    ev = check_event(heal, "svc")
    assert ev["severity"] == "healed", ev
    assert ev["remedy"]["result"] == "healed" and ev["remedy"]["attempt"] == 1
    assert len(lines(count)) == 1
    os.unlink(flag)
    ev = run(heal, "svc")["checks"]["svc"]
    assert ev["severity"] == "healed" and ev["remedy"]["attempt"] == 2
    assert len(lines(count)) == 2
    ev = run(heal, "svc")["checks"]["svc"]
    assert ev["severity"] == "ok" and ev["remedy"] is None
    assert len(lines(count)) == 2


def test_gave_up_once_then_heal_resets(heal):
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("dead", "echo dead; exit 2", critical=True,
                              remedy="echo x >> %s; exit 1" % count,
                              attempts=2, within=900, backoff=0))
    heal.start_agent()
    results = [check_event(heal, "dead")["remedy"]["result"]]
    for _ in range(4):
        results.append(run(heal, "dead")["checks"]["dead"]["remedy"]["result"])
    assert results == ["failed", "failed", "gave_up", "gave_up", "gave_up"], results
    assert len(lines(count)) == 2
    synced(heal, run(heal, "dead")["checks"]["dead"])
    alerts = [p for t, p in heal.bus.seen if t == "heal.alert.dead"]
    assert [a["alert"] for a in alerts].count("gave_up") == 1
    assert [a["alert"] for a in alerts].count("critical") == 1
    st = heal.ctl("status")["data"]
    dead = [c for c in st["checks"] if c["check"] == "dead"][0]
    assert dead["budget"]["gave_up"] is True and dead["remedy"] == "gave_up"
    # `heal` resets the spent budget and remediates now
    r = heal.ctl("heal", "dead", timeout=15)
    assert r["ok"], r
    assert r["data"]["checks"]["dead"]["remedy"]["result"] == "failed"
    assert len(lines(count)) == 3


def test_backoff_throttles(heal):
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("slowfix", "exit 2", critical=True,
                              remedy="echo x >> %s" % count,
                              attempts=5, within=900, backoff=3600, verify=0))
    heal.start_agent()
    assert check_event(heal, "slowfix")["remedy"]["result"] == "failed"
    assert run(heal, "slowfix")["checks"]["slowfix"]["remedy"]["result"] == "throttled"
    assert len(lines(count)) == 1


def test_failed_remedy_retried_when_backoff_ends(heal):
    """A remedy that fails is tried again when its backoff ends, not a whole
    interval (300 s here) later: attempts 1, 2, 3 at growing delays, then one
    gave_up alert and no more attempts."""
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("flaky", "echo down; exit 2", critical=True,
                              remedy="echo x >> %s; exit 1" % count,
                              attempts=3, within=900, backoff="200ms"))
    heal.start_agent()
    attempts = []
    for n in (1, 2, 3):
        ev = check_event(heal, "flaky", lambda p, n=n: (p.get("remedy") or {}).get("attempt") == n
                         and p["remedy"]["result"] == "failed")
        attempts.append(ev["ts"])
    alert = heal.bus.wait(lambda t, p: t == "heal.alert.flaky" and p.get("alert") == "gave_up",
                          10, "gave_up alert")[1]
    assert len(lines(count)) == 3
    # each retry waits for its backoff (200 ms, then 400 ms): lower bounds only,
    # with room for the runs' own durations; a slow machine only adds to them
    assert attempts[1] - attempts[0] >= 100 and attempts[2] - attempts[1] >= 250, attempts
    # the agent is idle again until the next interval: no further attempt
    synced(heal, run(heal, "flaky")["checks"]["flaky"])
    assert len(lines(count)) == 3
    assert [p["alert"] for t, p in heal.bus.seen if t == "heal.alert.flaky"].count("gave_up") == 1
    assert alert["check"] == "flaky"


def test_state_survives_kill9(heal):
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("once", "exit 2", critical=True,
                              remedy="echo x >> %s" % count,
                              attempts=1, within=900, backoff=0, verify=0))
    heal.start_agent()
    assert check_event(heal, "once")["remedy"]["result"] == "failed"
    assert len(lines(count)) == 1
    heal.bus.wait_topic("heal.cycle")
    heal.agent.kill()
    heal.agent.wait()
    heal.bus.seen.clear()
    heal.start_agent()
    ev = check_event(heal, "once")
    assert ev["remedy"]["result"] == "gave_up", ev
    assert ev["streak"] == 2
    assert len(lines(count)) == 1


def test_mute(heal):
    count = os.path.join(heal.dir, "count")
    heal.config(command_check("noisy", "true", critical=True,
                              remedy="echo x >> %s" % count, backoff=0))
    heal.start_agent()
    check_event(heal, "noisy", lambda p: p["severity"] == "ok")
    r = heal.ctl("mute", "noisy", "60")
    assert r["ok"] and r["data"]["muted_until"] > time.time() * 1000
    heal.config(command_check("noisy", "exit 2", critical=True,
                              remedy="echo x >> %s" % count, backoff=0, verify=0))
    assert heal.ctl("reload")["ok"]
    ev = synced(heal, run(heal, "noisy")["checks"]["noisy"])
    assert ev["severity"] == "critical" and ev["remedy"]["result"] == "skipped"
    assert not [t for t, _ in heal.bus.seen if t == "heal.alert.noisy"]
    assert lines(count) == []
    st = heal.ctl("status")["data"]
    assert [c for c in st["checks"] if c["check"] == "noisy"][0]["muted_until"]
    assert heal.ctl("unmute", "noisy")["ok"]
    ev = run(heal, "noisy")["checks"]["noisy"]
    assert ev["remedy"]["result"] == "failed"
    assert len(lines(count)) == 1


# --- timeouts and concurrency ------------------------------------------------

def test_hanging_checks_do_not_stall_the_cycle(heal):
    marker = "heal-hang-%d" % os.getpid()
    checks = ""
    for i in range(50):
        if i % 10 == 3:
            checks += command_check("c%02d" % i, "sleep 30; echo %s" % marker, timeout=1)
        else:
            checks += command_check("c%02d" % i, "true", timeout=1)
    heal.config(checks)
    heal.start_agent()
    pings = []
    end = deadline(20)
    cyc = None
    while cyc is None and time.monotonic() < end:
        t0 = time.monotonic()
        r = heal.ctl("ping", timeout=2)
        pings.append(time.monotonic() - t0)
        assert r["ok"] and r["data"] == "pong"
        m = heal.bus.recv(0.02)
        if m and m[0] == "heal.cycle":
            cyc = m[1]
    assert cyc is not None, "no cycle"
    print("cycle of 50 checks (5 hanging, timeout 1 s): %d ms; ping max %.1f ms over %d"
          % (cyc["duration_ms"], max(pings) * 1000, len(pings)))
    assert cyc["counts"]["unknown"] == 5 and cyc["counts"]["ok"] == 45
    assert cyc["duration_ms"] < (1000 + 2500) * SLOW
    assert max(pings) < 0.5 * SLOW
    hung = [p for t, p in heal.bus.seen if t.startswith("heal.check.unknown.")]
    assert sorted(p["check"] for p in hung) == ["c03", "c13", "c23", "c33", "c43"]
    # the hanging plugins were killed with their process group
    def gone():
        out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
        return out.stdout.strip() == ""
    wait_for(gone, 10, "hanging plugins killed")


def test_kill9_never_leaves_invalid_report(heal):
    checks = "".join(command_check("k%02d" % i, "echo %d" % i, interval=1)
                     for i in range(20))
    heal.config(checks, interval=1)
    schema = report_schema()
    path = os.path.join(heal.state, "report.json")
    rnd = random.Random(7)
    for round_ in range(5):
        heal.start_agent(wait=(round_ == 0))
        target = round_ + 1
        wait_for(lambda: os.path.exists(path), 10, "report")
        time.sleep(rnd.uniform(0.05, 0.6))  # not a synchronisation: random kill point
        heal.agent.kill()
        heal.agent.wait()
        with open(path) as f:
            jsonschema.validate(json.load(f), schema)
        state = os.path.join(heal.state, "state.json")
        if os.path.exists(state):
            with open(state) as f:
                json.load(f)
        del target


# --- control -----------------------------------------------------------------

def test_control_rejects_malformed_requests(heal):
    heal.config(command_check("one", "true"))
    heal.start_agent()
    bad = [
        [b"\xc1\xff garbage"],
        [b""],
        [msgpack.packb({"cmd": "ping", "args": []})] * 3,
        [b"\x81" + b"x" * 500000],
        [msgpack.packb({"cmd": 5, "args": []})],
        [msgpack.packb({"cmd": "ping", "args": "x"})],
        [msgpack.packb(["ping"])],
        [msgpack.packb({"cmd": "launch", "args": []})],
        [msgpack.packb({"cmd": "run", "args": ["nope"]})],
        [msgpack.packb({"cmd": "run", "args": ["../../etc/passwd"]})],
        [msgpack.packb({"cmd": "mute", "args": ["one", "soon"]})],
        [msgpack.packb({"cmd": "heal", "args": []})],
    ]
    for frames in bad:
        r = ctl_raw(heal.ctx, heal.control, frames)
        assert r is not None, frames
        assert r["ok"] is False and r["error"], (frames, r)
    t0 = time.monotonic()
    assert heal.ctl("ping")["data"] == "pong"
    st = heal.ctl("status")["data"]
    assert st["counters"]["control_errors"] == len(bad)
    assert heal.ctl("version")["data"]["version"]
    assert heal.ctl("diagnosis")["data"] is None
    rep = heal.ctl("report")["data"]
    jsonschema.validate(rep, report_schema())
    del t0


def test_run_all_replies_with_every_check(heal):
    heal.config(command_check("a", "true") + command_check("b", "exit 1"))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle")
    data = run(heal)
    assert sorted(data["checks"]) == ["a", "b"] and data["worst"] == "warning"
    cycles = [p for t, p in heal.bus.seen if t == "heal.cycle"]
    heal.bus.wait_topic("heal.cycle", pred=lambda p: p["cycle"] == 2)
    del cycles


# --- config --------------------------------------------------------------------

def test_config_errors_exit_78(heal):
    heal.config(command_check("x", "true") + "    intervall = 5\n")
    p = subprocess.run([AGENT, "-n", "-c", heal.conf], capture_output=True, text=True)
    assert p.returncode == 78
    assert heal.conf in p.stderr and "'x'" in p.stderr and "intervall" in p.stderr
    p = subprocess.run([AGENT, "-c", heal.conf], capture_output=True, text=True,
                       timeout=10 * SLOW)
    assert p.returncode == 78 and "intervall" in p.stderr
    heal.config(command_check("x", "true") + "check = y\n    kind = teleport\n")
    p = subprocess.run([AGENT, "-n", "-c", heal.conf], capture_output=True, text=True)
    assert p.returncode == 78 and "teleport" in p.stderr, p.stderr
    heal.config(command_check("x", "true"))
    p = subprocess.run([AGENT, "-n", "-c", heal.conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    os.chmod(heal.conf, 0o666)
    p = subprocess.run([AGENT, "-n", "-c", heal.conf], capture_output=True, text=True)
    assert p.returncode == 78 and heal.conf in p.stderr
    p = subprocess.run([AGENT, "-c", heal.conf], capture_output=True, text=True,
                       timeout=10 * SLOW)
    assert p.returncode == 78


def test_flags(heal):
    p = subprocess.run([AGENT, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and "heal-agent" in p.stdout
    p = subprocess.run([AGENT, "-h"], capture_output=True, text=True)
    assert p.returncode == 0 and "--once" in p.stdout
    p = subprocess.run([AGENT, "--bogus"], capture_output=True, text=True)
    assert p.returncode == 64


def test_reload_invalid_keeps_old_config(heal):
    heal.config(command_check("keep", "true"))
    heal.start_agent()
    check_event(heal, "keep")
    text = open(heal.conf).read()
    write_config(heal.conf, text + "check = broken\n    kind = command\n    colour = red\n")
    r = heal.ctl("reload")
    assert r["ok"] is False and "colour" in r["error"]
    heal.agent.send_signal(signal.SIGHUP)
    heal.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "reload_failed"
                  and "colour" in p.get("message", ""), 10)
    names = [c["check"] for c in heal.ctl("status")["data"]["checks"]]
    assert names == ["keep"]
    assert run(heal, "keep")["checks"]["keep"]["severity"] == "ok"
    write_config(heal.conf, text + command_check("added", "exit 1"))
    heal.agent.send_signal(signal.SIGHUP)
    heal.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "reloaded", 10)
    names = [c["check"] for c in heal.ctl("status")["data"]["checks"]]
    assert names == ["keep", "added"]
    assert run(heal, "added")["checks"]["added"]["severity"] == "warning"


def test_corrupt_state_is_ignored(heal):
    heal.config(command_check("s", "true"))
    os.makedirs(heal.state, exist_ok=True)
    with open(os.path.join(heal.state, "state.json"), "w") as f:
        f.write('{"version": 1, "checks": {"s": {"streak": "lots"}}')
    heal.start_agent()
    assert check_event(heal, "s")["severity"] == "ok"
    def rewritten():
        try:
            with open(os.path.join(heal.state, "state.json")) as f:
                return json.load(f)["checks"]["s"]["severity"] == "ok"
        except (ValueError, KeyError):
            return False
    wait_for(rewritten, 5, "state rewritten")


# --- exit watch, inbound -------------------------------------------------------

def test_exit_watch_runs_check_at_once(heal):
    pidfile = os.path.join(heal.dir, "svc.pid")
    svc = subprocess.Popen(["sleep", "300"])
    try:
        with open(pidfile, "w") as f:
            f.write("%d\n" % svc.pid)
        heal.config("check = svc\n    kind = process\n    pidfile = \"%s\"\n"
                    "    critical = true\n" % pidfile)   # interval: 300 s
        heal.start_agent()
        ev = check_event(heal, "svc")
        assert ev["severity"] == "ok", ev
        synced(heal, ev)
        svc.kill()
        svc.wait()
        # the check runs at once on the exit, not at its 300 s interval
        ev = check_event(heal, "svc", lambda p: p["severity"] == "critical", timeout=10)
        assert ev["streak"] == 1
    finally:
        if svc.poll() is None:
            svc.kill()
            svc.wait()


def test_inbound_diagnosis_forwarded_and_kept(heal):
    heal.config(command_check("one", "true"))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle")
    push = heal.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(heal.inbound)
    diag = {"v": 1, "type": "diagnosis", "seq": 1, "ts": int(time.time() * 1000),
            "host": "h", "source": "test", "cycle": 1, "checks": ["one"],
            "fingerprint": "abc", "model": "m", "summary": "all fine",
            "root_cause": "none", "operator_checks": ["look"], "latency_ms": 5,
            "cached": False}
    push.send_multipart([b"garbage", b"\x00"])
    push.send_multipart([b"heal.diagnosis", msgpack.packb(diag)])
    try:
        got = heal.bus.wait_topic("heal.diagnosis", 10)[1]
        assert got["summary"] == "all fine" and got["source"] == "test"
        d = wait_for(lambda: heal.ctl("diagnosis")["data"], 5, "diagnosis kept")
        assert d["summary"] == "all fine"
        st = heal.ctl("status")["data"]
        assert st["counters"]["inbound_invalid"] >= 1
        rep = run(heal)
        del rep
        report = wait_for(lambda: heal.report().get("diagnosis"), 5, "report diagnosis")
        assert report["summary"] == "all fine"
        jsonschema.validate(heal.report(), report_schema())
    finally:
        push.close(0)


def test_recovered_alert_and_incident_rotation(heal):
    flag = os.path.join(heal.dir, "up")
    heal.config(command_check("web", "test -f %s || { echo web down; exit 2; }" % flag,
                              critical=True))
    os.makedirs(heal.state, exist_ok=True)
    incidents = os.path.join(heal.state, "incidents.jsonl")
    with open(incidents, "w") as f:          # nearly full: the next line rotates it
        f.write(("x" * 1023 + "\n") * 1024)
    heal.start_agent()
    ev = check_event(heal, "web")
    assert ev["severity"] == "critical"
    assert ev["remedy"] is None             # no remedy configured: null, not skipped
    a = heal.bus.wait_topic("heal.alert.web")[1]
    assert a["alert"] == "critical" and a["check"] == "web"
    open(flag, "w").close()
    ev = synced(heal, run(heal, "web")["checks"]["web"])
    assert ev["severity"] == "ok" and ev["changed"] is True and ev["streak"] == 0
    heal.bus.wait(lambda t, p: t == "heal.alert.web" and p["alert"] == "recovered", 5)
    alerts = [p["alert"] for t, p in heal.bus.seen if t == "heal.alert.web"]
    assert alerts == ["critical", "recovered"], alerts
    # the incident closed (recovered): rotated, the old lines moved to .1, the
    # new file holds this incident
    inc = wait_for(lambda: [json.loads(l) for l in lines(incidents)
                            if not l.startswith("x")], 5, "incident")
    assert inc[-1]["check"] == "web" and inc[-1]["severity"] == "critical"
    assert inc[-1]["outcome"] == "recovered"
    assert os.path.getsize(incidents + ".1") == 1024 * 1024
    assert len(lines(incidents)) == 1
