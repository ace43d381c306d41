"""heal-notify, real processes: the agent (or tests/tools/alert_pub, a stand-in
agent that can publish alerts on demand), heal-notify, a webhook receiver
(http.server in this process) and a real Alertmanager."""
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import urlopen

import pytest

from conftest import (BIN, BUILD, SLOW, command_check, deadline, free_port,
                      wait_for, wait_port, write_config)

NOTIFY = os.path.join(BIN, "heal-notify")
ALERT_PUB = os.path.join(BUILD, "tools", "alert_pub")
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


# --- a webhook receiver ------------------------------------------------------

class Receiver:
    """POSTs land in self.posts (path, headers, body). self.script: a list of
    behaviours consumed one per request ("ok", an int status, ("status",
    code, headers), ("slow", seconds)); empty = 200."""

    def __init__(self, port=None, delay=0.0):
        self.posts = []
        self.script = []
        self.attempts = []      # (monotonic time, behaviour)
        self.delay = delay
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    act = outer.script.pop(0) if outer.script else "ok"
                    outer.attempts.append((time.monotonic(), act))
                if outer.delay:
                    time.sleep(outer.delay)
                if isinstance(act, tuple) and act[0] == "slow":
                    time.sleep(act[1])      # the client gave up meanwhile
                    act = 200
                if act == "ok":
                    with outer.lock:
                        outer.posts.append((self.path, dict(self.headers), body))
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    return
                code, headers = (act, {}) if isinstance(act, int) else (act[1], act[2])
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def items(self):
        with self.lock:
            out = []
            for _, _, body in self.posts:
                out.extend(json.loads(body)["items"])
            return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


# --- heal-notify and its stand-in agent -----------------------------------------

class Notify:
    def __init__(self, tmp):
        self.dir = tmp
        self.state = os.path.join(tmp, "state")
        self.publish = "ipc://%s/bus" % tmp
        self.conf = os.path.join(tmp, "heal.conf")
        self.proc = None
        self.pub = None
        self.log = os.path.join(tmp, "notify.out")

    def config(self, destinations, notify="", checks="", interval=300):
        text = ("agent\n    interval = %d\n    state_dir = \"%s\"\n"
                "    path = \"/usr/local/bin:/usr/bin:/bin\"\n"
                "bus\n    publish = \"%s\"\n    inbound = \"ipc://%s/in\"\n"
                "control\n    endpoint = \"ipc://%s/ctl\"\n"
                % (interval, self.state, self.publish, self.dir, self.dir))
        if notify:
            text += "notify\n" + notify
        text += destinations + checks
        write_config(self.conf, text)

    def start_pub(self):
        self.pub = subprocess.Popen([ALERT_PUB, self.publish], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, bufsize=1)

    def pub_do(self, line, timeout=30):
        self.pub.stdin.write(line + "\n")
        self.pub.stdin.flush()
        assert self.pub.stdout.readline().strip() == "ok", line

    def start(self, wait_pub=True):
        """Start heal-notify; with the stand-in agent, wait until it subscribed."""
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([NOTIFY, "-v", "-c", self.conf],
                                         stdout=out, stderr=subprocess.STDOUT)
        if self.pub and wait_pub:
            self.pub_do("wait")
        return self.proc

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def outbox(self, dest):
        """Messages pending in a destination's outbox (batch files NNN-COUNT.json
        less what their .done file says was delivered)."""
        d = os.path.join(self.state, "notify", "outbox", dest)
        total = 0
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            return 0
        for n in names:
            if n.endswith(".json") and n[0].isdigit():
                done = 0
                try:
                    with open(os.path.join(d, n + ".done")) as f:
                        done = int(f.read())
                except (FileNotFoundError, ValueError):
                    pass
                total += max(0, int(n[21:27]) - done)
        return total

    def outbox_ids(self, dest):
        """Item ids of the messages pending in a destination's outbox."""
        d = os.path.join(self.state, "notify", "outbox", dest)
        ids = set()
        for n in os.listdir(d) if os.path.isdir(d) else []:
            if not (n.endswith(".json") and n[0].isdigit()):
                continue
            try:
                with open(os.path.join(d, n)) as f:
                    messages = json.load(f)["messages"]
                done = 0
                if os.path.exists(os.path.join(d, n + ".done")):
                    with open(os.path.join(d, n + ".done")) as f:
                        done = int(f.read())
            except (OSError, ValueError):
                continue            # delivered and removed meanwhile
            for m in messages[done:]:
                ids.update(i["id"] for i in m["items"])
        return ids

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                assert self.proc.wait(10 * SLOW) == 0
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
        if self.pub:
            self.pub.stdin.close()
            self.pub.wait(5)


@pytest.fixture
def notify(tmp):
    n = Notify(tmp)
    yield n
    n.stop()


def webhook(name, url, extra=""):
    return "destination = %s\n    kind = webhook\n    url = \"%s\"\n    timeout = 1s\n%s" % (
        name, url, extra)


# --- Alertmanager ---------------------------------------------------------------

class Alertmanager:
    """Debian's prometheus-alertmanager on a loopback port, its own config and
    storage; restart() brings up a fresh one (empty storage) on the same port."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "am")
        os.makedirs(self.dir)
        self.conf = os.path.join(self.dir, "am.yml")
        with open(self.conf, "w") as f:
            f.write("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.runs = 0
        self.start()

    def start(self):
        self.runs += 1
        storage = os.path.join(self.dir, "data%d" % self.runs)
        os.makedirs(storage)
        out = open(os.path.join(self.dir, "am.log"), "ab")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, "--config.file=" + self.conf, "--storage.path=" + storage,
             "--web.listen-address=127.0.0.1:%d" % self.port, "--cluster.listen-address="],
            stdout=out, stderr=subprocess.STDOUT)
        out.close()

        def ready():
            try:
                return urlopen(self.url + "/-/ready", timeout=0.5).status == 200
            except OSError:
                return False
        wait_for(ready, 15, "alertmanager ready", interval=0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture
def am(tmp):
    if not os.path.exists(ALERTMANAGER):
        pytest.skip("prometheus-alertmanager is not installed (scripts/deps.sh)")
    a = Alertmanager(tmp)
    yield a
    a.stop()


@pytest.fixture
def alertmanager(am):
    return am.url


def am_alerts(base):
    return json.load(urlopen(base + "/api/v2/alerts", timeout=2))


# --- tests ------------------------------------------------------------------------

def test_config_errors_name_destination_and_key_without_secrets(notify):
    notify.config("destination = phone\n    kind = webhook\n"
                  "    url = \"ftp://user:s3cr3t@example.com/x\"\n")
    for binary in ("heal-notify", "heal-agent", "healctl"):
        p = subprocess.run([os.path.join(BIN, binary), "-c", notify.conf, "-n"],
                           capture_output=True, text=True)
        assert p.returncode == 78, (binary, p.stderr)
        assert "%s: destination 'phone': key 'url': " % notify.conf in p.stderr, p.stderr
        assert "s3cr3t" not in p.stderr
    for dest, needle in [
        ("destination = x\n    kind = pager\n", "destination 'x': key 'kind'"),
        ("destination = x\n    kind = command\n", "destination 'x': key 'run': missing"),
        ("destination = x\n    kind = webhook\n    url = \"http://a\"\n    on = gave_up, nope\n",
         "destination 'x': key 'on'"),
        ("destination = x\n    kind = webhook\n    url = \"http://a\"\n    fromat = json\n",
         "did you mean 'format'"),
        ("destination = x\n    kind = desktop\n"
         "destination = x\n    kind = desktop\n", "duplicate destination"),
    ]:
        notify.config(dest)
        p = subprocess.run([NOTIFY, "-c", notify.conf, "-n"], capture_output=True, text=True)
        assert p.returncode == 78 and needle in p.stderr, (dest, p.stderr)
    notify.config(webhook("ok", "http://127.0.0.1:9/x"), notify="    group_wait = 0s\n")
    assert subprocess.run([NOTIFY, "-c", notify.conf, "-n"]).returncode == 0


def test_flags():
    p = subprocess.run([NOTIFY, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("heal-notify ")
    assert subprocess.run([NOTIFY, "-h"], capture_output=True).returncode == 0
    assert subprocess.run([NOTIFY, "--bogus"], capture_output=True).returncode == 64


def test_real_agent_gave_up_reaches_webhook_and_alertmanager(heal, receiver, alertmanager):
    """A check that gives up: one webhook message and one firing alert in
    Alertmanager with the right labels; recovery resolves both."""
    flag = os.path.join(heal.dir, "up")
    check = command_check("dead", "test -f %s || { echo refused; exit 2; }" % flag,
                          critical=True, remedy="echo nope; exit 1", attempts=1,
                          within=900, backoff=0)
    dests = (webhook("hook", receiver.url(), "    on = gave_up, recovered\n")
             + "destination = am\n    kind = alertmanager\n    url = \"%s\"\n" % alertmanager)
    probe = command_check("probe", "echo fine")
    heal.config(checks=check + probe, extra=dests)
    notify = heal.spawn([NOTIFY, "-v", "-c", heal.conf])
    heal.start_agent()
    # heal-notify hears the bus once its subscription is through: run a
    # harmless check until it says so, then spend the remedy budget.
    log = os.path.join(heal.dir, "heal-notify.out")

    def hearing():
        heal.ctl("run", "probe")
        return "hearing" in open(log, errors="replace").read()
    wait_for(hearing, 10, "heal-notify hearing the agent", interval=0.05)
    def gave_up():
        r = heal.ctl("run", "dead", timeout=10)
        assert r["ok"], r
        return any(t == "heal.alert.dead" and p["alert"] == "gave_up"
                   for t, p in heal.bus.seen) or heal.bus.recv(0.2) and any(
            t == "heal.alert.dead" and p["alert"] == "gave_up" for t, p in heal.bus.seen)
    wait_for(gave_up, 10, "gave_up alert")
    wait_for(lambda: receiver.posts, 5, "webhook message")
    items = receiver.items()
    assert [i["alert"] for i in items] == ["gave_up"], items
    msg = items[0]
    assert msg["check"] == "dead" and "heal gave up" in msg["title"]
    assert "refused" in msg["text"] and "heal tried" in msg["text"] and "Next:" in msg["text"]

    def firing():
        return [a for a in am_alerts(alertmanager) if a["labels"].get("check") == "dead"]
    alerts = wait_for(firing, 5, "alert in Alertmanager")
    assert len(alerts) == 1
    labels = alerts[0]["labels"]
    assert labels["alertname"] == "HealCheckFailing" and labels["severity"] == "critical"
    assert labels["kind"] == "command" and labels["host"] and labels["check"] == "dead"
    assert alerts[0]["annotations"]["summary"]
    assert alerts[0]["status"]["state"] == "active"

    with open(flag, "w"):
        pass
    heal.ctl("run", "dead", timeout=10)
    wait_for(lambda: len(receiver.posts) == 2, 5, "recovered message")
    rec = receiver.items()[1]
    assert rec["alert"] == "recovered" and "is back after" in rec["text"]
    assert rec["incident"] == msg["incident"]
    wait_for(lambda: not firing(), 5, "resolved in Alertmanager")
    assert notify.poll() is None


def test_alertmanager_learns_firing_alerts_again(notify, am):
    """Firing alerts are resent: an Alertmanager that lost its state (restarted
    with empty storage) has them again from heal-notify, which keeps them in
    firing.json across its own restarts; a diagnosis is added to the alert."""
    notify.config("destination = am\n    kind = alertmanager\n    url = \"%s/\"\n" % am.url)
    notify.start_pub()
    notify.start()
    notify.pub_do("alert web gave_up")

    def web():
        return [a for a in am_alerts(am.url) if a["labels"].get("check") == "web"]
    wait_for(web, 5, "firing")
    notify.pub_do("diagnosis web the certificate expired")
    wait_for(lambda: web() and web()[0]["annotations"].get("diagnosis"), 5, "diagnosis")
    assert web()[0]["annotations"]["diagnosis"] == "the certificate expired"
    notify.proc.send_signal(signal.SIGTERM)
    assert notify.proc.wait(10 * SLOW) == 0
    am.restart()
    assert not web()
    notify.start(wait_pub=False)
    alerts = wait_for(web, 5, "resent after the restarts")
    assert alerts[0]["labels"]["severity"] == "critical"
    assert alerts[0]["annotations"]["diagnosis"] == "the certificate expired"


def test_diagnosis_follows_its_alert(notify, receiver):
    notify.config(webhook("hook", receiver.url()))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert db gave_up")
    wait_for(lambda: len(receiver.posts) == 1, 5, "alert")
    notify.pub_do("diagnosis db the disk under the database is full")
    wait_for(lambda: len(receiver.posts) == 2, 5, "diagnosis")
    alert, diag = receiver.items()
    assert diag["type"] == "diagnosis" and diag["check"] == "db"
    assert diag["incident"] == alert["incident"] and diag["follows"] == alert["id"]
    assert "disk under the database is full" in diag["text"]
    # the same diagnosis again is not news
    notify.pub_do("diagnosis db the disk under the database is full")
    notify.pub_do("alert other critical")
    wait_for(lambda: len(receiver.posts) == 3, 5, "next alert")
    assert receiver.items()[2]["check"] == "other"


def test_kill9_while_alerts_flow_loses_and_repeats_nothing(notify):
    """200 alerts; heal-notify is killed -9 mid-delivery and restarted: every
    alert arrives, none twice (the outbox on disk, removed on delivery)."""
    slow = Receiver(delay=0.02)
    try:
        notify.config(webhook("hook", slow.url()))
        notify.start_pub()
        notify.start()
        notify.pub_do("alert svc gave_up 200 2000")

        def ids():
            return {i["id"] for i in slow.items()}
        # killed once every alert is on disk or delivered, while delivery goes
        # on (an alert still in the socket at the kill would be lost until the
        # catch-up of issue 15: that is not what this test is about)
        wait_for(lambda: len(notify.outbox_ids("hook") | ids()) >= 200, 10, "all accepted")
        assert len(ids()) < 200
        notify.kill9()
        got = len(ids())
        notify.start(wait_pub=False)
        try:
            wait_for(lambda: len(ids()) >= 200, 20, "all 200 delivered")
        except AssertionError:
            raise AssertionError("%d delivered, %d pending; log:\n%s" % (
                len(ids()), notify.outbox("hook"), notify.logtext()[-3000:]))
        items = slow.items()
        # At-least-once: only the request in flight at the kill (the receiver
        # took it, heal-notify died before recording that) may come again, and
        # then with the same ids, the dedupe keys a receiver can drop it by.
        ids_seen = [i["id"] for i in items]
        twice = {i for i in ids_seen if ids_seen.count(i) > 1}
        assert len(set(ids_seen)) == 200
        posts = [{i["id"] for i in json.loads(body)["items"]} for _, _, body in slow.posts]
        assert not twice or any(twice <= p for p in posts), twice
        assert len(items) - 200 == len(twice)
        assert {i["check"] for i in items} == {"svc-%d" % n for n in range(1, 201)}
        assert got < 200
        wait_for(lambda: not notify.outbox("hook"), 5, "outbox empty")
    finally:
        slow.stop()


def test_receiver_down_then_everything_delivered(notify):
    port = free_port()
    notify.config(webhook("hook", "http://127.0.0.1:%d/hook" % port))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert x gave_up 20")
    wait_for(lambda: notify.outbox("hook") == 20, 5, "20 queued on disk")
    wait_for(lambda: "will retry" in notify.logtext(), 5, "a failed attempt")
    r = Receiver(port=port)
    try:
        wait_for(lambda: len(r.items()) == 20, 15, "delivered after the receiver came back")
        assert sorted(i["check"] for i in r.items()) == sorted("x-%d" % n for n in range(1, 21))
    finally:
        r.stop()


def test_outbox_full_drops_oldest_and_says_so(notify):
    """Past NOTIFY_OUTBOX_MAX (10,000) pending messages the oldest are dropped
    and counted, and the next message delivered says how many."""
    port = free_port()
    notify.config(webhook("hook", "http://127.0.0.1:%d/hook" % port))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert f gave_up 10300")
    wait_for(lambda: notify.outbox("hook") >= 10000, 30, "outbox filled")
    r = Receiver(port=port)
    try:
        wait_for(lambda: notify.outbox("hook") == 0, 30, "outbox drained")
        docs = [json.loads(body) for _, _, body in r.posts]
        got = {i["check"] for d in docs for i in d["items"]}
        dropped = sum(d.get("dropped") or 0 for d in docs)
        assert 0 < dropped and len(got) + dropped == 10300, (len(got), dropped)
        assert len(got) >= 10000 - 256           # at most one batch more than the bound
        assert "f-1" not in got and "f-10300" in got   # the oldest went, the newest stayed
        said = [d for d in docs if d.get("dropped")]
        assert "older message(s) were dropped" in said[0]["text"]
    finally:
        r.stop()


def test_500_429_retry_after_slow_then_delivered(notify, receiver):
    receiver.script = [500, ("status", 429, {"Retry-After": "1"}), ("slow", 2.0), "ok"]
    notify.config(webhook("hook", receiver.url()))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert y gave_up")
    wait_for(lambda: receiver.posts, 15, "delivered after 500, 429, a timeout")
    times = [t for t, _ in receiver.attempts]
    assert len(times) >= 4
    assert times[2] - times[1] >= 0.95, "Retry-After: 1 not honoured: %s" % times
    assert [i["check"] for i in receiver.items()] == ["y"]
    log = notify.logtext()
    assert "HTTP 500" in log and "HTTP 429" in log


def test_garbage_reply_retried_and_other_destination_not_delayed(notify, receiver):
    """A destination answering garbage (not HTTP) is retried; a second, healthy
    destination gets its message at once meanwhile."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def garbage():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            try:
                c.recv(65536)
                c.sendall(b"\x00\xffnot http at all\r\n\r\n")
            except OSError:
                pass
            c.close()
    t = threading.Thread(target=garbage, daemon=True)
    t.start()
    try:
        notify.config(webhook("bad", "http://127.0.0.1:%d/x" % port) +
                      webhook("good", receiver.url()))
        notify.start_pub()
        notify.start()
        start = time.monotonic()
        notify.pub_do("alert z critical")
        wait_for(lambda: receiver.posts, 5, "good destination")
        assert time.monotonic() - start < 1.0 * SLOW
        wait_for(lambda: "destination 'bad'" in notify.logtext(), 5, "bad retried")
        assert notify.outbox("bad") == 1 and notify.outbox("good") == 0
    finally:
        stop.set()
        t.join()
        srv.close()


def test_secret_in_url_never_logged(notify):
    port = free_port()
    notify.config(webhook("hook", "http://127.0.0.1:%d/topic-s3cr3t?token=t0k3n" % port,
                          "    token = \"b3ar3r\"\n"))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert s gave_up")
    wait_for(lambda: notify.logtext().count("will retry") >= 2, 5, "retries")
    log = notify.logtext()
    for secret in ("s3cr3t", "t0k3n", "b3ar3r"):
        assert secret not in log


def test_tls_failure_retried_and_kept(notify, receiver):
    """https to a server that speaks plain HTTP: a TLS failure, retried, the
    message kept in the outbox, the URL never in the log."""
    notify.config(webhook("hook", "https://127.0.0.1:%d/tls-s3cr3t" % receiver.port))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert t gave_up")
    wait_for(lambda: notify.logtext().count("destination 'hook'") >= 2, 5, "TLS retries")
    assert notify.outbox("hook") == 1 and not receiver.posts
    assert "s3cr3t" not in notify.logtext()


def test_command_destination_gets_json_and_env_and_is_killed_at_timeout(notify, tmp):
    out = os.path.join(tmp, "cmd.out")
    script = os.path.join(tmp, "page.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ncat > %s.json\nenv | grep ^HEAL_ > %s.env\n"
                "[ -f %s.hang ] && { rm %s.hang; sleep 30 & echo $! > %s.pid; sleep 30; }\nexit 0\n"
                % (out, out, out, out, out))
    os.chmod(script, 0o755)
    open(out + ".hang", "w").close()
    notify.config("destination = pager\n    kind = command\n    run = \"%s\"\n"
                  "    timeout = 1s\n" % script)
    notify.start_pub()
    notify.start()
    notify.pub_do("alert cmd gave_up")
    # first run hangs: killed with its group at 1 s, then retried and delivered
    wait_for(lambda: "timed out" in notify.logtext(), 5, "timeout")
    wait_for(lambda: os.path.exists(out + ".env") and not os.path.exists(out + ".hang")
             and "HEAL_CHECK" in open(out + ".env").read(), 10, "retried")
    wait_for(lambda: not notify.outbox("pager"), 5, "delivered")
    doc = json.load(open(out + ".json"))
    assert doc["items"][0]["check"] == "cmd" and doc["title"]
    env = open(out + ".env").read()
    assert "HEAL_ALERT=gave_up" in env and "HEAL_CHECK=cmd" in env
    # the hung run's background child was killed with its process group
    pid = int(open(out + ".pid").read())
    def gone():
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().split(")")[1].split()[0] == "Z"
        except FileNotFoundError:
            return True
    wait_for(gone, 5, "group killed")


def test_gap_in_seq_is_logged(notify, receiver):
    """Alerts published while heal-notify is down are a gap in the agent's
    seq: logged, naming the range (catch-up arrives with issue 15)."""
    notify.config(webhook("hook", receiver.url()))
    notify.start_pub()
    notify.start()
    notify.pub_do("alert a gave_up")             # seq 1, 2 (check event + alert)
    wait_for(lambda: receiver.posts, 5, "first alert")
    notify.proc.send_signal(signal.SIGTERM)
    assert notify.proc.wait(10 * SLOW) == 0
    notify.pub_do("alert b gave_up 3")           # seq 3..8: nobody listening
    notify.start()
    notify.pub_do("alert c gave_up")             # seq 9, 10
    wait_for(lambda: len(receiver.posts) == 2, 5, "alert after the restart")
    log = notify.logtext()
    assert "missed 6 bus message(s) from " in log and "(seq 3..8)" in log, log[-2000:]
    assert [i["check"] for i in receiver.items()] == ["a", "c"]


def test_group_wait_sends_one_message(notify, receiver):
    notify.config(webhook("hook", receiver.url()), notify="    group_wait = 300ms\n")
    notify.start_pub()
    notify.start()
    notify.pub_do("alert g critical 3")
    wait_for(lambda: receiver.posts, 5, "grouped message")
    time.sleep(0.5 * SLOW)  # nothing else may follow: the three went out as one
    assert len(receiver.posts) == 1
    doc = json.loads(receiver.posts[0][2])
    assert [i["check"] for i in doc["items"]] == ["g-1", "g-2", "g-3"]
    assert doc["title"].startswith("heal: 3 alerts on ")


def test_second_instance_refused(notify, receiver):
    notify.config(webhook("hook", receiver.url()))
    notify.start()
    wait_for(lambda: "listening" in notify.logtext(), 5, "first instance")
    p = subprocess.run([NOTIFY, "-c", notify.conf], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 1 and "another heal-notify is running" in p.stderr


def test_digest_on_sigusr1(notify, receiver):
    """The digest says what heal healed and where it gave up (with the
    diagnosis); SIGUSR1 sends it now, whatever the schedule."""
    notify.config(webhook("hook", receiver.url(), "    on = digest\n"),
                  notify="    digest = \"mon 09:00\"\n")
    notify.start_pub()
    notify.start()
    notify.pub_do("healed redis 3")
    notify.pub_do("healed ollama 1")
    notify.pub_do("alert tunnel gave_up")
    notify.pub_do("diagnosis tunnel the ssh key expired")
    notify.pub_do("alert other critical")      # the next message proves the rest was read
    wait_for(lambda: "critical: other" in notify.logtext(), 5, "events read")
    assert not receiver.posts                  # on = digest only
    notify.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: receiver.posts, 5, "digest")
    item = receiver.items()[0]
    assert item["type"] == "digest" and item["healed"] == 4
    text = item["text"]
    assert "heal healed 4 problems since" in text and "(redis 3, ollama 1)" in text, text
    assert "it gave up once (tunnel, " in text and "diagnosis: the ssh key expired" in text
    # a new period: the next digest starts from zero
    notify.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: len(receiver.posts) == 2, 5, "second digest")
    assert "nothing to heal" in receiver.items()[1]["text"]
    assert notify.proc.poll() is None


def test_no_destination_falls_back_to_the_desktop(notify):
    notify.config("")
    notify.start_pub()
    notify.start()
    wait_for(lambda: "notifying the desktop" in notify.logtext(), 5, "fallback")
    notify.pub_do("alert d gave_up")
    wait_for(lambda: "gave_up: heal gave up on d" in notify.logtext(), 5, "routed")
    if shutil.which("notify-send"):
        wait_for(lambda: notify.outbox("desktop") == 0, 5, "handed to notify-send")
    else:
        # nothing to show it with: the whole message goes to the log
        wait_for(lambda: "What failed: connection refused" in notify.logtext(), 5, "logged")
        assert "no desktop notifier" in notify.logtext()


def test_sigterm_exits_zero(notify, receiver):
    notify.config(webhook("hook", receiver.url()))
    notify.start()
    time.sleep(0.2)
    notify.proc.send_signal(signal.SIGTERM)
    assert notify.proc.wait(5 * SLOW) == 0
