"""The ollama kind through the real agent, against tests/servers/fake_ollama.py:
server and models present, a missing model pulled in the background with
progress on the bus and healed when /api/tags lists it, pull failures, a
server down restarted by the remedy command, a server that never answers."""
import os
import signal
import socket
import sys

import pytest

from conftest import ROOT, SLOW, free_port, wait_for, wait_port

sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from fake_ollama import FakeOllama  # noqa: E402

FAKE = os.path.join(ROOT, "tests", "servers", "fake_ollama.py")


def ollama_check(name, url, models=None, timeout=None, critical=False, remedy=None):
    text = "check = %s\n    kind = ollama\n    url = \"%s\"\n" % (name, url)
    if models:
        text += "    models = \"%s\"\n" % models
    if timeout:
        text += "    timeout = %s\n" % timeout
    if critical:
        text += "    critical = true\n"
    if remedy:
        text += "    remedy\n"
        for k, v in remedy.items():
            text += "        %s = %s\n" % (k, v)
    return text


def run(heal, name):
    r = heal.ctl("run", name, timeout=20)
    assert r["ok"], r
    return r["data"]["checks"][name]


@pytest.fixture
def fake(tmp):
    srv = FakeOllama(tmp, models="qwen2.5:7b", pull_steps=10)
    yield srv
    srv.stop()


def test_server_and_models_ok(heal, fake):
    heal.config(ollama_check("llm", fake.url, models="qwen2.5:7b"))
    heal.start_agent()
    ev = run(heal, "llm")
    assert ev["severity"] == "ok", ev
    assert "qwen2.5:7b" in ev["message"]
    assert ev["metrics"]["response_ms"] >= 0
    assert ev["metrics"]["models_missing"] == 0
    paths = [r["path"] for r in fake.requests()]
    assert "/api/version" in paths and "/api/tags" in paths


def test_missing_model_pulled_with_progress(heal, fake):
    heal.config(ollama_check("llm", fake.url, models="qwen2.5:7b llama3",
                             remedy={"pull": "true", "pull_timeout": "30s"}))
    heal.start_agent()
    # the first cycle finds llama3 missing, starts the pull and publishes progress
    done = heal.bus.wait(lambda t, p: t == "heal.check.warning.llm"
                         and p.get("message", "").startswith("pulled llama3:latest"),
                         20, "pull finished")[1]
    progress = [p for t, p in heal.bus.seen
                if t == "heal.check.warning.llm" and "%" in p.get("message", "")]
    assert progress, [p.get("message") for t, p in heal.bus.seen]
    last = progress[-1]
    assert last["metrics"]["total"] > 0 and last["metrics"]["percent"] <= 100
    assert last["kind"] == "ollama" and last["check"] == "llm"
    assert any(p.get("message", "").startswith("pulling llama3:latest: started")
               for t, p in heal.bus.seen)
    assert done["severity"] == "warning"
    pulls = fake.requests(path="/api/pull")
    assert pulls and pulls[0]["json"] == {"model": "llama3:latest", "stream": True}
    # healed only when /api/tags lists it: a later run sees it
    ev = wait_for(lambda: (lambda e: e if e["severity"] in ("ok", "healed") else None)(
        run(heal, "llm")), 10, "llama3 listed")
    assert ev["metrics"]["models_missing"] == 0


@pytest.mark.parametrize("model,error", [
    ("missing-model", "pull model manifest: file does not exist"),
    ("mode-pull_fail", "max retries exceeded"),
    ("mode-error500", "HTTP 500"),
])
def test_pull_failures(heal, fake, model, error):
    heal.config(ollama_check("llm", fake.url, models=model,
                             remedy={"pull": "true", "pull_timeout": "10s"}))
    heal.start_agent()
    failed = heal.bus.wait(lambda t, p: t == "heal.check.warning.llm"
                           and "failed" in p.get("message", ""), 15, "pull failure")[1]
    assert error in failed["message"], failed
    ev = wait_for(lambda: (lambda e: e if any(error in x for x in e["evidence"]) else None)(
        run(heal, "llm")), 10, "failure as evidence")
    assert ev["severity"] == "warning" and "missing" in ev["message"]


def test_server_down_restart_command(heal, tmp):
    port = free_port()
    pidfile = os.path.join(tmp, "restarted.pid")
    portfile = os.path.join(tmp, "restarted.port")
    # the restart command starts the fake server in its own session
    restart = ("setsid -f sh -c 'echo $$ > %s; exec /usr/bin/python3 %s --port %d "
               "--port-file %s --models qwen2.5:7b > %s/restarted.log 2>&1'"
               % (pidfile, FAKE, port, portfile, tmp))
    heal.config(ollama_check("llm", "http://127.0.0.1:%d" % port, models="qwen2.5:7b",
                             timeout=5, critical=True,
                             remedy={"restart": "\"%s\"" % restart.replace('"', '\\"')}))
    try:
        heal.start_agent()
        # the first cycle: down -> restart command -> up -> healed
        ev = heal.bus.wait(lambda t, p: p.get("check") == "llm" and p.get("remedy"),
                           20, "remedy event")[1]
        assert ev["remedy"]["action"] == "restart", ev
        assert ev["remedy"]["result"] == "healed" and ev["severity"] == "healed", ev
        assert os.path.exists(pidfile)
        assert run(heal, "llm")["severity"] == "ok"
        wait_port(port)
    finally:
        if os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass


def test_server_down_no_remedy_and_never_answers(heal):
    # nothing listens on this port
    closed = free_port()
    # this one accepts (kernel backlog) and never answers
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)
    try:
        heal.config(ollama_check("down", "http://127.0.0.1:%d" % closed) +
                    ollama_check("hang", "http://127.0.0.1:%d" % hang.getsockname()[1],
                                 timeout=1))
        heal.start_agent()
        ev = run(heal, "down")
        assert ev["severity"] == "warning" and "not answering" in ev["message"], ev
        assert ev["remedy"] is None or ev["remedy"]["result"] == "skipped"
        ev = run(heal, "hang")
        assert ev["severity"] in ("warning", "unknown"), ev
        assert "timed out" in ev["message"], ev
        assert ev["duration_ms"] < 4000 * SLOW
    finally:
        hang.close()
