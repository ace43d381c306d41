"""healctl against a real heal-agent: every command, its exit code and its JSON
shape; malformed control requests from a raw client; watch across an agent
restart; exit 69 when no agent answers."""
import json
import os
import pty
import re
import select
import signal
import subprocess
import time

import msgpack
import pytest
import zmq

from conftest import HEALCTL, SLOW, deadline, wait_for, write_config

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def script(heal, name, code, message=None):
    """A Nagios-style plugin in the test dir: prints message, exits code.
    Rewriting it changes what the check reports next run."""
    path = os.path.join(heal.dir, name + ".sh")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("#!/bin/sh\necho '%s'\nexit %d\n" % (message or "%s says %d" % (name, code), code))
    os.chmod(tmp, 0o755)
    os.rename(tmp, path)
    return path


def check(heal, name, code, critical=False, message=None, extra=""):
    return ("check = %s\n"
            "    kind = command\n"
            "    critical = %s\n"
            "    run = \"%s\"\n"
            "    timeout = 10\n%s" % (name, "true" if critical else "false",
                                      script(heal, name, code, message), extra))


def ctl(heal, *args, timeout=30):
    return heal.healctl(*args, timeout=timeout)


def ctl_json(heal, *args):
    r = ctl(heal, "--json", *args)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


def entries(data):
    """The status reply's checks as {name: entry}, whatever the container."""
    checks = data["checks"] if isinstance(data, dict) and "checks" in data else data
    if isinstance(checks, dict):
        return checks
    return {c.get("check") or c.get("name"): c for c in checks}


@pytest.fixture
def agent(heal):
    """An agent with one ok, one optional failing (warning) check."""
    heal.config(check(heal, "good", 0) + check(heal, "flaky", 2, critical=False))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle", 20)
    return heal


# ----------------------------------------------------------------- no agent

def test_no_agent_exits_69(heal):
    heal.config()
    # The ipc socket file is missing: healctl knows at once, and says how to
    # start the agent (the default timeout is 5 s: it must not be waited).
    for cmd in ("status", "ping", "run"):
        # the fastest of three: the machine is shared, a start can be slow
        took = 10.0
        for _ in range(3):
            t0 = time.monotonic()
            r = ctl(heal, cmd)
            took = min(took, time.monotonic() - t0)
        assert r.returncode == 69, (cmd, r.returncode, r.stderr)
        assert "heal-agent is not running" in r.stderr and "does not exist" in r.stderr
        assert heal.control[len("ipc://"):] in r.stderr and "hint:" in r.stderr
        assert r.stderr.startswith("healctl: %s: heal-agent" % cmd), r.stderr
        assert took < 0.2 * SLOW, (cmd, took)
    # A stale socket file nobody listens on: the timeout, then why.
    open(heal.control[len("ipc://"):], "w").close()
    t0 = time.monotonic()
    r = ctl(heal, "--timeout", "300", "ping")
    assert r.returncode == 69, (r.returncode, r.stderr)
    assert "no answer" in r.stderr and heal.control[len("ipc://"):] in r.stderr
    assert time.monotonic() - t0 < 10 * SLOW
    r = ctl(heal, "-e", "ipc://%s/nobody" % heal.dir, "-t", "200", "status")
    assert r.returncode == 69, (r.returncode, r.stderr)


def test_usage_errors_exit_64(heal):
    heal.config()
    cases = [
        ["stauts"],                      # unknown command (with a suggestion)
        ["heal"],                        # missing CHECK
        ["mute", "good"],                # missing DURATION
        ["mute", "good", "soon"],        # bad duration
        ["mute", "good", "0"],           # too short
        ["ping", "extra"],               # too many
        ["run", "a b"],                  # not a check name
        ["run", "x" * 65],               # name too long
        ["--frobnicate", "ping"],        # unknown option
        ["--timeout", "-5", "ping"],     # bad timeout
        ["--timeout", "abc", "ping"],
        ["-e"],                          # option without value
        [],                              # no command
    ]
    for args in cases:
        r = ctl(heal, *args)
        assert r.returncode == 64, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr.strip(), args
    r = ctl(heal, "stauts")
    assert "did you mean 'status'" in r.stderr
    r = ctl(heal, "-e", "bogus://x", "ping")
    assert r.returncode == 64, r.stderr


def test_help_explains_every_command(heal):
    r = subprocess.run([HEALCTL, "-h"], capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("ping", "version", "status", "report", "run", "heal", "mute",
                "unmute", "reload", "diagnosis", "watch", "--json", "--timeout", "-e"):
        assert cmd in r.stdout, cmd
    for cmd in ("ping", "status", "mute", "watch", "run"):
        r = subprocess.run([HEALCTL, cmd, "-h"], capture_output=True, text=True)
        assert r.returncode == 0 and ("healctl [OPTIONS] " + cmd) in r.stdout, r.stdout
    r = subprocess.run([HEALCTL, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("healctl ")


def test_validate_config(heal):
    heal.config()
    r = ctl(heal, "-n")
    assert r.returncode == 0, r.stderr
    bad = os.path.join(heal.dir, "bad.conf")
    write_config(bad, "agent\n    intervall = 5\n")
    r = subprocess.run([HEALCTL, "-c", bad, "-n"], capture_output=True, text=True)
    assert r.returncode == 78 and bad in r.stderr, r.stderr


# ------------------------------------------------------------- every command

def test_ping_and_version(agent):
    r = ctl(agent, "ping")
    assert r.returncode == 0 and "pong" in r.stdout, (r.stdout, r.stderr)
    r = ctl(agent, "version")
    assert r.returncode == 0 and "healctl 0." in r.stdout and "heal-agent" in r.stdout
    r, data = ctl_json(agent, "version")
    assert r.returncode == 0 and data is not None
    r, data = ctl_json(agent, "ping")
    assert r.returncode == 0


def test_status_table_and_exit_code(agent):
    r = ctl(agent, "status")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)     # a warning
    assert not ANSI.search(r.stdout), "colour on a pipe"
    lines = r.stdout.splitlines()
    header = [l for l in lines if l.startswith("CHECK")]
    assert header and all(w in header[0] for w in
                          ("KIND", "CRITICAL", "SEVERITY", "SINCE", "REMEDY", "MESSAGE"))
    good = [l for l in lines if l.startswith("good ")]
    flaky = [l for l in lines if l.startswith("flaky ")]
    assert good and "ok" in good[0] and "command" in good[0] and "good says 0" in good[0]
    assert flaky and "warning" in flaky[0], lines
    assert re.search(r"(ago|just now)", flaky[0]), flaky[0]

    r, data = ctl_json(agent, "status")
    assert r.returncode == 1
    checks = entries(data)
    assert set(checks) == {"good", "flaky"}
    for name, c in checks.items():
        for field in ("kind", "critical", "severity", "since", "message"):
            assert field in c, (name, field, c)
    assert checks["good"]["severity"] == "ok" and checks["flaky"]["severity"] == "warning"
    assert checks["flaky"]["critical"] is False


def test_status_exit_codes_follow_worst_severity(heal):
    # ok only -> 0
    heal.config(check(heal, "a", 0))
    heal.start_agent()
    assert ctl(heal, "run").returncode == 0
    assert ctl(heal, "status").returncode == 0
    # unknown (exit 3) -> 3
    script(heal, "a", 3)
    assert ctl(heal, "run", "a").returncode == 3
    assert ctl(heal, "status").returncode == 3
    # a critical check failing beats unknown -> 2 (added by reload)
    write_config(heal.conf, open(heal.conf).read() + check(heal, "b", 2, critical=True))
    r = ctl(heal, "reload")
    assert r.returncode == 0, r.stderr
    r = ctl(heal, "run")
    assert r.returncode == 2, (r.stdout, r.stderr)
    r = ctl(heal, "status")
    assert r.returncode == 2 and re.search(r"^b\s.*critical", r.stdout, re.M), r.stdout


def test_status_colour_only_on_a_terminal(agent):
    def on_tty(env):
        master, slave = pty.openpty()
        p = subprocess.Popen([HEALCTL, "-c", agent.conf, "status"], stdout=slave,
                             stderr=subprocess.DEVNULL, env=env)
        os.close(slave)
        out = b""
        end = deadline(10)
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        p.wait(10)
        os.close(master)
        return out.decode(errors="replace")

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert ANSI.search(on_tty(env)), "no colour on a terminal"
    env["NO_COLOR"] = "1"
    assert not ANSI.search(on_tty(env)), "colour despite NO_COLOR"


def test_report_prints_report_json(agent):
    wait_for(lambda: os.path.exists(os.path.join(agent.state, "report.json")), 10,
             "report.json")
    r = ctl(agent, "report")
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    on_disk = agent.report()
    assert set(on_disk) <= set(printed) | {"ts"}, (on_disk.keys(), printed.keys())
    r, data = ctl_json(agent, "report")
    assert r.returncode == 0 and isinstance(data, dict)


def test_run_one_check_and_unknown_check(agent):
    script(agent, "good", 1, "now it warns")
    r = ctl(agent, "run", "good")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "now it warns" in r.stdout
    r, data = ctl_json(agent, "run", "good")
    assert r.returncode == 1 and data is not None
    r = ctl(agent, "run", "nosuch")
    assert r.returncode == 1 and "nosuch" in r.stderr, (r.returncode, r.stderr)
    r = ctl(agent, "heal", "nosuch")
    assert r.returncode == 1


def test_heal_runs_the_remedy(heal):
    marker = os.path.join(heal.dir, "fixed")
    run = "test -e %s && echo fixed || { echo broken; exit 2; }" % marker
    heal.config("check = svc\n    kind = command\n    critical = true\n"
                "    run = \"%s\"\n    remedy\n        run = \"touch %s\"\n"
                "        attempts = 3\n        within = 900\n" % (run, marker))
    heal.start_agent()
    heal.bus.wait_topic("heal.check", 20, lambda p: p.get("check") == "svc")
    os.unlink(marker) if os.path.exists(marker) else None
    r = ctl(heal, "heal", "svc")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert os.path.exists(marker)
    r, data = ctl_json(heal, "status")
    assert entries(data)["svc"]["severity"] in ("ok", "healed")


def test_mute_and_unmute(agent):
    r = ctl(agent, "mute", "flaky", "10m")
    assert r.returncode == 0, r.stderr
    r, data = ctl_json(agent, "status")
    flaky = entries(data)["flaky"]
    until = flaky.get("muted_until") or flaky.get("muted")
    assert until, flaky
    if isinstance(until, int) and until > 10 ** 11:
        assert abs(until - (time.time() * 1000 + 600000)) < 120000, until
    assert "(muted)" in ctl(agent, "status").stdout
    assert ctl(agent, "unmute", "flaky").returncode == 0
    r, data = ctl_json(agent, "status")
    flaky = entries(data)["flaky"]
    assert not (flaky.get("muted_until") or flaky.get("muted")), flaky
    r = ctl(agent, "mute", "nosuch", "60")
    assert r.returncode == 1 and r.stderr


def test_reload_refuses_a_bad_config(agent):
    good = open(agent.conf).read()
    write_config(agent.conf, good + "check = broken\n    kind = nosuchkind\n")
    r = ctl(agent, "reload")
    assert r.returncode == 1 and "broken" in r.stderr, (r.returncode, r.stderr)
    assert ctl(agent, "ping").returncode == 0
    write_config(agent.conf, good)
    assert ctl(agent, "reload").returncode == 0


def diagnosis_payload(summary):
    now = int(time.time() * 1000)
    return {"v": 1, "type": "diagnosis", "seq": 1, "ts": now, "host": "test",
            "source": "test", "cycle": 1, "checks": ["flaky"], "fingerprint": "f00",
            "model": "test-model", "summary": summary, "root_cause": "the cable",
            "operator_checks": ["look at the cable"], "latency_ms": 5, "cached": False}


def test_diagnosis(agent):
    r = ctl(agent, "diagnosis")
    assert r.returncode == 0 and "no diagnosis" in r.stdout, (r.stdout, r.stderr)
    push = agent.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(agent.inbound)
    push.send_multipart([b"heal.diagnosis",
                         msgpack.packb(diagnosis_payload("the flaky check is flaky"))])
    agent.bus.wait_topic("heal.diagnosis", 10)
    push.close(0)
    r = ctl(agent, "diagnosis")
    assert r.returncode == 0 and "the flaky check is flaky" in r.stdout, r.stdout
    assert "the cable" in r.stdout
    r, data = ctl_json(agent, "diagnosis")
    assert "the flaky check is flaky" in json.dumps(data)


# ---------------------------------------------------- malformed requests

def raw_request(heal, frames, timeout=2.0):
    """Send frames on a DEALER (REQ framing done by hand); the reply frames or None."""
    s = heal.ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(heal.control)
    try:
        s.send_multipart([b""] + frames)
        if not s.poll(int(timeout * 1000 * SLOW)):
            return None
        reply = s.recv_multipart()
        assert reply[0] == b""
        return reply[1:]
    finally:
        s.close(0)


def test_malformed_requests_are_refused_and_counted(agent):
    bad = [
        [b"\xff\x00garbage\xc1"],                                       # not msgpack
        [b""],                                                          # empty frame
        [msgpack.packb({"cmd": "ping", "args": []})] * 5,               # many frames
        [msgpack.packb({"cmd": "ping", "args": []}) + b"trailing"],
        [msgpack.packb(["ping"])],                                      # not a map
        [msgpack.packb({"cmd": 7, "args": []})],                        # wrong types
        [msgpack.packb({"cmd": "ping", "args": "x"})],
        [msgpack.packb({"cmd": "run", "args": [{"a": 1}]})],
        [msgpack.packb({"cmd": "run", "args": ["x" * 5000]})],
        [msgpack.packb({"cmd": "run", "args": ["a"] * 50})],
        [msgpack.packb({"args": []})],                                  # no cmd
        [msgpack.packb({"cmd": "frobnicate", "args": []})],             # unknown command
        [msgpack.packb({"cmd": "run", "args": ["nosuch"]})],            # unknown check
        [msgpack.packb({"cmd": "run", "args": ["../../etc/passwd"]})],
        [msgpack.packb({"cmd": "mute", "args": ["flaky", "-5"]})],
        [msgpack.packb({"cmd": "mute", "args": ["flaky", "99999999999999999999"]})],
    ]
    for frames in bad:
        reply = raw_request(agent, frames)
        if reply is not None:
            assert len(reply) == 1, (frames, reply)
            msg = msgpack.unpackb(reply[0], raw=False)
            assert msg["ok"] is False and msg["error"], (frames, msg)
        assert agent.ctl("ping")["ok"] is True, frames
    # A frame far over the limit: the connection is dropped, nothing else.
    assert raw_request(agent, [b"\x00" * (8 * 1024 * 1024)], timeout=1.0) is None
    assert agent.ctl("ping")["ok"] is True
    r, data = ctl_json(agent, "status")
    # Every refused request is counted (the huge frame never reached the agent's
    # code: ZeroMQ dropped the connection).
    assert data["counters"]["control_errors"] >= len(bad) - 3, data["counters"]


# ------------------------------------------------------------------ watch

class Watch:
    def __init__(self, heal, *args):
        self.p = subprocess.Popen([HEALCTL, "-c", heal.conf, "watch"] + list(args),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.lines = []

    def wait_line(self, pred, timeout=10.0, poke=None):
        end = deadline(timeout)
        for l in self.lines:
            if pred(l):
                return l
        next_poke = 0
        while time.monotonic() < end:
            if poke and time.monotonic() >= next_poke:
                poke()
                next_poke = time.monotonic() + 0.5 * SLOW
            ready, _, _ = select.select([self.p.stdout], [], [], 0.1)
            if ready:
                line = self.p.stdout.readline()
                if not line:
                    break
                self.lines.append(line)
                if pred(line):
                    return line
        raise AssertionError("watch printed no such line; got %r; stderr %r" % (
            self.lines[-10:], self.p.stderr.read() if self.p.poll() is not None else ""))

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        return self.p.wait(10 * SLOW)


def test_watch_lines_and_agent_restart(agent):
    w = Watch(agent)
    try:
        poke = lambda: agent.ctl("run", "flaky", timeout=20)
        line = w.wait_line(lambda l: "flaky" in l and "warning" in l, 20, poke)
        assert re.match(r"\d\d:\d\d:\d\d ", line), line
        # The agent goes away and comes back: watch carries on by itself.
        agent.agent.send_signal(signal.SIGTERM)
        agent.agent.wait(10 * SLOW)
        agent.start_agent()
        script(agent, "flaky", 2, "after the restart")
        w.wait_line(lambda l: "after the restart" in l, 20,
                    lambda: agent.ctl("run", "flaky", timeout=20))
        assert w.p.poll() is None
    finally:
        rc = w.stop()
    assert rc == 0, (rc, w.p.stderr.read())


def test_watch_json_with_prefix(agent):
    w = Watch(agent, "--json", "heal.check.warning")
    try:
        line = w.wait_line(lambda l: l.strip(), 20,
                           lambda: agent.ctl("run", timeout=20))
        event = json.loads(line)
        assert event["type"] == "check" and event["severity"] == "warning"
        assert event["check"] == "flaky" and "remedy" in event and "seq" in event
        # Only the prefix: the ok check never shows up.
        for l in w.lines:
            assert json.loads(l)["severity"] == "warning", l
    finally:
        rc = w.stop()
    assert rc == 0


# ------------------------------------------------- a misbehaving "agent"

def test_malformed_replies_exit_76(heal):
    """healctl decodes replies as strictly as the agent decodes requests."""
    heal.config()
    router = heal.ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(heal.control)
    replies = [
        [b"\xc1not msgpack"],
        [msgpack.packb({"ok": "yes", "data": None})],          # wrong type
        [msgpack.packb(["ok"])],                                # not a map
        [msgpack.packb({"ok": True, "error": None, "data": None}), b"extra"],
    ]
    try:
        for frames in replies:
            p = subprocess.Popen([HEALCTL, "-c", heal.conf, "-t", str(int(5000 * SLOW)),
                                  "ping"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            assert router.poll(int(10000 * SLOW)), "healctl sent nothing"
            request = router.recv_multipart()
            identity, body = request[0], request[-1]
            assert msgpack.unpackb(body, raw=False) == {"cmd": "ping", "args": []}
            router.send_multipart([identity, b""] + frames)
            out, err = p.communicate(timeout=30 * SLOW)
            assert p.returncode == 76 and "malformed reply" in err, (frames, p.returncode, err)
        # ok=false: the agent's error, exit 1; -e beats the config's endpoint.
        other = "ipc://%s/other" % heal.dir
        router.bind(other)
        p = subprocess.Popen([HEALCTL, "-c", heal.conf, "-e", other, "--timeout", "5s",
                              "mute", "web", "2h"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        assert router.poll(int(10000 * SLOW))
        request = router.recv_multipart()
        # DURATION went out as seconds.
        assert msgpack.unpackb(request[-1], raw=False) == {"cmd": "mute", "args": ["web", "7200"]}
        router.send_multipart([request[0], b"",
                               msgpack.packb({"ok": False, "error": "no check named 'web'",
                                              "data": None})])
        out, err = p.communicate(timeout=30 * SLOW)
        assert p.returncode == 1 and "no check named 'web'" in err, (p.returncode, err)
    finally:
        router.close(0)
