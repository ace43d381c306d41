"""bench/notify: alert published -> delivered to a local webhook.

heal: tests/tools/alert_pub (a stand-in agent on its own PUB) -> heal-notify
(outbox fsync, one worker) -> a local webhook (http.server). Each alert's
message carries its send time; the receiver takes the difference.
Peer: Prometheus Alertmanager (when installed) given the same alerts over its
API, group_wait 0s, delivering to the same kind of webhook.

Phases: latency at a steady RATE_LAT (default 100/s) for LAT_N alerts, then
sustained RATE (default 1000/s) for DURATION s: every alert must arrive once.
Prints p50/p99 latency, delivered/sent, and heal-notify's peak RSS.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import Request, urlopen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
NOTIFY = os.path.join(BUILD, "bin", "heal-notify")
ALERT_PUB = os.path.join(BUILD, "tools", "alert_pub")
AM = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
RATE = float(os.environ.get("RATE", "1000"))
DURATION = float(os.environ.get("DURATION", "5"))
RATE_LAT = float(os.environ.get("RATE_LAT", "100"))
LAT_N = int(os.environ.get("LAT_N", "500"))


class Receiver:
    def __init__(self):
        self.latencies = []
        self.ids = []
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                now = time.time() * 1e6
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                doc = json.loads(body)
                items = doc["items"] if isinstance(doc, dict) and "items" in doc else doc.get("alerts", [])
                with outer.lock:
                    for it in items:
                        msg = it.get("message") or it.get("annotations", {}).get("sent", "")
                        if msg.startswith("sent "):
                            outer.latencies.append((now - int(msg[5:])) / 1000.0)
                        outer.ids.append(it.get("id") or it.get("labels", {}).get("check"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self):
        with self.lock:
            self.latencies, self.ids = [], []

    def count(self):
        with self.lock:
            return len(self.ids)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))] if v else float("nan")


def wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


def peak_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def bench_heal(tmp):
    r = Receiver()
    conf = os.path.join(tmp, "heal.conf")
    with open(conf, "w") as f:
        f.write("agent\n    state_dir = \"%s/state\"\nbus\n    publish = \"ipc://%s/bus\"\n"
                "    inbound = \"ipc://%s/in\"\ncontrol\n    endpoint = \"ipc://%s/ctl\"\n"
                "notify\n    group_wait = 0s\n"
                "destination = hook\n    kind = webhook\n    url = \"http://127.0.0.1:%d/\"\n"
                % (tmp, tmp, tmp, tmp, r.port))
    os.chmod(conf, 0o600)
    pub = subprocess.Popen([ALERT_PUB, "ipc://%s/bus" % tmp], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True, bufsize=1)
    log = open(os.path.join(tmp, "notify.log"), "w")
    notify = subprocess.Popen([NOTIFY, "-c", conf], stdout=log, stderr=subprocess.STDOUT)

    def do(line):
        pub.stdin.write(line + "\n")
        pub.stdin.flush()
        assert pub.stdout.readline().strip() == "ok"
    do("wait")
    do("stamp lat %d %g" % (LAT_N, RATE_LAT))
    wait(lambda: r.count() >= LAT_N, 30)
    lat = list(r.latencies)
    r.reset()
    n = int(RATE * DURATION)
    t0 = time.monotonic()
    do("stamp sus %d %g" % (n, RATE))
    sent_s = time.monotonic() - t0
    wait(lambda: r.count() >= n, 60)
    done_s = time.monotonic() - t0
    got = r.count()
    unique = len(set(r.ids))
    sus_lat = list(r.latencies)
    rss = peak_rss_kib(notify.pid)
    notify.send_signal(signal.SIGTERM)
    notify.wait(10)
    pub.stdin.close()
    pub.wait(5)
    r.server.shutdown()
    return lat, (n, got, unique, sent_s, done_s, sus_lat), rss


def bench_am(tmp):
    if not AM:
        return None
    r = Receiver()
    d = os.path.join(tmp, "am")
    os.makedirs(d)
    conf = os.path.join(d, "am.yml")
    with open(conf, "w") as f:
        f.write("route:\n  receiver: hook\n  group_by: ['check']\n  group_wait: 0s\n"
                "  group_interval: 1s\nreceivers:\n  - name: hook\n    webhook_configs:\n"
                "      - url: 'http://127.0.0.1:%d/'\n        send_resolved: false\n" % r.port)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    am = subprocess.Popen([AM, "--config.file=" + conf, "--storage.path=" + d,
                           "--web.listen-address=127.0.0.1:%d" % port,
                           "--cluster.listen-address="], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port

    def ready():
        try:
            return urlopen(base + "/-/ready", timeout=0.5).status == 200
        except OSError:
            return False
    wait(ready, 15)
    lat_n = min(LAT_N, 200)
    start = time.monotonic()
    for i in range(lat_n):
        due = start + i / RATE_LAT
        while time.monotonic() < due:
            time.sleep(0.0005)
        body = json.dumps([{"labels": {"alertname": "bench", "check": "c%d" % i},
                            "annotations": {"sent": "sent %d" % int(time.time() * 1e6)}}])
        urlopen(Request(base + "/api/v2/alerts", body.encode(),
                        {"Content-Type": "application/json"}), timeout=5).read()
    wait(lambda: r.count() >= lat_n, 30)
    lat = list(r.latencies)
    rss = peak_rss_kib(am.pid)
    am.terminate()
    am.wait(10)
    r.server.shutdown()
    return lat, rss


def main():
    for b in (NOTIFY, ALERT_PUB):
        if not os.access(b, os.X_OK):
            sys.exit("notify: %s missing (make all unit-bins)" % b)
    tmp = tempfile.mkdtemp(prefix="heal-bn-", dir="/tmp")
    try:
        lat, sus, rss = bench_heal(tmp)
        n, got, unique, sent_s, done_s, sus_lat = sus
        print("heal-notify  latency @%g/s (group_wait 0, outbox fsync): p50 %.2f ms  p99 %.2f ms"
              "  (n=%d)" % (RATE_LAT, pct(lat, 50), pct(lat, 99), len(lat)))
        print("heal-notify  sustained %g/s for %gs: sent %d, delivered %d (unique %d, lost %d),"
              " published in %.2fs, all delivered after %.2fs; p50 %.2f ms p99 %.2f ms"
              % (RATE, DURATION, n, got, unique, n - unique, sent_s, done_s,
                 pct(sus_lat, 50), pct(sus_lat, 99)))
        print("heal-notify  peak RSS %s" % ("%.1f MB" % (rss / 1024.0) if rss > 0 else "n/a"))
        peer = bench_am(tmp)
        if peer is not None:
            am, am_rss = peer
            print("alertmanager latency @%g/s (group_wait 0s, API -> webhook, no fsync): p50 %.2f ms"
                  "  p99 %.2f ms  (n=%d); peak RSS %s" % (
                      RATE_LAT, pct(am, 50), pct(am, 99), len(am),
                      "%.1f MB" % (am_rss / 1024.0) if am_rss > 0 else "n/a"))
        else:
            print("alertmanager: not installed, no peer figure")
        ok = unique == n and pct(lat, 99) <= 20.0
        print("target p99 <= 20 ms and no loss at %g/s: %s" % (RATE, "met" if ok else "NOT met"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
