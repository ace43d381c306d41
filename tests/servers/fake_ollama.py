#!/usr/bin/python3
"""fake_ollama — a test HTTP server that speaks Ollama's documented API.

Used by the integration tests and benchmarks of the diagnoser and of the
`ollama` check kind. Python stdlib only (http.server, ThreadingHTTPServer).

Ollama endpoints (docs/api.md, shapes as in shared/reference/ollama-*.md):
  GET  /                 "Ollama is running"
  GET  /api/version      {"version": "..."}
  GET  /api/tags         {"models": [{"name": "x:latest", "model": ..., ...}]}
  GET  /api/ps           {"models": [...]} (models that answered a chat/generate)
  POST /api/show         {"details": ..., "capabilities": [...], ...} or 404
  POST /api/pull         NDJSON progress (stream default true) or one JSON;
                         on success the model is added to /api/tags
  POST /api/chat         stream false: one JSON; stream true: NDJSON chunks
  POST /api/generate     same with "response" instead of "message"
  Errors: {"error": "..."} with 400 / 404 / 500 (and 503 in mode busy);
  mid-stream failures are a final {"error": ...} NDJSON line, status 200.

Control (test side, not Ollama):
  GET  /_requests        JSON list of every request received: method, path,
                         headers, body (text), json (parsed or null), t_conn_ns
                         (connection accepted), t_recv_ns (body read),
                         t_reply_ns (first reply byte about to be written),
                         status; all times are time.time_ns() (CLOCK_REALTIME).
                         Control requests (/_*) are not recorded.
  DELETE /_requests      or POST /_requests/reset: forget them.
  GET  /_control         the current state.
  POST /_control         JSON object, any of:
      mode: one of MODES below       delay_ms: added before every reply
      times: N  (mode applies to the next N matching requests, then "normal")
      paths: ["/api/chat", ...]  (mode applies only there; default all /api/*)
      models: ["qwen2.5:7b", ...]  (replace the installed model list)
      content: "..."  (message.content / response text for normal replies;
                       default: a diagnosis JSON matching the diagnoser schema)
      version: "0.x.y"
      prompt_eval_count: N  (report this instead of prompt chars / 4: a
                             prompt the model saw truncated)
      reset: true  (back to the command line state; requests kept)

Modes:
  normal       answer correctly
  slow         wait delay_ms (default 2000) then answer correctly
  error500     500 {"error": "..."}
  notfound     404 {"error": "model 'x' not found"} on chat/generate/show,
               pull streams "pulling manifest" then an error line
  badrequest   400 {"error": "..."}
  busy         503 {"error": "server busy, please try again. ..."}
  malformed    200 with a body that is not JSON
  badcontent   200, message.content is prose, not the JSON asked for
  empty        200, message.content ""
  length       200, done_reason "length" and content cut in the middle
  huge         200 with a multi-megabyte content (bounded-buffer tests)
  schema       200, message.content is JSON that breaks the schema
  midbody      200, Content-Length promised, the connection closed halfway
  giant        200, a 100 MB body streamed (the client must stop reading)
  midstream    streaming replies end with an {"error": ...} line
  hang         accept the request and never answer (until shutdown)
  disconnect   close the connection without answering
  pull_fail    pull streams progress then {"error": ...} (status 200)

Per-model magic: a request whose model is "mode-<MODE>" (e.g. "mode-error500",
with or without ":tag") is answered in that mode whatever the global mode.

Command line: --port-file FILE (written once listening, atomically), --port N
(default 0 = any), --host ADDR (default 127.0.0.1), --mode, --delay-ms, --models "a:latest b:7b", --version,
--pull-total BYTES, --pull-steps N. Binds 127.0.0.1; prints "PORT n" on stdout.
SIGTERM/SIGINT stop it (hanging requests are released).

From a test (real process, waits on the port file, never sleeps):
    sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
    from fake_ollama import FakeOllama
    srv = FakeOllama(tmpdir, mode="normal", models="qwen2.5:7b")  # started
    srv.url                 # "http://127.0.0.1:PORT"
    srv.control(mode="error500", times=1)
    srv.requests(path="/api/chat")   # recorded requests, optionally filtered
    srv.wait_requests(1, path="/api/chat", timeout=10)
    srv.reset_requests(); srv.stop()
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("normal", "slow", "error500", "notfound", "badrequest", "busy",
         "malformed", "badcontent", "empty", "length", "huge", "midstream",
         "schema", "midbody", "giant",
         "hang", "disconnect", "pull_fail")

MAX_BODY = 16 * 1024 * 1024

DEFAULT_DIAGNOSIS = {
    "summary": "The critical check fails because its dependency is down.",
    "root_cause": "The service the check probes is not running.",
    "operator_checks": ["Look at the service's own log", "Check free disk space"],
    "related_checks": [],
    "confidence": "medium",
}


def digest_of(name):
    return hashlib.sha256(name.encode()).hexdigest()


def model_entry(name):
    family = name.split(":")[0].split("/")[-1]
    return {
        "name": name, "model": name,
        "modified_at": "2026-05-10T08:06:48.63-07:00",
        "size": 4683075271, "digest": digest_of(name),
        "details": {"parent_model": "", "format": "gguf", "family": family,
                    "families": [family], "parameter_size": "7.6B",
                    "quantization_level": "Q4_K_M"},
    }


def full_name(name):
    """Ollama's default tag is latest."""
    if not name:
        return name
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else name + ":latest"


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.requests = []
        self.loaded = set()
        self.stopping = threading.Event()
        self.reset()

    def reset(self):
        a = self.args
        self.mode = a.mode
        self.delay_ms = a.delay_ms
        self.times = None
        self.paths = None
        self.models = [full_name(m) for m in a.models.split()] if a.models else []
        self.content = None
        self.version = a.version
        self.prompt_eval_count = None

    def snapshot(self):
        return {"mode": self.mode, "delay_ms": self.delay_ms, "times": self.times,
                "paths": self.paths, "models": list(self.models),
                "content": self.content, "version": self.version,
                "requests": len(self.requests)}

    def mode_for(self, path, model):
        """The mode that applies to this request (consumes one `times`)."""
        if model:
            base = model.split(":")[0]
            if base.startswith("mode-") and base[5:] in MODES:
                return base[5:]
        with self.lock:
            if self.paths is not None and path not in self.paths:
                return "normal"
            mode = self.mode
            if self.times is not None and mode != "normal":
                self.times -= 1
                if self.times <= 0:
                    self.mode, self.times = "normal", None
            return mode


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-ollama"
    disable_nagle_algorithm = True      # headers and body are separate writes

    def log_message(self, fmt, *args):   # quiet unless -v
        if self.server.verbose:
            sys.stderr.write("fake_ollama: " + (fmt % args) + "\n")

    def setup(self):
        super().setup()
        self.t_conn_ns = time.time_ns()

    # ---- plumbing ---------------------------------------------------------
    @property
    def st(self):
        return self.server.state

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            return None
        data = self.rfile.read(n) if n else b""
        return data

    def _record(self, body):
        self.rec = None
        if self.path.startswith("/_"):
            return
        text = body.decode("utf-8", "replace") if body is not None else ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        self.rec = {"method": self.command, "path": self.path,
                    "headers": dict(self.headers.items()), "body": text,
                    "json": parsed, "t_conn_ns": self.t_conn_ns,
                    "t_recv_ns": time.time_ns(), "t_reply_ns": None,
                    "status": None}
        with self.st.lock:
            self.st.requests.append(self.rec)

    def _mark(self, status):
        """Note the reply about to be written (status None: no reply)."""
        if self.rec is not None:
            self.rec["t_reply_ns"] = time.time_ns() if status is not None else None
            self.rec["status"] = status

    def _send(self, status, obj=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else (json.dumps(obj) + "\n").encode()
        self._mark(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status, message):
        self._send(status, {"error": message})

    def _stream_start(self):
        self._mark(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, obj):
        line = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
        self.wfile.flush()

    def _stream_end(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _hang(self):
        """Accept and never answer: block until the server stops."""
        self._mark(None)
        self.st.stopping.wait()
        self.close_connection = True

    def _disconnect(self):
        self._mark(None)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _delay(self, mode):
        ms = self.st.delay_ms
        if mode == "slow" and not ms:
            ms = 2000
        if ms:
            self.st.stopping.wait(ms / 1000.0)

    # ---- dispatch ---------------------------------------------------------
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self._record(b"")
        p = self.path.split("?")[0]
        if p == "/_requests":
            with self.st.lock:
                return self._send(200, list(self.st.requests))
        if p == "/_control":
            with self.st.lock:
                return self._send(200, self.st.snapshot())
        if p == "/":
            mode = self.st.mode_for(p, None)
            if self._common_failure(mode, None):
                return
            return self._send(200, raw=b"Ollama is running", ctype="text/plain; charset=utf-8")
        if p == "/api/version":
            mode = self.st.mode_for(p, None)
            if self._common_failure(mode, None):
                return
            return self._send(200, {"version": self.st.version})
        if p == "/api/tags":
            mode = self.st.mode_for(p, None)
            if self._common_failure(mode, None):
                return
            with self.st.lock:
                models = [model_entry(m) for m in self.st.models]
            return self._send(200, {"models": models})
        if p == "/api/ps":
            mode = self.st.mode_for(p, None)
            if self._common_failure(mode, None):
                return
            with self.st.lock:
                models = [dict(model_entry(m), expires_at="2026-06-04T14:38:31.83-07:00",
                               size_vram=0, context_length=4096)
                          for m in sorted(self.st.loaded)]
            return self._send(200, {"models": models})
        return self._send(404, raw=b"404 page not found", ctype="text/plain")

    def do_DELETE(self):
        self._read_body()
        self._record(b"")
        if self.path == "/_requests":
            with self.st.lock:
                self.st.requests.clear()
            return self._send(200, {"ok": True})
        return self._send(405, raw=b"405 method not allowed", ctype="text/plain")

    def do_POST(self):
        body = self._read_body()
        if body is None:
            self._record(b"")
            return self._error(400, "request body too large")
        self._record(body)
        p = self.path.split("?")[0]
        if p == "/_control":
            return self._control(body)
        if p == "/_requests/reset":
            with self.st.lock:
                self.st.requests.clear()
            return self._send(200, {"ok": True})
        if p not in ("/api/chat", "/api/generate", "/api/pull", "/api/show"):
            return self._send(404, raw=b"404 page not found", ctype="text/plain")
        if not body.strip():
            return self._error(400, "missing request body")
        try:
            req = json.loads(body)
        except ValueError as e:
            return self._error(400, "invalid character in request body: %s" % e)
        if not isinstance(req, dict):
            return self._error(400, "json: cannot unmarshal into Go value of type api.Request")
        model = req.get("model") or req.get("name")
        if not isinstance(model, str) or not model:
            return self._error(400, "model is required")
        mode = self.st.mode_for(p, model)
        if p == "/api/pull":
            return self._pull(req, model, mode)
        if self._common_failure(mode, model):
            return
        name = full_name(model)
        with self.st.lock:
            known = name in self.st.models or model.startswith("mode-")
        if mode == "notfound" or not known:
            return self._error(404, "model '%s' not found" % model)
        if p == "/api/show":
            return self._send(200, {
                "modelfile": "FROM %s\n" % name, "parameters": "", "template": "{{ .Prompt }}",
                "details": model_entry(name)["details"],
                "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
                "capabilities": ["completion", "tools"]})
        if req.get("think") not in (None, False):
            return self._error(400, "\"%s\" does not support thinking" % model)
        if p == "/api/chat":
            msgs = req.get("messages")
            if msgs is not None and not isinstance(msgs, list):
                return self._error(400, "json: cannot unmarshal messages")
            if not msgs:
                return self._load_reply(req, name, "message")
        elif not req.get("prompt"):
            return self._load_reply(req, name, "response")
        with self.st.lock:
            self.st.loaded.add(name)
        return self._generate(req, name, mode, "message" if p == "/api/chat" else "response")

    # ---- behaviours -------------------------------------------------------
    def _common_failure(self, mode, model):
        """Failures shared by every /api endpoint (after the configured
        delay). True when answered."""
        self._delay(mode)
        if mode == "hang":
            self._hang()
            return True
        if mode == "disconnect":
            self._disconnect()
            return True
        if mode == "error500":
            self._error(500, "llama runner process has terminated: signal: killed")
            return True
        if mode == "busy":
            self._error(503, "server busy, please try again.  maximum pending requests exceeded")
            return True
        if mode == "badrequest":
            self._error(400, "json: cannot unmarshal string into Go struct field")
            return True
        if mode == "malformed":
            self._send(200, raw=b'{"model": "x", "message": {"role": "assist')
            return True
        return False

    def _control(self, body):
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return self._error(400, "bad control json")
        st = self.st
        with st.lock:
            if req.get("reset"):
                st.reset()
            if "mode" in req:
                if req["mode"] not in MODES:
                    return self._error(400, "unknown mode %r" % req["mode"])
                st.mode = req["mode"]
                st.times = None
            if "times" in req:
                st.times = req["times"]
            if "paths" in req:
                st.paths = req["paths"]
            if "delay_ms" in req:
                st.delay_ms = int(req["delay_ms"])
            if "models" in req:
                st.models = [full_name(m) for m in req["models"]]
            if "content" in req:
                st.content = req["content"]
            if "version" in req:
                st.version = req["version"]
            if "prompt_eval_count" in req:
                st.prompt_eval_count = req["prompt_eval_count"]
            snap = st.snapshot()
        return self._send(200, snap)

    def _timings(self, req, text):
        n_prompt = sum(len(m.get("content") or "") for m in req.get("messages") or []
                       if isinstance(m, dict)) + len(req.get("prompt") or "")
        with self.st.lock:
            forced = self.st.prompt_eval_count
        return {"total_duration": 5191566416, "load_duration": 2154458,
                "prompt_eval_count": forced if forced is not None else max(1, n_prompt // 4),
                "prompt_eval_duration": 383809000,
                "eval_count": max(1, len(text) // 4), "eval_duration": 4799921000}

    def _load_reply(self, req, name, field):
        reason = "unload" if req.get("keep_alive") in (0, "0", "0s") else "load"
        out = {"model": name, "created_at": now_iso(), "done": True, "done_reason": reason}
        out[field] = {"role": "assistant", "content": ""} if field == "message" else ""
        return self._send(200, out)

    def _text(self, mode):
        if mode == "empty":
            return ""
        if mode == "badcontent":
            return "I think the disk is full. Check it."
        if mode == "huge":
            return "x" * (8 * 1024 * 1024)
        if mode == "schema":
            return json.dumps({"summary": 7, "root_cause": ["not", "a", "string"],
                               "operator_checks": "df -h", "confidence": "certain"})
        with self.st.lock:
            content = self.st.content
        text = content if content is not None else json.dumps(DEFAULT_DIAGNOSIS)
        if mode == "length":
            text = text[: max(1, len(text) // 2)]
        return text

    def _wrap(self, name, field, text, done, reason=None):
        out = {"model": name, "created_at": now_iso()}
        if field == "message":
            out["message"] = {"role": "assistant", "content": text}
        else:
            out["response"] = text
        out["done"] = done
        if reason:
            out["done_reason"] = reason
        return out

    def _generate(self, req, name, mode, field):
        if mode == "midbody":
            body = json.dumps(self._wrap(name, field, self._text("normal"), True, "stop"))
            data = body.encode()
            self._mark(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) * 2))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self._disconnect()
        if mode == "giant":
            total, chunk = 100 * 1024 * 1024, b"x" * (1024 * 1024)
            self._mark(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            try:
                for _ in range(total // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass                    # the client stopped reading: as it should
            self.close_connection = True
            return None
        text = self._text(mode)
        reason = "length" if mode == "length" else "stop"
        stream = req.get("stream", True)
        if not stream:
            if mode == "midstream":
                return self._error(500, "an error was encountered while running the model")
            out = self._wrap(name, field, text, True, reason)
            out.update(self._timings(req, text))
            if field == "response":
                out["context"] = [1, 2, 3]
            return self._send(200, out)
        self._stream_start()
        step = 16
        pieces = [text[i:i + step] for i in range(0, len(text), step)] or [""]
        for i, piece in enumerate(pieces):
            if mode == "midstream" and i >= max(1, len(pieces) // 2):
                self._chunk({"error": "an error was encountered while running the model"})
                return self._stream_end()
            self._chunk(self._wrap(name, field, piece, False))
        last = self._wrap(name, field, "", True, reason)
        last.update(self._timings(req, text))
        if field == "response":
            last["context"] = [1, 2, 3]
        self._chunk(last)
        self._stream_end()

    def _pull(self, req, model, mode):
        name = full_name(model)
        stream = req.get("stream", True)
        if self._common_failure(mode, model):
            return None
        fail = None
        if mode == "notfound" or model.startswith("mode-notfound") or "missing" in name.split(":")[0]:
            fail = "pull model manifest: file does not exist"
        elif mode == "pull_fail":
            fail = "max retries exceeded: unexpected EOF"
        total = self.server.pull_total
        steps = self.server.pull_steps
        dg = digest_of(name)
        if not stream:
            if fail:
                return self._error(500, fail)
            self._add_model(name)
            return self._send(200, {"status": "success"})
        self._stream_start()
        self._chunk({"status": "pulling manifest"})
        if fail and mode != "pull_fail":
            self._chunk({"error": fail})
            return self._stream_end()
        self._chunk({"status": "pulling %s" % dg[:12], "digest": "sha256:" + dg, "total": total})
        for i in range(1, steps + 1):
            if fail and i > steps // 2:
                self._chunk({"error": fail})
                return self._stream_end()
            self._chunk({"status": "pulling %s" % dg[:12], "digest": "sha256:" + dg,
                         "total": total, "completed": total * i // steps})
        for s in ("verifying sha256 digest", "writing manifest", "success"):
            if s == "success":
                self._add_model(name)
            self._chunk({"status": s})
        self._stream_end()

    def _add_model(self, name):
        with self.st.lock:
            if name not in self.st.models:
                self.st.models.append(name)


def now_iso():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class FakeOllama:
    """Runs this file as a separate process for tests; see the module doc."""

    def __init__(self, tmpdir, timeout=10.0, **opts):
        import subprocess
        import urllib.request   # noqa: F401  (used by the methods)
        self.port_file = os.path.join(tmpdir, "fake-ollama.%d.port" % id(self))
        argv = [sys.executable if sys.executable else "/usr/bin/python3",
                os.path.abspath(__file__), "--port-file", self.port_file]
        for k, v in opts.items():
            argv += ["--" + k.replace("_", "-"), str(v)]
        self.log = open(os.path.join(tmpdir, "fake-ollama.log"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("fake_ollama exited with %s" % self.proc.returncode)
            if time.monotonic() > end:
                self.stop()
                raise RuntimeError("fake_ollama did not start")
            time.sleep(0.01)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.url = "http://%s:%d" % (opts.get("host", "127.0.0.1"), self.port)

    def _call(self, method, path, obj=None, timeout=5.0):
        import urllib.request
        data = json.dumps(obj).encode() if obj is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def control(self, **state):
        """POST /_control with these keys (mode, times, paths, delay_ms,
        models, content, version, reset). Returns the new state."""
        return self._call("POST", "/_control", state)

    def state(self):
        return self._call("GET", "/_control")

    def requests(self, path=None):
        reqs = self._call("GET", "/_requests")
        return [r for r in reqs if path is None or r["path"] == path]

    def wait_requests(self, n, path=None, timeout=10.0):
        """Wait until at least n requests (to path) were recorded; returns them."""
        end = time.monotonic() + timeout
        while True:
            reqs = self.requests(path)
            if len(reqs) >= n:
                return reqs
            if time.monotonic() > end:
                raise AssertionError("fake_ollama: %d of %d requests to %s" % (
                    len(reqs), n, path))
            time.sleep(0.01)

    def reset_requests(self):
        return self._call("DELETE", "/_requests")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Ollama server for tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port-file")
    ap.add_argument("--mode", default="normal", choices=MODES)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--models", default="qwen2.5:7b")
    ap.add_argument("--version", default="0.12.3")
    ap.add_argument("--pull-total", type=int, default=4683073184)
    ap.add_argument("--pull-steps", type=int, default=4)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    srv = Server((args.host, args.port), Handler)
    srv.state = State(args)
    srv.verbose = args.verbose
    srv.pull_total = args.pull_total
    srv.pull_steps = max(1, args.pull_steps)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print("PORT %d" % port, flush=True)

    import signal

    def stop(*_):
        srv.state.stopping.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.05)
    finally:
        srv.state.stopping.set()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
