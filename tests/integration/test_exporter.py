"""heal-exporter against real agents, promtool and a real Prometheus.

Each test runs the real binaries with their own config, ipc endpoints under a
temp dir and exporters on free loopback ports. Prometheus (Debian package
`prometheus`) is started by the fleet test with its own config, TSDB dir and
listen port, scraping every second. Every wait has a deadline and waits for an
event: a port, an HTTP answer, a bus message, a query result.
"""
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import (BIN, ROOT, SLOW, Heal, command_check, free_port,
                      sanitizer_reports, wait_for, wait_port, write_config)

EXPORTER = os.path.join(BIN, "heal-exporter")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
REDIS = "/usr/bin/redis-server"
RULES = os.path.join(ROOT, "docs/prometheus/heal-rules.yml")

need_promtool = pytest.mark.skipif(not os.access(PROMTOOL, os.X_OK),
                                   reason="promtool (Debian package prometheus) is not installed")


def http_get(url, timeout=10.0, method="GET"):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout * SLOW) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def samples(text):
    """{series: value} of an exposition text (no parsing beyond the format)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out


def promtool_check_metrics(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


class Node(Heal):
    """An agent and its exporter, with a config of our own (host name,
    exporter section)."""

    def __init__(self, tmpdir, host=None, timeout="1s"):
        super().__init__(tmpdir)
        self.host = host
        self.port = free_port()
        self.timeout = timeout

    def config(self, checks="", interval=300, extra="", diagnoser=""):
        text = ("agent\n"
                "    interval = %d\n"
                "    state_dir = \"%s\"\n"
                "    path = \"/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\"\n"
                % (interval, self.state))
        if self.host:
            text += "    host = \"%s\"\n" % self.host
        text += ("bus\n    publish = \"%s\"\n    inbound = \"%s\"\n"
                 "control\n    endpoint = \"%s\"\n"
                 "exporter\n    listen = \"127.0.0.1:%d\"\n    timeout = %s\n"
                 % (self.publish, self.inbound, self.control, self.port, self.timeout))
        return write_config(self.conf, text + extra + checks)

    def start_exporter(self):
        self.exporter = self.spawn([EXPORTER, "-c", self.conf])
        wait_port(self.port, timeout=10)
        return self.exporter

    def url(self, path="/metrics"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def scrape(self):
        status, headers, body = http_get(self.url())
        assert status == 200, (status, body)
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
        return body


@pytest.fixture
def node(tmp):
    n = Node(tmp, host="alpha")
    yield n
    n.stop()
    # Under `make sanitize`: the agent and the exporter left no report.
    reports = sanitizer_reports(n.dir)
    assert not reports, "\n".join(reports)


def test_metrics_pass_promtool_and_name_every_family(node):
    node.config(command_check("good", "true", critical=True)
                + command_check("bad", "exit 2", critical=True)
                + command_check("fixable", "test -f %s/flag || exit 2" % node.dir,
                                remedy="touch %s/flag" % node.dir))
    node.start_agent()
    node.start_exporter()
    assert node.ctl("run")["ok"]
    body = node.scrape()
    if os.access(PROMTOOL, os.X_OK):
        promtool_check_metrics(body)
    s = samples(body)
    assert s["heal_agent_up"] == 1
    assert s['heal_agent_info{host="alpha",version="0.1.0"}'] == 1
    assert s['heal_check_up{check="good",kind="command",critical="true"}'] == 1
    assert s['heal_check_up{check="bad",kind="command",critical="true"}'] == 0
    assert s['heal_check_up{check="fixable",kind="command",critical="false"}'] == 1
    assert s['heal_check_severity{check="bad",severity="critical"}'] == 1
    assert sum(v for k, v in s.items()
               if k.startswith('heal_check_severity{check="bad"')) == 1
    assert s['heal_heals_total{check="fixable"}'] == 1
    assert s['heal_remedies_total{check="fixable",result="healed"}'] == 1
    assert s['heal_heals_total{check="good"}'] == 0
    assert s['heal_alerts_total{check="bad",what="critical"}'] == 1
    assert s['heal_check_metric{check="bad",name="exit_code"}'] == 2
    assert s['heal_check_duration_seconds{check="good"}'] >= 0
    assert s["heal_cycle_duration_seconds"] >= 0
    assert s["heal_bus_dropped_total"] == 0
    for family in ("heal_agent_up", "heal_check_up", "heal_heals_total",
                   "heal_remedies_total", "heal_alerts_total", "heal_check_metric"):
        assert "# HELP %s " % family in body and "# TYPE %s " % family in body
    assert "# TYPE heal_heals_total counter" in body
    # / links to /metrics; nothing else is served.
    status, _, page = http_get(node.url("/"))
    assert status == 200 and 'href="/metrics"' in page
    assert http_get(node.url("/nothing"))[0] == 404
    assert http_get(node.url("/metrics"), method="POST")[0] == 405


def test_label_values_are_escaped(node):
    """A metric name with a quote, a backslash and a space (a Nagios
    perfdata label) comes out escaped as the exposition format requires,
    and promtool still accepts the page."""
    script = os.path.join(node.dir, "plugin.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho 'OK | '\\''say \"hi\" \\ there'\\''=7 plain=0.25s'\n")
    node.config(command_check("odd", "sh %s" % script))
    node.start_agent()
    node.start_exporter()
    assert node.ctl("run", "odd")["ok"]
    body = node.scrape()
    assert 'heal_check_metric{check="odd",name="say \\"hi\\" \\\\ there"} 7' in body, body
    assert 'heal_check_metric{check="odd",name="plain"} 0.25' in body
    if os.access(PROMTOOL, os.X_OK):
        promtool_check_metrics(body)


def test_agent_down_answers_200_with_up_0_quickly(node):
    node.config(command_check("good", "true"))
    node.start_exporter()           # no agent at all
    start = time.monotonic()
    body = node.scrape()
    took = time.monotonic() - start
    assert samples(body)["heal_agent_up"] == 0
    assert took < 3 * SLOW, took    # exporter.timeout is 1 s
    if os.access(PROMTOOL, os.X_OK):
        promtool_check_metrics(body)
    # The agent comes up: the next scrape sees it.
    node.start_agent()
    wait_for(lambda: samples(node.scrape())["heal_agent_up"] == 1, 10, "agent up")
    # ... and goes away again (SIGKILL: nothing answers any more).
    node.agent.kill()
    node.agent.wait()
    wait_for(lambda: samples(node.scrape())["heal_agent_up"] == 0, 10, "agent down")


def test_counters_survive_exporter_and_agent_restarts(node):
    node.config(command_check("flaky", "exit 1"))
    node.start_agent()
    node.start_exporter()
    node.bus.wait_topic("heal.cycle", 10)       # the start cycle: one run
    for _ in range(3):
        assert node.ctl("run", "flaky")["ok"]
    key = 'heal_check_runs_total{check="flaky"}'
    assert samples(node.scrape())[key] == 4
    assert samples(node.scrape())['heal_check_failures_total{check="flaky"}'] == 4
    # Exporter restart: stateless, same numbers.
    node.exporter.send_signal(signal.SIGTERM)
    assert node.exporter.wait(10 * SLOW) == 0
    node.start_exporter()
    assert samples(node.scrape())[key] == 4
    # Agent restart: totals come back from state.json.
    node.agent.send_signal(signal.SIGTERM)
    assert node.agent.wait(10 * SLOW) == 0
    node.start_agent()
    assert node.ctl("run", "flaky")["ok"]
    # 4 saved + the new agent's runs (a reset would start again at 1).
    wait_for(lambda: samples(node.scrape()).get(key, 0) >= 5, 10, "runs_total past 4")
    assert samples(node.scrape())['heal_check_failures_total{check="flaky"}'] >= 5


def test_diagnosis_latency_and_status_totals(node):
    """heal_diagnosis_latency_seconds comes from the last heal.diagnosis the agent
    heard; `status` shows the same lifetime totals per check as `metrics`, fresh
    after each run (its cached entry is rebuilt), and state.json keeps them."""
    import msgpack
    import zmq
    node.config(command_check("flaky", "exit 2", remedy="exit 1", attempts=5, backoff=0))
    node.start_agent()
    node.start_exporter()
    assert "heal_diagnosis_latency_seconds" not in node.scrape()
    push = node.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(node.inbound)
    diag = {"v": 1, "type": "diagnosis", "seq": 1, "ts": int(time.time() * 1000),
            "host": "alpha", "source": "test", "cycle": 1, "checks": ["flaky"],
            "fingerprint": "abc", "model": "m", "summary": "s", "root_cause": "r",
            "operator_checks": ["look"], "latency_ms": 5200, "cached": False}
    try:
        push.send_multipart([b"heal.diagnosis", msgpack.packb(diag)])
        wait_for(lambda: node.ctl("diagnosis")["data"], 10, "diagnosis kept")
    finally:
        push.close(0)
    assert samples(node.scrape())["heal_diagnosis_latency_seconds"] == 5.2

    def totals():
        st = node.ctl("status")["data"]
        return [c["totals"] for c in st["checks"] if c["name"] == "flaky"][0]
    node.bus.wait_topic("heal.cycle", 10)
    before = totals()
    assert node.ctl("run", "flaky")["ok"]
    after = totals()
    assert after["runs"] == before["runs"] + 1, (before, after)
    assert after["failures"] == before["failures"] + 1
    assert after["remedies"]["failed"] == before["remedies"]["failed"] + 1
    assert set(after["alerts"]) == {"critical", "gave_up", "recovered"}
    s = samples(node.scrape())
    assert s['heal_check_runs_total{check="flaky"}'] == after["runs"]
    assert s['heal_remedies_total{check="flaky",result="failed"}'] == after["remedies"]["failed"]
    assert node.ctl("status")["data"]["last_cycle"]["type"] == "cycle"
    node.agent.send_signal(signal.SIGTERM)
    assert node.agent.wait(10 * SLOW) == 0
    with open(os.path.join(node.state, "state.json")) as f:
        assert json.load(f)["checks"]["flaky"]["totals"] == after


def global_ipv4():
    """This machine's own non-loopback IPv4 address, or None."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    import re
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
    return m.group(1) if m else None


@pytest.mark.skipif(not global_ipv4(), reason="no non-loopback IPv4 address here")
def test_exporter_reaches_a_remote_agent_over_curve(tmp):
    """docs/fleet.md: an exporter elsewhere connects like healctl, over tcp with
    CURVE: with an authorised client_cert it sees the agent; with a key the
    agent does not know it answers heal_agent_up 0 (HTTP 200) within its timeout."""
    import zmq.auth
    node = Node(tmp, host="far")
    try:
        keys = os.path.join(tmp, "keys")
        clients = os.path.join(keys, "clients")
        os.makedirs(clients, mode=0o700)
        certs = {}
        for name in ("server", "client", "stranger"):
            pub, sec = zmq.auth.create_certificates(keys, name)
            os.chmod(sec, 0o600)
            certs[name] = (pub, sec)
        shutil.copy(certs["client"][0], clients)
        node.control = "tcp://%s:%d" % (global_ipv4(), free_port())
        security = ("security\n    server_cert = \"%s\"\n    clients_dir = \"%s\"\n"
                    "    client_cert = \"%s\"\n" % (certs["server"][0], clients,
                                                  certs["client"][0]))
        node.config(command_check("good", "true"), extra=security)
        node.start_agent()
        node.start_exporter()
        s = samples(node.scrape())
        assert s["heal_agent_up"] == 1 and s['heal_agent_info{host="far",version="0.1.0"}'] == 1
        # A stranger's key: the agent never answers; the scrape still does.
        node.exporter.send_signal(signal.SIGTERM)
        assert node.exporter.wait(10 * SLOW) == 0
        node.config(command_check("good", "true"),
                    extra=security.replace(certs["client"][0], certs["stranger"][0]))
        node.start_exporter()
        start = time.monotonic()
        assert samples(node.scrape())["heal_agent_up"] == 0
        assert time.monotonic() - start < 3 * SLOW
        # The agent is fine: its own healctl (the authorised key) still gets in.
        node.config(command_check("good", "true"), extra=security)
        r = subprocess.run([os.path.join(BIN, "healctl"), "-c", node.conf, "ping"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
    finally:
        node.stop()
    assert not sanitizer_reports(node.dir)


def test_validation_flags_and_exit_codes(tmp):
    bad = write_config(os.path.join(tmp, "bad.conf"),
                       "exporter\n    listen = \"0.0.0.0:99999\"\n")
    for binary in (EXPORTER, os.path.join(BIN, "heal-agent"), os.path.join(BIN, "healctl")):
        p = subprocess.run([binary, "-n", "-c", bad], capture_output=True, text=True, timeout=10)
        assert p.returncode == 78, (binary, p.stderr)
        assert p.stderr.startswith(bad + ": exporter: key 'listen':"), p.stderr
    typo = write_config(os.path.join(tmp, "typo.conf"), "exporter\n    lisen = \"127.0.0.1:1\"\n")
    p = subprocess.run([EXPORTER, "-n", "-c", typo], capture_output=True, text=True, timeout=10)
    assert p.returncode == 78 and "did you mean 'listen'" in p.stderr, p.stderr
    good = write_config(os.path.join(tmp, "good.conf"),
                        "agent\n    host = \"pi-1\"\nexporter\n    listen = \"[::1]:9877\"\n")
    assert subprocess.run([EXPORTER, "-n", "-c", good], timeout=10,
                          capture_output=True).returncode == 0
    p = subprocess.run([EXPORTER, "--version"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith("heal-exporter ")
    p = subprocess.run([EXPORTER, "-h"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and "usage: heal-exporter" in p.stdout
    assert subprocess.run([EXPORTER, "--bogus"], capture_output=True,
                          timeout=10).returncode == 64


@need_promtool
def test_rules_file_passes_promtool():
    p = subprocess.run([PROMTOOL, "check", "rules", RULES], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS" in p.stdout


@need_promtool
def test_fleet_docs_configs_are_valid():
    """The scrape config, the Alertmanager route and the Grafana dashboard of
    docs/fleet.md parse with the tools that will read them."""
    p = subprocess.run([PROMTOOL, "check", "config",
                        os.path.join(ROOT, "docs/prometheus/prometheus.yml")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    amtool = shutil.which("amtool")
    if amtool:
        p = subprocess.run([amtool, "check-config",
                            os.path.join(ROOT, "docs/prometheus/alertmanager.yml")],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
    with open(os.path.join(ROOT, "docs/grafana/heal-fleet.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for panel in dash["panels"] for t in panel["targets"]]
    assert exprs and all("heal_" in e for e in exprs)
    # Every metric the dashboard draws is one the exporter writes.
    with open(os.path.join(ROOT, "exporter/render.c")) as f:
        render = f.read()
    import re
    for name in set(re.findall(r"heal_[a-z_]+", " ".join(exprs))):
        assert '"%s"' % name in render, name


# --- the fleet: three agents, three exporters, one Prometheus -------------

def redis_block(tmp, port):
    """A process check on a redis of its own, started (and restarted) by the
    check's remedy."""
    pidfile = os.path.join(tmp, "redis.pid")
    start = ("redis-server --port %d --bind 127.0.0.1 --daemonize yes --pidfile %s "
             "--save '' --appendonly no --dir %s --logfile %s/redis.log"
             % (port, pidfile, tmp, tmp))
    return ("check = redis\n    kind = process\n    critical = true\n    interval = 1\n"
            "    pidfile = \"%s\"\n    port = %d\n    match = \"redis-server\"\n"
            "    remedy\n        start = \"%s\"\n        attempts = 10\n"
            "        backoff = 10ms\n" % (pidfile, port, start)), pidfile


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


class Prometheus:
    """targets: exporter ports, or {port: host} to set a `host` target label
    as docs/prometheus/prometheus.yml does (with honor_labels)."""

    def __init__(self, tmp, targets, rules=RULES, alertmanager=None):
        self.dir = os.path.join(tmp, "prom")
        os.makedirs(self.dir)
        self.port = free_port()
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n" % rules)
            if alertmanager:
                f.write("alerting:\n  alertmanagers:\n    - static_configs:\n"
                        "        - targets: ['%s']\n" % alertmanager)
            f.write("scrape_configs:\n  - job_name: heal\n    honor_labels: true\n"
                    "    static_configs:\n")
            # Without target labels the host names come from the agents
            # themselves (agent.host, through heal_agent_info).
            for port in targets:
                f.write("      - targets: ['127.0.0.1:%d']\n" % port)
                if isinstance(targets, dict):
                    f.write("        labels: {host: %s}\n" % targets[port])
        self.log = open(os.path.join(self.dir, "prometheus.log"), "ab")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.ready(), 30, "prometheus ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited %s" % self.proc.returncode)
        try:
            return http_get("http://127.0.0.1:%d/-/ready" % self.port, 1)[0] == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = "http://127.0.0.1:%d/api/v1/%s?%s" % (self.port, path,
                                                    urllib.parse.urlencode(params))
        status, _, body = http_get(url)
        assert status == 200, body
        reply = json.loads(body)
        assert reply["status"] == "success", reply
        return reply["data"]

    def query(self, expr):
        """{host: value} of an instant vector, each series named by its agent's
        host (joined from heal_agent_info on the scrape's instance)."""
        joined = "(%s) * on (instance) group_left (host) heal_agent_info" % expr
        return {r["metric"].get("host"): float(r["value"][1])
                for r in self.api("query", query=joined)["result"]}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.mark.skipif(not (os.access(PROMETHEUS, os.X_OK) and os.access(REDIS, os.X_OK)),
                    reason="prometheus or redis-server is not installed")
def test_fleet_prometheus_sees_one_host_heal(tmp):
    hosts = ["mini", "linuxbox", "pi"]
    nodes, pidfiles, prom = [], {}, None
    try:
        for host in hosts:
            d = os.path.join(tmp, host)
            os.makedirs(d, mode=0o700)
            n = Node(d, host=host)
            block, pidfiles[host] = redis_block(d, free_port())
            n.config(block)
            nodes.append(n)
        for n in nodes:
            n.start_agent()
            # The first run starts its redis: healed once.
            n.bus.wait_topic("heal.check.healed.redis", 30)
            n.start_exporter()
        prom = Prometheus(tmp, [n.port for n in nodes])
        # The rules of docs/prometheus/heal-rules.yml are loaded.
        groups = prom.api("rules")["groups"]
        assert {g["name"] for g in groups} == {"heal-recording", "heal-alerts"}
        # Every agent is up and named by its own host name.
        info = "heal_agent_info"
        wait_for(lambda: len(prom.query(info)) == 3, 30, "three agents scraped")
        names = {r["metric"]["host"] for r in prom.api("query", query=info)["result"]}
        assert names == set(hosts)
        wait_for(lambda: prom.query('heal_heals_total{check="redis"}') ==
                 {h: 1.0 for h in hosts}, 30, "one heal per host")

        # Kill the linuxbox's redis: its agent starts it again.
        victim = "linuxbox"
        pid = read_pid(pidfiles[victim])
        assert pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: prom.query('heal_heals_total{check="redis"}').get(victim, 0) >= 2,
                 30, "prometheus sees the heal on " + victim)
        after = prom.query('heal_heals_total{check="redis"}')
        assert after["mini"] == 1 and after["pi"] == 1, after
        # increase() over the last minute: > 0 only for the victim (waits until
        # every host has the two samples increase() needs).
        expr = 'increase(heal_heals_total{check="redis"}[1m])'
        rate = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(prom.query(expr)),
                        30, "increase() for every host")
        assert rate[victim] > 0 and rate["mini"] == 0 and rate["pi"] == 0, rate
    finally:
        if prom:
            prom.stop()
        for n in nodes:
            n.stop()            # agents first: they would restart redis
        for n in nodes:
            assert not sanitizer_reports(n.dir)
        for pidfile in pidfiles.values():
            pid = read_pid(pidfile)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


# --- the Alertmanager path: both ways in, the route of docs/fleet.md -------------

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
AM_CONF = os.path.join(ROOT, "docs/prometheus/alertmanager.yml")
NOTIFY = os.path.join(BIN, "heal-notify")


class Hooks:
    """Alertmanager's webhook receivers: POSTs by path (the receiver's name)."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading
        self.posts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.posts.append((self.path.strip("/"), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def firing(self, receiver, alertname):
        """Labels of the firing alerts named alertname that reached receiver."""
        with self.lock:
            return [a["labels"] for path, p in self.posts if path == receiver
                    for a in p["alerts"]
                    if a["status"] == "firing" and a["labels"]["alertname"] == alertname]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Alertmanager:
    """Debian's prometheus-alertmanager with docs/prometheus/alertmanager.yml:
    its route and inhibit rules as they are, its receivers pointed at hooks."""

    def __init__(self, tmp, hooks):
        import yaml
        self.dir = os.path.join(tmp, "am")
        os.makedirs(self.dir)
        with open(AM_CONF) as f:
            conf = yaml.safe_load(f)
        conf["receivers"] = [{"name": r["name"], "webhook_configs": [
            {"url": "%s/%s" % (hooks.url, r["name"]), "send_resolved": True}]}
            for r in conf["receivers"]]
        path = os.path.join(self.dir, "am.yml")
        with open(path, "w") as f:
            yaml.safe_dump(conf, f)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(self.dir, "am.log"), "ab")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, "--config.file=" + path,
             "--storage.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--cluster.listen-address="],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.ready, 15, "alertmanager ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("alertmanager exited %s" % self.proc.returncode)
        try:
            return http_get(self.url + "/-/ready", 1)[0] == 200
        except OSError:
            return False

    def alerts(self, alertname):
        status, _, body = http_get(self.url + "/api/v2/alerts")
        assert status == 200, body
        return [a for a in json.loads(body) if a["labels"]["alertname"] == alertname]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()


def rules_firing_at_once(path):
    """docs/prometheus/heal-rules.yml with every `for:` dropped, so an alert
    fires at its first true evaluation (the expressions are untouched)."""
    import yaml
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("for", None)
    with open(path, "w") as f:
        yaml.safe_dump(rules, f)
    return path


@pytest.mark.skipif(not (os.access(PROMETHEUS, os.X_OK) and os.access(ALERTMANAGER, os.X_OK)),
                    reason="prometheus or prometheus-alertmanager is not installed")
def test_alertmanager_routes_heal_notify_and_prometheus_alerts(tmp):
    """One Alertmanager with the route of docs/fleet.md hears both paths: heal-notify's
    alertmanager destination (HealCheckFailing, from the host itself) and the rules of
    docs/fleet.md evaluated by a real Prometheus scraping heal-exporter
    (HealCheckGaveUp, then HealAgentDown when the agent is killed). The urgent ones reach
    the operator-urgent receiver; HealCriticalCheckDown is inhibited while the host's own
    HealCheckFailing says the same."""
    hooks = Hooks()
    am = prom = None
    node = Node(tmp, host="pi")
    try:
        am = Alertmanager(tmp, hooks)
        flag = os.path.join(node.dir, "up")
        with open(flag, "w"):
            pass
        check = command_check("dead", "test -f %s || { echo refused; exit 2; }" % flag,
                              critical=True, interval=1, remedy="exit 1", attempts=1,
                              within=900, backoff=0)
        node.config(check, extra="notify\n    group_wait = 0s\n"
                    "destination = am\n    kind = alertmanager\n    url = \"%s\"\n" % am.url)
        node.start_agent()
        node.start_exporter()
        node.spawn([NOTIFY, "-v", "-c", node.conf])
        log = os.path.join(node.dir, "heal-notify.out")
        wait_for(lambda: "hearing" in open(log, errors="replace").read(), 15,
                 "heal-notify hearing the agent")
        prom = Prometheus(tmp, {node.port: "pi"},
                          rules=rules_firing_at_once(os.path.join(tmp, "rules.yml")),
                          alertmanager="127.0.0.1:%d" % am.port)
        wait_for(lambda: prom.query("heal_check_up") == {"pi": 1.0}, 30, "check up",
                 interval=0.2)

        # The check fails and its remedy cannot fix it: heal gives up.
        os.unlink(flag)
        node.bus.wait(lambda t, p: t == "heal.alert.dead" and p.get("alert") == "gave_up",
                      15, "gave_up alert on the bus")
        for alertname in ("HealCheckFailing", "HealCheckGaveUp"):
            got = wait_for(lambda: hooks.firing("operator-urgent", alertname), 60,
                           alertname + " at operator-urgent")
            assert got[0]["check"] == "dead" and got[0]["host"] == "pi", got
        # Prometheus' own view of the same failure is inhibited by the host's.
        down = wait_for(lambda: am.alerts("HealCriticalCheckDown"), 30,
                        "HealCriticalCheckDown in Alertmanager", interval=0.2)
        wait_for(lambda: all(a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"]
                             for a in am.alerts("HealCriticalCheckDown")), 15,
                 "HealCriticalCheckDown inhibited", interval=0.2)
        assert down[0]["labels"]["host"] == "pi"
        assert not hooks.firing("operator-urgent", "HealCriticalCheckDown")

        # The agent dies: the exporter says heal_agent_up 0 and the host is paged.
        node.agent.kill()
        node.agent.wait()
        got = wait_for(lambda: hooks.firing("operator-urgent", "HealAgentDown"), 60,
                       "HealAgentDown at operator-urgent")
        assert got[0]["host"] == "pi", got
    finally:
        if prom:
            prom.stop()
        node.stop()
        if am:
            am.stop()
        hooks.stop()
    assert not sanitizer_reports(node.dir)
