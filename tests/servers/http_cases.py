#!/usr/bin/python3
"""http_cases — a test HTTP server whose paths each misbehave one way, for the
unit test of libheal's HTTP client (tests/unit/test_http.c). Stdlib only.

  GET  /ok              200 "hello\\n"
  GET  /status/N        status N, body "status N\\n"
  GET  /slow?ms=N       200 after N ms
  GET  /huge?n=N        200 with N bytes of 'x' (Content-Length set)
  GET  /cut             Content-Length 1000, 10 bytes, then the socket closes
  GET  /garbage         bytes that are not HTTP, then close
  GET  /hang            never answers (until the server stops)
  GET  /trickle         200, one byte every 100 ms for 30 s
  GET  /lines           NDJSON: three lines, the last without its newline
  GET  /longline        one line of 100 KiB
  GET  /redirect        302 to /ok
  HEAD /ok              200, no body
  POST /echo            200, the request's Content-Type, a newline, its body

Command line: --port-file FILE (written once listening, atomically).
SIGTERM stops it.
"""
import argparse, os, signal, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

STOP = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        p = u.path
        if p == "/ok":
            self._send(200, b"hello\n")
        elif p.startswith("/status/"):
            n = int(p.split("/")[2])
            self._send(n, b"status %d\n" % n)
        elif p == "/slow":
            STOP.wait(int(q.get("ms", ["1000"])[0]) / 1000.0)
            self._send(200, b"slow\n")
        elif p == "/huge":
            self._send(200, b"x" * int(q.get("n", ["1000000"])[0]))
        elif p == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif p == "/garbage":
            self.wfile.write(b"\x00\x01 this is not HTTP \xff\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif p == "/hang":
            STOP.wait(60)
            self.close_connection = True
        elif p == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "300")
            self.end_headers()
            for _ in range(300):
                if STOP.wait(0.1):
                    break
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    break
            self.close_connection = True
        elif p == "/lines":
            self._send(200, b'{"n":1}\n{"n":2}\r\n{"n":3}')
        elif p == "/longline":
            self._send(200, b"y" * (100 * 1024) + b"\n")
        elif p == "/redirect":
            self._send(302, b"", [("Location", "/ok")])
        elif p == "/retry-seconds":
            self._send(429, b"slow down\n", [("Retry-After", "7")])
        elif p == "/retry-date":
            self._send(503, b"later\n", [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")])
        elif p == "/retry-huge":
            self._send(429, b"", [("Retry-After", "99999999999")])
        elif p == "/retry-bad":
            self._send(429, b"", [("Retry-After", "soon")])
        else:
            self._send(404, b"no such path\n")

    def do_HEAD(self):
        self.send_response(200 if urlparse(self.path).path == "/ok" else 404)
        self.send_header("Content-Length", "6")
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        if urlparse(self.path).path == "/echo":
            ctype = (self.headers.get("Content-Type") or "").encode()
            types = len(self.headers.get_all("Content-Type") or [])
            extra = (self.headers.get("X-Heal-Test") or "").encode()
            if extra or types > 1:
                ctype += b" types=%d x=%s" % (types, extra)
            self._send(200, ctype + b"\n" + body)
        else:
            self._send(404, b"no such path\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # clients that hang up early are what the tests are about


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)

    def stop(*_):
        STOP.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()


if __name__ == "__main__":
    main()
