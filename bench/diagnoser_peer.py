"""diagnoser_peer: the obvious Python equivalent of heal-diagnoser, for the
benchmark only: SUB on the bus, on heal.cycle with issues one POST /api/chat
(urllib, stream false), parse the JSON reply and PUSH heal.diagnosis.

python3 diagnoser_peer.py PUBLISH INBOUND OLLAMA_URL MODEL
"""
import json
import socket
import sys
import time
import urllib.request

import msgpack
import zmq


def main():
    publish, inbound, url, model = sys.argv[1:5]
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    for p in ("heal.check.critical.", "heal.cycle"):
        sub.setsockopt(zmq.SUBSCRIBE, p.encode())
    sub.connect(publish)
    push = ctx.socket(zmq.PUSH)
    push.connect(inbound)
    last = {}
    seq = 0
    while True:
        topic, payload = sub.recv_multipart()
        ev = msgpack.unpackb(payload, raw=False)
        if topic.startswith(b"heal.check."):
            last[ev["check"]] = ev
            continue
        issues = ev.get("issues") or []
        if not issues:
            continue
        text = "\n".join("check %s: %s\n%s" % (n, last.get(n, {}).get("message", ""),
                                             "\n".join(last.get(n, {}).get("evidence") or []))
                         for n in issues)
        body = json.dumps({"model": model, "stream": False, "format": "json",
                           "messages": [{"role": "user", "content": text}]}).encode()
        t0 = time.monotonic()
        req = urllib.request.Request(url + "/api/chat", data=body,
                                     headers={"Content-Type": "application/json"})
        out = {"v": 1, "type": "diagnosis", "ts": int(time.time() * 1000),
               "host": socket.gethostname(), "source": "peer", "cycle": ev["cycle"],
               "checks": issues, "fingerprint": "", "model": model, "cached": False}
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                reply = json.loads(r.read())
            content = json.loads(reply["message"]["content"])
            out.update(summary=content.get("summary"), root_cause=content.get("root_cause"),
                       operator_checks=content.get("operator_checks") or [])
        except Exception as e:   # fail open, as heal does
            out["error"] = str(e)
        seq += 1
        out["seq"] = seq
        out["latency_ms"] = int((time.monotonic() - t0) * 1000)
        push.send_multipart([b"heal.diagnosis", msgpack.packb(out)])


if __name__ == "__main__":
    main()
