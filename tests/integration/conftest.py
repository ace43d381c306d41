"""Shared helpers for the integration tests: real binaries, real sockets.

Every wait has a deadline and waits for an event, a file or a port; nothing
sleeps to synchronise. Binaries come from $HEAL_BUILD/bin (default build/).
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import msgpack
import pytest
import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("HEAL_BUILD", "build"))
BIN = os.path.join(BUILD, "bin")
AGENT = os.path.join(BIN, "heal-agent")
DIAGNOSER = os.path.join(BIN, "heal-diagnoser")
HEALCTL = os.path.join(BIN, "healctl")
SANITIZE = os.environ.get("HEAL_SANITIZE") == "1"
# Sanitized binaries are slower: stretch deadlines, never assertions on speed.
SLOW = 4.0 if SANITIZE else 1.0


def deadline(seconds):
    return time.monotonic() + seconds * SLOW


def wait_for(pred, timeout=5.0, what="condition", interval=0.01):
    """Poll pred() until it returns a truthy value or the deadline passes."""
    end = deadline(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def wait_port(port, host="127.0.0.1", timeout=5.0):
    def ok():
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            return False
    return wait_for(ok, timeout, "port %d" % port)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, text):
    """Write a config file 0600 (heal refuses group/world-writable configs)."""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


class Bus:
    """A SUB socket on the agent's bus, in Python: the proof that tools we did
    not write can read it."""

    def __init__(self, ctx, endpoint, prefixes=("",)):
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        # Reconnect quickly: after an agent restart the SUB must be back within
        # the agent's start grace (250 ms) to hear "started" and cycle 1; the
        # 100 ms default left too little margin on a loaded machine.
        self.sock.setsockopt(zmq.RECONNECT_IVL, 10)
        for p in prefixes:
            self.sock.setsockopt(zmq.SUBSCRIBE, p.encode())
        self.sock.connect(endpoint)
        self.seen = []

    def recv(self, timeout=5.0):
        """Next (topic, payload) or None at the deadline."""
        if self.sock.poll(int(timeout * 1000 * SLOW)):
            frames = self.sock.recv_multipart()
            assert len(frames) == 2, frames
            msg = (frames[0].decode(), msgpack.unpackb(frames[1], raw=False))
            self.seen.append(msg)
            return msg
        return None

    def wait(self, pred, timeout=10.0, what="event"):
        """Wait for an event with pred(topic, payload) true; returns it."""
        end = deadline(timeout)
        for m in self.seen:
            if pred(*m):
                return m
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %s; saw %s" % (
                    what, [t for t, _ in self.seen][-20:]))
            m = self.recv(left / SLOW)
            if m and pred(*m):
                return m

    def wait_topic(self, prefix, timeout=10.0, pred=None):
        return self.wait(lambda t, p: t.startswith(prefix) and (pred is None or pred(p)),
                         timeout, "topic " + prefix)

    def close(self):
        self.sock.close(0)


class Heal:
    """A temporary heal installation: its own dir, endpoints and config.

    h = Heal(tmp); h.config(checks="...") ; h.start_agent(); h.bus.wait_topic(...)
    """

    def __init__(self, tmpdir):
        self.dir = tmpdir
        self.state = os.path.join(tmpdir, "state")
        self.publish = "ipc://%s/bus" % tmpdir
        self.inbound = "ipc://%s/in" % tmpdir
        self.control = "ipc://%s/ctl" % tmpdir
        self.conf = os.path.join(tmpdir, "heal.conf")
        self.ctx = zmq.Context()
        self.procs = []
        self.bus = None

    def config(self, checks="", interval=300, extra="", diagnoser=""):
        text = (
            "agent\n"
            "    interval = %d\n"
            "    state_dir = \"%s\"\n"
            "    path = \"/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\"\n"
            "bus\n"
            "    publish = \"%s\"\n"
            "    inbound = \"%s\"\n"
            "control\n"
            "    endpoint = \"%s\"\n" % (interval, self.state, self.publish,
                                          self.inbound, self.control))
        if diagnoser:
            text += "diagnoser\n" + diagnoser
        text += extra + checks
        return write_config(self.conf, text)

    def subscribe(self, prefixes=("",)):
        b = Bus(self.ctx, self.publish, prefixes)
        return b

    def spawn(self, argv, **kw):
        kw.setdefault("stdout", open(os.path.join(self.dir, os.path.basename(argv[0]) + ".out"), "ab"))
        kw.setdefault("stderr", subprocess.STDOUT)
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def start_agent(self, *args, wait=True):
        """Start heal-agent with a bus subscriber connected first; waits for
        the `heal.agent` started event."""
        if self.bus is None:
            self.bus = self.subscribe()
        self.agent = self.spawn([AGENT, "-c", self.conf] + list(args))
        if wait:
            self.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "started",
                          10, "agent started")
        return self.agent

    def ctl(self, cmd, *args, timeout=5.0):
        """One REQ/REP round trip; returns the decoded reply map."""
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(self.control)
        try:
            s.send(msgpack.packb({"cmd": cmd, "args": list(args)}))
            if not s.poll(int(timeout * 1000 * SLOW)):
                raise AssertionError("no reply to %s" % cmd)
            return msgpack.unpackb(s.recv(), raw=False)
        finally:
            s.close(0)

    def healctl(self, *args, timeout=30):
        return subprocess.run([HEALCTL, "-c", self.conf] + list(args),
                              capture_output=True, text=True, timeout=timeout * SLOW)

    def report(self):
        import json
        with open(os.path.join(self.state, "report.json")) as f:
            return json.load(f)

    def stop(self):
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10 * SLOW)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.bus:
            self.bus.close()
        self.ctx.term()


@pytest.fixture
def tmp():
    """A short directory under /tmp (ipc paths are limited to ~104 bytes)."""
    d = tempfile.mkdtemp(prefix="heal-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def heal(tmp):
    h = Heal(tmp)
    yield h
    h.stop()


# --- helpers added for the agent's tests (test_agent.py) ---------------------

def command_check(name, run, critical=False, interval=None, timeout=None,
                  remedy=None, attempts=None, within=None, backoff=None, verify=None,
                  depends=None, description=None):
    """A `command` check block (ZPL). remedy: the remedy's `run` command;
    verify: the re-check window after it (the kind's default is 10 s: tests
    of a remedy that does not help pass 0 to see `failed` at once)."""
    def q(s):
        return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
    text = "check = %s\n    kind = command\n    run = %s\n" % (name, q(run))
    if critical:
        text += "    critical = true\n"
    if interval is not None:
        text += "    interval = %s\n" % interval
    if timeout is not None:
        text += "    timeout = %s\n" % timeout
    if depends is not None:
        text += "    depends = %s\n" % depends
    if description is not None:
        text += "    description = %s\n" % q(description)
    if remedy is not None or attempts is not None or verify is not None:
        text += "    remedy\n"
        if remedy is not None:
            text += "        run = %s\n" % q(remedy)
        if attempts is not None:
            text += "        attempts = %s\n" % attempts
        if within is not None:
            text += "        within = %s\n" % within
        if backoff is not None:
            text += "        backoff = %s\n" % backoff
        if verify is not None:
            text += "        verify = %s\n" % verify
    return text


def ctl_raw(ctx, endpoint, frames, timeout=5.0):
    """Send raw frames on a REQ-like DEALER (with the empty delimiter) and
    return the decoded reply map, or None at the deadline."""
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    try:
        s.send_multipart([b""] + list(frames))
        if not s.poll(int(timeout * 1000 * SLOW)):
            return None
        reply = s.recv_multipart()
        assert reply[0] == b"", reply
        assert len(reply) == 2, reply
        return msgpack.unpackb(reply[1], raw=False)
    finally:
        s.close(0)


def wait_exit(proc, timeout=10.0):
    """Wait for a process to exit; returns its exit code."""
    return proc.wait(timeout * SLOW)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_reports(directory):
    """Sanitizer reports in the *.out logs of the processes a Heal spawned."""
    found = []
    for name in os.listdir(directory):
        if name.endswith(".out"):
            with open(os.path.join(directory, name), errors="replace") as f:
                text = f.read()
            if any(m in text for m in SANITIZER_MARKS):
                found.append("%s:\n%s" % (name, text[-4000:]))
    return found
