"""The fake Ollama server other tests rely on (tests/servers/fake_ollama.py):
it must speak the documented API shapes and honour its modes."""
import json
import os
import socket
import sys
import urllib.error
import urllib.request

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from fake_ollama import FakeOllama  # noqa: E402


@pytest.fixture
def srv(tmp):
    s = FakeOllama(tmp, models="qwen2.5:7b llama3")
    yield s
    s.stop()


def call(srv, method, path, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(srv.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def ndjson(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_discovery(srv):
    assert call(srv, "GET", "/")[2] == "Ollama is running"
    assert json.loads(call(srv, "GET", "/api/version")[2])["version"]
    tags = json.loads(call(srv, "GET", "/api/tags")[2])
    names = [m["name"] for m in tags["models"]]
    assert names == ["qwen2.5:7b", "llama3:latest"]
    m = tags["models"][0]
    assert m["model"] == m["name"] and len(m["digest"]) == 64 and m["details"]["format"] == "gguf"


def test_chat(srv):
    req = {"model": "qwen2.5:7b", "stream": False,
           "messages": [{"role": "user", "content": "hi"}]}
    status, ctype, body = call(srv, "POST", "/api/chat", req)
    assert status == 200 and ctype.startswith("application/json")
    r = json.loads(body)
    assert r["done"] is True and r["done_reason"] == "stop"
    assert json.loads(r["message"]["content"])["summary"]
    for k in ("total_duration", "eval_count", "prompt_eval_count"):
        assert isinstance(r[k], int)
    # streaming: NDJSON chunks whose contents add up, timings on the last
    status, ctype, body = call(srv, "POST", "/api/chat", dict(req, stream=True))
    assert ctype == "application/x-ndjson"
    lines = ndjson(body)
    assert lines[-1]["done"] is True and "eval_count" in lines[-1]
    assert all(not x["done"] for x in lines[:-1])
    assert json.loads("".join(x["message"]["content"] for x in lines))["root_cause"]
    # generate
    g = json.loads(call(srv, "POST", "/api/generate",
                        {"model": "llama3", "prompt": "x", "stream": False})[2])
    assert g["response"] and g["done"] and g["context"]
    # load / errors
    assert json.loads(call(srv, "POST", "/api/chat", {"model": "llama3"})[2])["done_reason"] == "load"
    status, _, body = call(srv, "POST", "/api/chat", {"model": "nope", "messages": [
        {"role": "user", "content": "x"}]})
    assert status == 404 and json.loads(body)["error"] == "model 'nope' not found"
    assert call(srv, "POST", "/api/chat", {"messages": []})[0] == 400
    status, _, body = call(srv, "POST", "/api/chat", dict(req, think=True))
    assert status == 400 and "does not support thinking" in json.loads(body)["error"]
    reqs = srv.requests("/api/chat")
    assert reqs[0]["json"] == req and reqs[0]["t_recv_ns"] <= reqs[0]["t_reply_ns"]


def test_pull_adds_model(srv):
    status, ctype, body = call(srv, "POST", "/api/pull", {"model": "phi3"})
    lines = ndjson(body)
    assert status == 200 and ctype == "application/x-ndjson"
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"status": "success"}
    assert any(x.get("completed") == x.get("total") for x in lines if "total" in x)
    assert [x["status"] for x in lines[-3:]] == ["verifying sha256 digest", "writing manifest",
                                                  "success"]
    names = [m["name"] for m in json.loads(call(srv, "GET", "/api/tags")[2])["models"]]
    assert "phi3:latest" in names
    assert json.loads(call(srv, "POST", "/api/pull", {"model": "x", "stream": False})[2]) == \
        {"status": "success"}
    # mid-stream failure: status 200, last line an error, model not added
    srv.control(mode="pull_fail")
    status, _, body = call(srv, "POST", "/api/pull", {"model": "gemma"})
    assert status == 200 and "error" in ndjson(body)[-1]
    assert "gemma:latest" not in srv.state()["models"]
    status, _, body = call(srv, "POST", "/api/pull", {"model": "gemma", "stream": False})
    assert status == 500 and "error" in json.loads(body)


@pytest.mark.parametrize("mode,status", [("error500", 500), ("notfound", 404),
                                         ("badrequest", 400), ("busy", 503)])
def test_error_modes(srv, mode, status):
    srv.control(mode=mode, times=1)
    got, _, body = call(srv, "POST", "/api/chat", {"model": "qwen2.5:7b", "stream": False,
                                                   "messages": [{"role": "user", "content": "x"}]})
    assert got == status and json.loads(body)["error"]
    assert srv.state()["mode"] == "normal"        # times=1: back to normal


def test_content_modes_and_magic_models(srv):
    def chat(model="qwen2.5:7b"):
        return json.loads(call(srv, "POST", "/api/chat", {
            "model": model, "stream": False,
            "messages": [{"role": "user", "content": "x"}]})[2])
    srv.control(mode="empty")
    assert chat()["message"]["content"] == ""
    srv.control(mode="length")
    assert chat()["done_reason"] == "length"
    srv.control(mode="normal", content="custom")
    assert chat()["message"]["content"] == "custom"
    assert chat("mode-badcontent")["message"]["content"].startswith("I think")
    srv.control(mode="malformed", paths=["/api/version"])
    assert chat()["message"]["content"] == "custom"     # not on /api/chat
    with pytest.raises(ValueError):
        json.loads(call(srv, "GET", "/api/version")[2])


def test_hang_and_disconnect(srv):
    srv.control(mode="hang")
    with pytest.raises((socket.timeout, urllib.error.URLError, TimeoutError)):
        call(srv, "GET", "/api/tags", timeout=0.5)
    srv.control(mode="disconnect")
    with pytest.raises(Exception):
        call(srv, "GET", "/api/tags", timeout=2)
    srv.control(mode="normal")
    assert call(srv, "GET", "/api/tags")[0] == 200
    srv.reset_requests()
    assert srv.requests() == []
