"""The disk, file, command, http and tcp check kinds through the real
heal-agent: `--once` and daemon mode, each kind passing and failing, the file
kind's create remedy healing, and the command kind against Debian's real
monitoring-plugins (check_disk, check_procs, check_file_age, check_dummy) with
metrics read from their perfdata."""
import http.server
import json
import os
import socket
import subprocess
import threading
import time

import pytest

from conftest import AGENT, SLOW, write_config

PLUGINS = "/usr/lib/nagios/plugins"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b"all systems go"
            self.send_response(200)
        else:
            body = b"nope"
            self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    """A real HTTP server on a free loopback port: /health 200, else 503."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield s.getsockname()[1]
    s.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def once(heal):
    """heal-agent --once; returns (exit code, report)."""
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       text=True, timeout=60 * SLOW)
    return p.returncode, heal.report(), p.stderr


def block(name, kind, critical=False, **keys):
    text = "check = %s\n    kind = %s\n" % (name, kind)
    if critical:
        text += "    critical = true\n"
    remedy = keys.pop("remedy", None)
    for k, v in keys.items():
        text += "    %s = \"%s\"\n" % (k, v)
    if remedy:
        text += "    remedy\n"
        for k, v in remedy.items():
            text += "        %s = \"%s\"\n" % (k, v)
    return text


def test_every_kind_passing_once(heal, web, listener):
    data = os.path.join(heal.dir, "data.txt")
    with open(data, "w") as f:
        f.write("fresh")
    os.chmod(data, 0o640)
    heal.config(
        block("disk", "disk", critical=True, path="/", min_free="0%") +
        block("file", "file", critical=True, path=data, type="file", mode="0640",
              max_age="1h", min_size="1") +
        block("command", "command", critical=True, run="echo 'OK - fine | x=3;5;9'") +
        block("http", "http", critical=True, url="http://127.0.0.1:%d/health" % web,
              contains="systems") +
        block("tcp", "tcp", critical=True, host="127.0.0.1", port=str(listener)))
    code, rep, err = once(heal)
    assert code == 0, (err, json.dumps(rep["checks"], indent=1))
    checks = rep["checks"]
    for name in ("disk", "file", "command", "http", "tcp"):
        assert checks[name]["severity"] == "ok", checks[name]
        assert checks[name]["kind"] == name
    assert checks["disk"]["metrics"]["total_bytes"] > 0
    assert 0 <= checks["disk"]["metrics"]["free_pct"] <= 100
    assert checks["file"]["metrics"]["size_bytes"] == 5
    assert checks["command"]["message"] == "OK - fine"
    assert checks["command"]["metrics"]["x"] == 3
    assert checks["http"]["metrics"]["status"] == 200
    assert "connect_ms" in checks["http"]["metrics"]
    assert "connect_ms" in checks["tcp"]["metrics"]


def test_every_kind_failing_once(heal, web):
    data = os.path.join(heal.dir, "old.txt")
    with open(data, "w") as f:
        f.write("x")
    old = time.time() - 7 * 3600
    os.utime(data, (old, old))
    heal.config(
        block("disk", "disk", critical=True, path="/", min_free="100%") +
        block("file", "file", critical=True, path=data, max_age="6h") +
        block("command", "command", critical=True, run="echo 'CRITICAL - down'; exit 2") +
        block("http", "http", critical=True, url="http://127.0.0.1:%d/other" % web) +
        block("tcp", "tcp", critical=True, port=str(closed_port())) +
        block("optional", "command", run="echo 'WARNING - meh'; exit 1"))
    code, rep, err = once(heal)
    assert code == 2, err
    checks = rep["checks"]
    for name in ("disk", "file", "command", "http", "tcp"):
        assert checks[name]["severity"] == "critical", checks[name]
    assert checks["optional"]["severity"] == "warning"
    assert "below min_free 100%" in checks["disk"]["message"]
    # freshness: how stale, and when it was last written
    assert "stale: last written 7h" in checks["file"]["message"]
    assert checks["file"]["metrics"]["age_s"] >= 7 * 3600
    stamp = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(old))
    assert any(stamp in e for e in checks["file"]["evidence"]), checks["file"]["evidence"]
    assert checks["command"]["message"] == "CRITICAL - down"
    assert checks["http"]["metrics"]["status"] == 503
    assert "expected 2xx" in checks["http"]["message"]
    assert "refused" in checks["tcp"]["message"]


def test_file_create_heals_and_run_remedy(heal):
    target = os.path.join(heal.dir, "made", "by", "heal")
    flag = os.path.join(heal.dir, "flag")
    heal.config(
        block("dir", "file", critical=True, path=target, type="dir", mode="0750",
              remedy={"create": "true"}) +
        block("cmd", "command", critical=True, run="test -e %s || exit 2" % flag,
              remedy={"run": "touch %s" % flag}))
    code, rep, err = once(heal)
    assert code == 0, (err, rep["checks"])
    d = rep["checks"]["dir"]
    assert d["severity"] == "healed", d
    assert d["remedy"]["action"] == "create"
    assert d["remedy"]["result"] == "healed"
    assert os.stat(target).st_mode & 0o7777 == 0o750
    c = rep["checks"]["cmd"]
    assert c["severity"] == "healed", c
    assert c["remedy"]["action"] == "run"
    assert os.path.exists(flag)
    # healthy now: a second cycle does not touch anything
    mtime = os.stat(target).st_mtime_ns
    code, rep, err = once(heal)
    assert code == 0
    assert rep["checks"]["dir"]["severity"] == "ok"
    assert rep["checks"]["dir"]["remedy"] is None
    assert os.stat(target).st_mtime_ns == mtime


def test_command_timeout_is_unknown(heal):
    heal.config("check = slow\n    kind = command\n    run = \"sleep 30\"\n"
                "    timeout = 300ms\n")
    start = time.monotonic()
    code, rep, err = once(heal)
    assert code == 3, (err, rep["checks"])
    assert rep["checks"]["slow"]["severity"] == "unknown"
    assert time.monotonic() - start < 20 * SLOW


def test_daemon_mode_events(heal, web, listener):
    missing = os.path.join(heal.dir, "will-exist")
    heal.config(
        block("web", "http", critical=True, url="http://127.0.0.1:%d/health" % web) +
        block("port", "tcp", port=str(listener)) +
        block("gone", "file", critical=True, path=missing, remedy={"create": "true"}) +
        block("space", "disk", path="/", min_free="100%"))
    heal.start_agent()
    got = {}
    for name in ("web", "port", "gone", "space"):
        got[name] = heal.bus.wait(
            lambda t, p, n=name: t.startswith("heal.check.") and p.get("check") == n,
            20, "event for " + name)
    assert got["web"][0] == "heal.check.ok.web"
    assert got["web"][1]["metrics"]["status"] == 200
    assert got["port"][0] == "heal.check.ok.port"
    assert got["gone"][0] == "heal.check.healed.gone"
    assert got["gone"][1]["remedy"]["action"] == "create"
    assert os.path.isfile(missing)
    assert got["space"][0] == "heal.check.warning.space"


@pytest.mark.skipif(not os.path.isdir(PLUGINS), reason="monitoring-plugins not installed")
def test_monitoring_plugins(heal):
    aged = os.path.join(heal.dir, "aged")
    with open(aged, "w") as f:
        f.write("12345")
    old = time.time() - 3600
    os.utime(aged, (old, old))
    heal.config(
        block("p_disk", "command", run="check_disk -w 1%% -c 1%% -p /".replace("%%", "%")) +
        block("p_procs", "command", run="check_procs -w 100000 -c 200000") +
        block("p_age_ok", "command", run="check_file_age -w 7200 -c 9000 -f %s" % aged) +
        block("p_age_bad", "command", critical=True,
              run="check_file_age -w 60 -c 120 -f %s" % aged) +
        block("p_dummy_warn", "command", run="check_dummy 1 'just a warning'") +
        block("p_dummy_unknown", "command", run="check_dummy 3 'no idea'"),
        extra="")
    # the plugins live outside the default PATH: add them through agent/path
    text = open(heal.conf).read().replace(
        "path = \"/usr/local/bin:", "path = \"%s:/usr/local/bin:" % PLUGINS)
    write_config(heal.conf, text)
    code, rep, err = once(heal)
    c = rep["checks"]
    assert c["p_disk"]["severity"] == "ok", c["p_disk"]
    assert c["p_disk"]["message"].startswith("DISK OK")
    assert c["p_disk"]["metrics"]["/"] > 0                     # perfdata of /
    assert c["p_procs"]["severity"] == "ok", c["p_procs"]
    assert c["p_procs"]["metrics"]["procs"] >= 1
    assert c["p_age_ok"]["severity"] == "ok", c["p_age_ok"]
    assert 3500 <= c["p_age_ok"]["metrics"]["age"] <= 3700
    assert c["p_age_ok"]["metrics"]["size"] == 5
    assert c["p_age_bad"]["severity"] == "critical", c["p_age_bad"]
    assert c["p_age_bad"]["message"].startswith("FILE_AGE CRITICAL")
    assert c["p_dummy_warn"]["severity"] == "warning"
    assert c["p_dummy_warn"]["message"] == "WARNING: just a warning"
    assert c["p_dummy_unknown"]["severity"] == "unknown"
    assert code == 2, err


def test_kind_config_errors_exit_78(heal):
    heal.config(block("web", "http", url="http://127.0.0.1:1/", expect="fine"))
    p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True,
                       timeout=30 * SLOW)
    assert p.returncode == 78
    assert "%s: check 'web': key 'expect': 'fine' is not a status list" % heal.conf \
        in p.stderr, p.stderr
    heal.config(block("d", "disk", path="/", min_fre="5%"))
    p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True,
                       timeout=30 * SLOW)
    assert p.returncode == 78
    assert "check 'd': key 'min_fre': unknown key (did you mean 'min_free'?)" in p.stderr
    heal.config(block("t", "tcp", port="99999"))
    p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True,
                       timeout=30 * SLOW)
    assert p.returncode == 78
    assert "check 't': key 'port': '99999' is not a port (1-65535)" in p.stderr
