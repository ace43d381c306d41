"""The process kind against a real redis-server, started by the check itself.

Every redis runs on a free loopback port, daemonized, its pidfile and data in
the test's temp dir; killed redis processes are reaped by the subreaper
(tests/run.sh runs pytest under tini -s). The exit watch is proven by an
interval of 300 s: only it can explain a heal within seconds.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import AGENT, wait_for

REDIS = "/usr/bin/redis-server"

pytestmark = pytest.mark.skipif(not os.access(REDIS, os.X_OK),
                                reason="redis-server is not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def port_refuses(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


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


def redis_start(tmp, port, extra=""):
    return ("redis-server --port %d --bind 127.0.0.1 --daemonize yes --pidfile %s/redis.pid "
            "--save '' --appendonly no --dir %s --logfile %s/redis.log%s"
            % (port, tmp, tmp, tmp, extra))


class Redis:
    """Where the check's redis lives; kills it at the end."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.pidfile = os.path.join(tmp, "redis.pid")
        self.starts = os.path.join(tmp, "starts")

    def wrapper(self, extra=""):
        """A start script that counts its runs, then starts redis."""
        path = os.path.join(self.tmp, "start.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\necho start >> %s\nexec %s\n"
                    % (self.starts, redis_start(self.tmp, self.port, extra)))
        return "sh %s" % path

    def start_count(self):
        try:
            with open(self.starts) as f:
                return len(f.read().splitlines())
        except OSError:
            return 0

    def kill(self):
        pid = read_pid(self.pidfile)
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
        return pid


@pytest.fixture
def redis(heal, tmp):
    r = Redis(tmp)
    yield r
    # Stop the agent first: its exit watch would start redis again.
    for p in heal.procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    r.kill()


def check_block(name, keys, remedy, interval=None, critical=True):
    text = "check = %s\n    kind = process\n" % name
    if critical:
        text += "    critical = true\n"
    if interval:
        text += "    interval = %s\n" % interval
    for k, v in keys:
        text += "    %s = %s\n" % (k, v)
    if remedy:
        text += "    remedy\n"
        for k, v in remedy:
            text += "        %s = %s\n" % (k, v)
    return text


def q(s):
    return '"%s"' % s


def after(ts_ms):
    return lambda p: p.get("ts", 0) >= ts_ms


def test_kill9_heals_through_the_exit_watch(heal, redis):
    heal.config(check_block("redis",
                            [("pidfile", q(redis.pidfile)), ("port", redis.port),
                             ("match", q("redis-server"))],
                            [("start", q(redis.wrapper())), ("attempts", 10),
                             ("backoff", "10ms")]),
                interval=300)
    heal.start_agent()
    # Nothing runs at first: the first cycle starts redis and calls it healed.
    first = heal.bus.wait_topic("heal.check.healed.redis", 20)[1]
    assert first["remedy"]["action"] == "start"
    assert first["remedy"]["result"] == "healed"
    assert ping(redis.port)
    last = first
    for round_ in range(2):
        pid = read_pid(redis.pidfile)
        assert pid and alive(pid)
        os.kill(pid, signal.SIGKILL)
        # interval is 300 s: only the exit watch can bring it back this fast.
        # Newer than the last event read (by seq: a timestamp can equal the
        # previous event's when the kill comes within the same millisecond).
        topic, p = heal.bus.wait_topic("heal.check.healed.redis", 10,
                                       lambda p, s=last["seq"]: p["seq"] > s)
        assert p["remedy"]["result"] == "healed"
        assert p.get("metrics", {}).get("pid", 0) != pid
        wait_for(lambda: ping(redis.port), 5, "redis answering PING")
        new = read_pid(redis.pidfile)
        assert new != pid and alive(new)
        # A plain ok run before the next kill (it also ends the backoff the
        # agent keeps after an attempt).
        assert heal.ctl("run", "redis")["ok"]
        last = heal.bus.wait_topic("heal.check.ok.redis", 10,
                                   lambda p, s=p["seq"]: p["seq"] > s)[1]
    assert redis.start_count() == 3


@pytest.mark.parametrize("broken", ["start_fails", "dies_after_start"])
def test_crash_loop_spends_the_budget_once(heal, redis, broken):
    blocker = None
    if broken == "start_fails":
        # A broken config: redis refuses an unknown option and exits 1.
        start = redis.wrapper(" --no-such-option yes")
    else:
        # The start command succeeds (redis daemonizes), then the server
        # dies at once: its port is taken.
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", redis.port))
        blocker.listen()
        start = redis.wrapper()
    heal.config(check_block("redis",
                            [("pidfile", q(redis.pidfile)), ("port", redis.port),
                             ("start_timeout", "500ms")],
                            [("start", q(start)),
                             ("attempts", 3), ("within", 900), ("backoff", "10ms")],
                            interval=1),
                interval=300)
    try:
        s_crash_loop(heal, redis, broken)
    finally:
        if blocker:
            blocker.close()


def s_crash_loop(heal, redis, broken):
    heal.start_agent()
    alert = heal.bus.wait(lambda t, p: t == "heal.alert.redis" and p.get("alert") == "gave_up",
                          30, "gave_up alert")
    assert redis.start_count() == 3
    # Three more runs after giving up: no more starts, no second alert.
    gave_up_ts = alert[1]["ts"]
    runs = []

    def later_runs(t, p):
        if t.startswith("heal.check.") and t.endswith(".redis") and p["ts"] > gave_up_ts:
            runs.append(p)
        return len(runs) >= 3
    heal.bus.wait(later_runs, 15, "three runs after giving up")
    for p in runs:
        assert p["severity"] == "critical"
        assert p["remedy"] is None or p["remedy"]["result"] in ("gave_up", "skipped",
                                                                 "throttled")
    assert redis.start_count() == 3
    alerts = [p for t, p in heal.bus.seen
              if t == "heal.alert.redis" and p.get("alert") == "gave_up"]
    assert len(alerts) == 1
    # The failed attempts said why.
    failed = [p for t, p in heal.bus.seen
              if t.startswith("heal.check.critical.redis") and p.get("remedy")
              and p["remedy"]["result"] == "failed"]
    why = "exit 1" if broken == "start_fails" else "not ready"
    assert failed and why in failed[0]["remedy"]["output"], failed[0]["remedy"]


@pytest.mark.parametrize("stale", ["dead", "reused"])
def test_stale_pidfile_is_started_again(heal, redis, stale):
    if stale == "dead":
        p = subprocess.Popen(["true"])
        p.wait()
        bystander = None
        pid = p.pid
    else:
        # A live process that is not redis holds the pid in the pidfile.
        bystander = subprocess.Popen(["sleep", "600"])
        pid = bystander.pid
    with open(redis.pidfile, "w") as f:
        f.write("%d\n" % pid)
    try:
        heal.config(check_block("redis",
                                [("pidfile", q(redis.pidfile)), ("port", redis.port),
                                 ("match", q("redis-server"))],
                                [("start", q(redis.wrapper()))]),
                    interval=300)
        heal.start_agent()
        topic, p = heal.bus.wait_topic("heal.check.healed.redis", 20)
        assert ping(redis.port)
        new = read_pid(redis.pidfile)
        assert new != pid and alive(new)
        assert redis.start_count() == 1
        if bystander:
            assert bystander.poll() is None      # never touched
    finally:
        if bystander:
            bystander.kill()
            bystander.wait()


def test_port_only(heal, redis):
    heal.config(check_block("redis", [("port", redis.port)],
                            [("start", q(redis.wrapper()))]),
                interval=300)
    heal.start_agent()
    heal.bus.wait_topic("heal.check.healed.redis", 20)
    assert ping(redis.port)
    ok_ts = int(time.time() * 1000)
    reply = heal.ctl("run", "redis")
    assert reply["ok"], reply
    heal.bus.wait_topic("heal.check.ok.redis", 10, after(ok_ts))
    # Killed: no process to watch, so a run finds it down and starts it.
    assert redis.start_count() == 1
    pid = read_pid(redis.pidfile)
    assert pid and alive(pid), "no live redis pid in %s" % redis.pidfile
    redis.kill()
    # Gone means its port refuses (a dying multi-threaded server keeps its
    # socket until its last thread has exited).
    wait_for(lambda: not alive(pid) and port_refuses(redis.port), 5, "redis gone")
    killed = int(time.time() * 1000)
    reply = heal.ctl("run", "redis")
    assert reply["ok"], reply
    heal.bus.wait_topic("heal.check.healed.redis", 10, after(killed))
    assert ping(redis.port)
    assert redis.start_count() == 2


def test_start_command_that_hangs(heal, tmp):
    pidfile = os.path.join(tmp, "never.pid")
    heal.config(check_block("svc", [("pidfile", q(pidfile)), ("start_timeout", "300ms")],
                            [("start", q("sleep 30")), ("attempts", 1)]),
                interval=300)
    heal.start_agent()
    topic, p = heal.bus.wait_topic("heal.check.critical.svc", 15)
    assert "not running" in p["message"]
    assert p["remedy"]["result"] in ("failed", "gave_up")
    failed = [m for t, m in heal.bus.seen
              if t == "heal.check.critical.svc" and m.get("remedy")
              and m["remedy"]["result"] == "failed"]
    assert failed and "timed out" in failed[0]["remedy"]["output"]


def test_bad_keys_are_config_errors(tmp):
    conf = os.path.join(tmp, "heal.conf")
    cases = [([("match", q("/a(b/"))], "match"),
             ([("pidfile", q("relative.pid"))], "pidfile"),
             ([("match", q("x")), ("port", 70000)], "port"),
             ([("match", q("x")), ("pidfle", q("/x"))], "pidfle")]
    for keys, key in cases:
        with open(conf, "w") as f:
            f.write(check_block("svc", keys, None))
        os.chmod(conf, 0o600)
        r = subprocess.run([AGENT, "-n", "-c", conf], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 78, (keys, r.stderr)
        assert "'svc'" in r.stderr and key in r.stderr, r.stderr
