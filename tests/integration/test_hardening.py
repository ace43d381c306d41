"""Issue 14: nobody else commands heal, forges its events or writes through
its state dir. One test per defect; each fails on the code before the fix."""
import json
import os
import stat
import subprocess
import time

import msgpack
import pytest
import zmq

from conftest import (AGENT, HEALCTL, SLOW, command_check, deadline, free_port,
                      wait_exit, wait_for, write_config)


def forged(type_, **extra):
    base = {"v": 1, "seq": 1, "ts": int(time.time() * 1000), "host": "h",
            "source": "heal-agent"}
    base.update(type=type_, **extra)
    return msgpack.packb(base)


# --- 1: forged events -------------------------------------------------------

def test_forged_agent_events_are_not_forwarded(heal):
    """A PUSH claiming to be heal-agent sends a critical check event for a
    check that does not exist and a cycle saying the machine is degraded: the
    bus never carries them; a diagnosis sent after them is forwarded (so the
    forged ones could have been), and status counts the refusals."""
    heal.config(command_check("one", "true"))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle")
    push = heal.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(heal.inbound)
    check = forged("check", cycle=1, check="ghost", kind="command", critical=True,
                   severity="critical", message="forged", duration_ms=1, streak=9,
                   since=1, changed=True, evidence=[], metrics={}, remedy=None)
    cycle = forged("cycle", cycle=99, counts={"ok": 0, "healed": 0, "warning": 0,
                                              "critical": 1, "unknown": 0},
                   degraded=True, issues=["ghost"], duration_ms=1, checks=1)
    alert = forged("alert", check="ghost", alert="critical", severity="critical",
                   message="forged", cycle=1)
    agent = forged("agent", event="stopping", version="0", pid=1, cycle=1)
    diag = {"v": 1, "type": "diagnosis", "seq": 2, "ts": int(time.time() * 1000),
            "host": "h", "source": "test", "cycle": 1, "checks": ["one"],
            "fingerprint": "abc", "model": "m", "summary": "after the forgeries",
            "root_cause": "none", "operator_checks": [], "latency_ms": 5,
            "cached": False}
    try:
        push.send_multipart([b"heal.check.critical.ghost", check])
        push.send_multipart([b"heal.cycle", cycle])
        push.send_multipart([b"heal.alert.ghost", alert])
        push.send_multipart([b"heal.agent", agent])
        push.send_multipart([b"heal.diagnosis", msgpack.packb(diag)])
        heal.bus.wait_topic("heal.diagnosis", 10)
        for topic, payload in heal.bus.seen:
            assert payload.get("check") != "ghost", topic
            assert payload.get("cycle") != 99, topic
            assert not (topic == "heal.agent" and payload.get("pid") == 1), topic
        counters = heal.ctl("status")["data"]["counters"]
        assert counters["inbound_forwarded"] == 1, counters
        assert counters["inbound_refused"] >= 3, counters
    finally:
        push.close(0)


# --- 3: tcp needs CURVE, or an opt-in that says what it gives away ---------

OK_CHECK = "check = fine\n    kind = command\n    run = \"echo fine\"\n"
DIAGNOSER = os.path.join(os.path.dirname(AGENT), "heal-diagnoser")


def validate(binary, conf):
    return subprocess.run([binary, "-n", "-c", conf], capture_output=True, text=True,
                          timeout=30 * SLOW)


def make_keys(heal):
    import shutil
    import zmq.auth
    keys = os.path.join(heal.dir, "keys")
    clients = os.path.join(keys, "clients")
    os.makedirs(clients, mode=0o700)
    os.chmod(keys, 0o700)
    certs = {}
    for name in ("server", "client", "stranger"):
        pub, sec = zmq.auth.create_certificates(keys, name)
        os.chmod(sec, 0o600)
        certs[name] = (pub, sec) + zmq.auth.load_certificate(sec)
    shutil.copy(certs["client"][0], clients)
    return certs, clients


def test_plain_loopback_tcp_refused_without_opt_in(heal):
    """Another local user could connect to a loopback port: plain tcp is
    refused by the agent at start, by -n (same words), by healctl and the
    diagnoser; with allow_unauthenticated_tcp = true it runs."""
    heal.control = "tcp://127.0.0.1:%d" % free_port()
    heal.config(OK_CHECK)
    for binary in (AGENT, HEALCTL):
        r = validate(binary, heal.conf)
        assert r.returncode == 78 and "allow_unauthenticated_tcp" in r.stderr, (binary, r)
    p = heal.spawn([AGENT, "-c", heal.conf])
    assert wait_exit(p, 15) == 78
    out = open(os.path.join(heal.dir, "heal-agent.out")).read()
    assert "allow_unauthenticated_tcp" in out, out
    r = heal.healctl("-t", "500", "ping")
    assert r.returncode != 0 and "allow_unauthenticated_tcp" in r.stderr, r

    heal.config(OK_CHECK, extra="security\n    allow_unauthenticated_tcp = true\n")
    assert validate(AGENT, heal.conf).returncode == 0
    heal.start_agent()
    r = heal.healctl("ping")
    assert r.returncode == 0, r


def test_curve_on_loopback(heal):
    """CURVE works on loopback for every agent endpoint: healctl, the
    diagnoser's push and a subscriber with the authorised key get through; a
    client without CURVE or with a key not in clients_dir gets nothing, and
    cannot mute."""
    certs, clients = make_keys(heal)
    heal.control = "tcp://127.0.0.1:%d" % free_port()
    heal.inbound = "tcp://127.0.0.1:%d" % free_port()
    heal.publish = "tcp://127.0.0.1:%d" % free_port()
    security = ("security\n"
                "    server_cert = \"%s\"\n"
                "    clients_dir = \"%s\"\n"
                "    client_cert = \"%s\"\n" % (certs["server"][0], clients,
                                                 certs["client"][0]))
    heal.config(OK_CHECK + command_check("crit", "exit 2", critical=True), extra=security)
    for binary in (AGENT, HEALCTL, DIAGNOSER):
        r = validate(binary, heal.conf)
        assert r.returncode == 0, (binary, r.stderr)
    # a subscriber with the authorised key
    sub = heal.ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.curve_publickey, sub.curve_secretkey = certs["client"][2], certs["client"][3]
    sub.curve_serverkey = certs["server"][2]
    sub.setsockopt(zmq.SUBSCRIBE, b"heal.")
    sub.connect(heal.publish)
    from conftest import Bus
    heal.bus = Bus.__new__(Bus)
    heal.bus.sock, heal.bus.seen = sub, []
    heal.start_agent()
    r = heal.healctl("-t", str(int(5000 * SLOW)), "ping")
    assert r.returncode == 0, r

    def raw_req(cmd, args, keys=None):
        s = heal.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        if keys:
            s.curve_publickey, s.curve_secretkey = keys
            s.curve_serverkey = certs["server"][2]
        s.connect(heal.control)
        try:
            s.send(msgpack.packb({"cmd": cmd, "args": args}))
            return msgpack.unpackb(s.recv(), raw=False) if s.poll(int(1500 * SLOW)) else None
        finally:
            s.close(0)

    assert raw_req("ping", [], (certs["client"][2], certs["client"][3])) is not None
    assert raw_req("mute", ["crit", "2592000"]) is None
    assert raw_req("mute", ["crit", "2592000"], (certs["stranger"][2],
                                                 certs["stranger"][3])) is None
    st = json.loads(heal.healctl("--json", "status").stdout)
    crit = [c for c in st["checks"] if c["name"] == "crit"][0]
    assert crit["muted_until"] is None, crit
    # a push without CURVE never reaches the bus; the diagnosis-shaped one
    # from an authorised key does
    diag = {"v": 1, "type": "diagnosis", "seq": 1, "ts": int(time.time() * 1000),
            "host": "h", "source": "x", "cycle": 1, "checks": [], "fingerprint": "f",
            "model": "m", "summary": "", "root_cause": "", "operator_checks": [],
            "latency_ms": 1, "cached": False}
    for keys, summary in ((None, "plain"), ((certs["stranger"][2], certs["stranger"][3]),
                                            "stranger"),
                          ((certs["client"][2], certs["client"][3]), "client")):
        p = heal.ctx.socket(zmq.PUSH)
        p.setsockopt(zmq.LINGER, 500)
        if keys:
            p.curve_publickey, p.curve_secretkey = keys
            p.curve_serverkey = certs["server"][2]
        p.connect(heal.inbound)
        diag["summary"] = summary
        try:
            p.send_multipart([b"heal.diagnosis", msgpack.packb(diag)], zmq.NOBLOCK)
        except zmq.Again:
            pass                # no peer (handshake refused): nothing queued
        p.close()
    heal.bus.wait(lambda t, m: t == "heal.diagnosis" and m.get("summary") == "client", 10)
    assert not [m for t, m in heal.bus.seen if t == "heal.diagnosis"
                and m.get("summary") in ("plain", "stranger")]


# --- 5: -n is the agent's own start-time validation ------------------------

@pytest.mark.parametrize("endpoint", [
    "tcp://0.0.0.0:{port}", "tcp://*:{port}", "tcp://10.0.0.5:{port}", "tcp://[::]:{port}",
    "tcp://[::ffff:127.0.0.1]:{port}", "tcp://localhost:{port}", "tcp://lo:{port}",
    "tcp://127.0.0.1:{port}", "ipc://@abstract-{port}"])
def test_validate_refuses_what_start_refuses(heal, endpoint):
    """Each endpoint, for each of the agent's three sockets: -n and start
    agree (both refuse with 78), even with allow_unauthenticated_tcp for the
    non-loopback and name cases. Then a good one: both accept."""
    for opt_in in ("", "security\n    allow_unauthenticated_tcp = true\n"):
        if opt_in and endpoint.startswith("tcp://127.0.0.1"):
            continue
        heal.control = endpoint.format(port=free_port())
        heal.config(OK_CHECK, extra=opt_in)
        r = validate(AGENT, heal.conf)
        p = heal.spawn([AGENT, "-c", heal.conf])
        try:
            rc = wait_exit(p, 15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
        assert r.returncode == 78 and rc == 78, (endpoint, opt_in, r.returncode, r.stderr, rc)


@pytest.mark.parametrize("endpoint", ["tcp://127.0.0.1:{port}", "tcp://[::1]:{port}"])
def test_validate_accepts_what_start_binds(heal, endpoint):
    heal.control = endpoint.format(port=free_port())
    heal.config(OK_CHECK, extra="security\n    allow_unauthenticated_tcp = true\n")
    assert validate(AGENT, heal.conf).returncode == 0
    heal.start_agent()
    assert heal.healctl("ping").returncode == 0


def test_clients_validate_what_they_use(heal):
    """healctl -n checks the control and publish endpoints it connects to,
    heal-diagnoser -n the publish and inbound ones."""
    heal.inbound = "tcp://127.0.0.1:%d" % free_port()
    heal.config(OK_CHECK)
    for binary in (DIAGNOSER, HEALCTL):     # healctl -n also runs the agent's own
        r = validate(binary, heal.conf)
        assert r.returncode == 78 and "inbound" in r.stderr, (binary, r)
    heal.inbound = "ipc://%s/in" % heal.dir
    heal.publish = "tcp://192.0.2.7:%d" % free_port()
    heal.config(OK_CHECK)
    for binary in (HEALCTL, DIAGNOSER):
        r = validate(binary, heal.conf)
        assert r.returncode == 78 and "publish" in r.stderr and "CURVE" in r.stderr, r


# --- 2: the state dir is heal's alone ---------------------------------------

def crit_check():
    return command_check("crit", "echo down; exit 2", critical=True)


def muted_until(heal, name="crit"):
    st = heal.ctl("status")["data"]
    return [c for c in st["checks"] if c["name"] == name][0]["muted_until"]


def test_state_dir_open_to_others_refused(heal):
    heal.config(OK_CHECK)
    os.makedirs(heal.state, mode=0o700)
    os.chmod(heal.state, 0o777)
    r = validate(AGENT, heal.conf)
    assert r.returncode == 78 and "state_dir" in r.stderr and "writable" in r.stderr, r
    p = heal.spawn([AGENT, "-c", heal.conf])
    assert wait_exit(p, 15) == 78
    os.chmod(heal.state, 0o700)
    assert validate(AGENT, heal.conf).returncode == 0


def test_planted_state_is_ignored(heal):
    """A state.json that is a symlink (or, as root, one owned by another user)
    is not loaded: its mute does not silence the critical check.
    The same file, ours, is loaded (the proof that it would have worked)."""
    heal.config(crit_check())
    heal.start_agent()
    until = int(time.time() * 1000) + 20 * 86400 * 1000   # the mute the test plants
    assert heal.ctl("mute", "crit", "2592000")["ok"]
    heal.stop()
    state = os.path.join(heal.state, "state.json")
    text = open(state).read()
    data = json.loads(text)
    data["checks"]["crit"]["mute_until"] = until
    planted = os.path.join(heal.dir, "planted.json")
    with open(planted, "w") as f:
        json.dump(data, f)
    os.chmod(planted, 0o600)
    os.unlink(state)
    os.symlink(planted, state)

    def restart():
        h = type(heal)(heal.dir)
        h.conf, h.state = heal.conf, heal.state
        # wait for an answer, not for "started" (a subscriber that joins late
        # under load misses it)
        h.start_agent(wait=False)

        def answers():
            try:
                return h.ctl("ping", timeout=1.0)["ok"]
            except AssertionError:
                return False
        wait_for(answers, 15, "agent answers")
        return h

    h = restart()
    try:
        assert muted_until(h) is None
        out = open(os.path.join(heal.dir, "heal-agent.out")).read()
        assert "state.json" in out, out
    finally:
        h.stop()
    os.unlink(state)
    import shutil
    shutil.copy(planted, state)
    os.chmod(state, 0o600)
    if os.geteuid() == 0:
        os.chown(state, 65534, 65534)
        h = restart()
        try:
            assert muted_until(h) is None
        finally:
            h.stop()
    # plant it again, ours this time
    if os.path.lexists(state):
        os.unlink(state)
    shutil.copy(planted, state)
    os.chmod(state, 0o600)
    h = restart()
    try:
        assert muted_until(h) == until      # our own file: loaded
    finally:
        h.stop()


def test_report_not_readable_by_others(heal):
    heal.config(OK_CHECK)
    heal.start_agent()
    report = os.path.join(heal.state, "report.json")
    wait_for(lambda: os.path.exists(report), 10, "report.json")
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
    heal.stop()
    os.unlink(report)
    heal.config(OK_CHECK, extra="agent_unused = 1\n" if False else "")
    text = open(heal.conf).read().replace("agent\n", "agent\n    report_readable_by_others = true\n", 1)
    write_config(heal.conf, text)
    h = type(heal)(heal.dir)
    h.conf, h.state = heal.conf, heal.state
    h.start_agent()
    try:
        wait_for(lambda: os.path.exists(report), 10, "report.json")
        assert stat.S_IMODE(os.stat(report).st_mode) == 0o644
    finally:
        h.stop()


# --- 4: a flood of invalid messages does not flood the log -----------------

def test_inbound_flood_logs_a_line_not_a_line_each(heal):
    """50,000 one-byte pushes: all counted, at most a few log lines (the
    first drop with its reason; the rest summarised once a minute)."""
    heal.config(OK_CHECK)
    heal.start_agent()
    push = heal.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.setsockopt(zmq.SNDHWM, 0)
    push.connect(heal.inbound)
    n = 50000
    try:
        for _ in range(n):
            push.send(b"x")
        # the socket stays open until the agent has read everything
        wait_for(lambda: heal.ctl("status")["data"]["counters"]["inbound_invalid"] >= n,
                 120, "all %d counted" % n)
    finally:
        push.close(0)
    assert heal.ctl("ping")["ok"]
    out = open(os.path.join(heal.dir, "heal-agent.out")).read().splitlines()
    dropped = [l for l in out if "inbound" in l and "dropped" in l]
    assert 1 <= len(dropped) <= 3, dropped[:5]
    assert "not two frames" in dropped[0], dropped[0]
    assert len(out) < 10, out[:12]


# --- 6: errors quote only what the operator wrote ---------------------------

def test_config_errors_do_not_echo_file_content(heal):
    """A config whose first line is not ZPL (/etc/shadow's shape) is refused
    by line number, without its text; a symlink planted by another user is
    refused before it is read (root only: we make the other user's link)."""
    secret = os.path.join(heal.dir, "secret")
    with open(secret, "w") as f:
        f.write("root:$6$SECRETHASH:20228:0:99999:7:::\n")
    os.chmod(secret, 0o600)
    link = os.path.join(heal.dir, "link.conf")
    os.symlink(secret, link)
    for binary in (AGENT, HEALCTL, DIAGNOSER):
        r = validate(binary, link)
        assert r.returncode == 78, (binary, r)
        assert "SECRETHASH" not in r.stderr and "20228" not in r.stderr, r.stderr
        assert "line 1" in r.stderr, r.stderr
    if os.geteuid() == 0:
        os.lchown(link, 65534, 65534)
        r = validate(AGENT, link)
        assert r.returncode == 78 and "symlink owned by uid 65534" in r.stderr, r
        assert "SECRETHASH" not in r.stderr


# --- 7: requests say exactly one thing; lost replies are counted -------------

def test_mute_takes_digits_only(heal):
    heal.config(OK_CHECK)
    heal.start_agent()
    for bad in (" 60", "60 ", "+60", "-60", "0x3c", "1e3", "6 0", "", "0",
                "2592001", "99999999999999999999999"):
        r = heal.ctl("mute", "fine", bad)
        assert r["ok"] is False and "seconds" in r["error"], (bad, r)
    r = heal.ctl("mute", "fine", "60")
    assert r["ok"] and r["data"]["muted_until"] > 0, r


def test_pipelined_replies_past_the_high_water_mark_are_counted(heal):
    """A DEALER sends many pings without reading: the agent never blocks,
    keeps answering others, and every reply is either delivered or counted
    as dropped."""
    heal.config(OK_CHECK)
    heal.start_agent()
    s = heal.ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, 10)
    s.setsockopt(zmq.RCVBUF, 4096)
    s.setsockopt(zmq.SNDHWM, 0)
    s.connect(heal.control)
    n = 30000
    req = msgpack.packb({"cmd": "ping", "args": []})
    try:
        for _ in range(n):
            s.send_multipart([b"", req])
        counters = lambda: heal.ctl("status")["data"]["counters"]
        # the agent still answers another client meanwhile
        wait_for(lambda: counters()["control_requests"] >= n, 60, "all requests read")
        got = 0
        while s.poll(int(500 * SLOW)):
            s.recv_multipart()
            got += 1
        dropped = counters()["control_replies_dropped"]
        assert dropped > 0 and got + dropped == n, (got, dropped)
    finally:
        s.close(0)
