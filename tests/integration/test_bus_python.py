"""The bus from a language we did not write it in: a Python subscriber (pyzmq +
msgpack) reads every message type that bus_publish_all (libheal's publisher)
sends and validates each payload against schemas/bus.schema.json; the golden
fixtures pass or fail the schema as the C decoder says they should.
"""
import glob
import json
import os
import signal
import subprocess

import msgpack
import pytest
import zmq

from conftest import BUILD, ROOT, SLOW, deadline

jsonschema = pytest.importorskip("jsonschema")

TOOL = os.path.join(BUILD, "tools", "bus_publish_all")
SCHEMA_PATH = os.path.join(ROOT, "schemas", "bus.schema.json")
FIXTURES = os.path.join(ROOT, "schemas", "fixtures")
TYPES = {"check", "alert", "cycle", "diagnosis", "agent"}


@pytest.fixture(scope="module")
def validator():
    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def expected_topic(p):
    t = p["type"]
    if t == "check":
        return "heal.check.%s.%s" % (p["severity"], p["check"])
    if t == "alert":
        return "heal.alert.%s" % p["check"]
    return "heal." + t


@pytest.fixture
def publisher(tmp):
    if not os.access(TOOL, os.X_OK):
        pytest.fail("%s missing (make unit-bins)" % TOOL)
    endpoint = "ipc://%s/bus" % tmp
    p = subprocess.Popen([TOOL, endpoint, "0", "10"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line.startswith("ipc://"), line
    yield endpoint, p
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10 * SLOW)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def subscribe(endpoint, prefixes=("",)):
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    for prefix in prefixes:
        s.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    s.connect(endpoint)
    return s


def read_until(sock, done, timeout=10.0):
    """Read (topic, payload) pairs until done(seen) or the deadline."""
    end = deadline(timeout)
    seen = []
    while not done(seen):
        left = end - __import__("time").monotonic()
        assert left > 0, "timed out; saw %s" % sorted({t for t, _ in seen})
        if sock.poll(int(left * 1000)):
            frames = sock.recv_multipart()
            assert len(frames) == 2, frames
            seen.append((frames[0].decode("utf-8"), msgpack.unpackb(frames[1], raw=False)))
    return seen


def test_python_reads_and_validates_every_type(publisher, validator):
    endpoint, proc = publisher
    sock = subscribe(endpoint)
    try:
        seen = read_until(sock, lambda s: {p["type"] for _, p in s} >= TYPES
                          and len({t for t, _ in s}) >= 6)
    finally:
        sock.close(0)
    for topic, payload in seen:
        errors = sorted(validator.iter_errors(payload), key=str)
        assert not errors, (topic, [e.message for e in errors])
        assert topic == expected_topic(payload)
        assert payload["v"] == 1
        assert payload["source"] == "bus_publish_all"
    # seq is per publisher, +1 each message
    seqs = [p["seq"] for _, p in seen]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    # a check event carries its remedy map, evidence and metrics
    check = next(p for t, p in seen if t == "heal.check.critical.disk_root")
    assert check["remedy"]["result"] == "failed"
    assert len(check["evidence"]) == 3 and check["metrics"]["free_pct"] == 4.5
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10 * SLOW) == 0
    assert "dropped 0" in proc.stderr.read()


def test_python_prefix_subscription(publisher, validator):
    endpoint, _ = publisher
    sock = subscribe(endpoint, ("heal.alert.", "heal.cycle"))
    try:
        seen = read_until(sock, lambda s: len(s) >= 6)
    finally:
        sock.close(0)
    assert {p["type"] for _, p in seen} == {"alert", "cycle"}
    for _, payload in seen:
        validator.validate(payload)


def test_fixtures_against_schema(validator):
    files = sorted(glob.glob(os.path.join(FIXTURES, "*.msgpack")))
    valid = [f for f in files if not os.path.basename(f).startswith("invalid-")]
    assert len(valid) >= 8 and len(files) - len(valid) >= 8, files
    for path in valid:
        with open(path, "rb") as f:
            payload = msgpack.unpackb(f.read(), raw=False)
        errors = [e.message for e in validator.iter_errors(payload)]
        assert not errors, (path, errors)
    # the invalid ones that Python can unpack at all must fail the schema
    # (the others fail in msgpack itself: truncated, bad UTF-8, huge array...)
    must_fail = ["invalid-bad-version", "invalid-missing-field", "invalid-wrong-type",
                 "invalid-not-a-map"]
    for name in must_fail:
        with open(os.path.join(FIXTURES, name + ".msgpack"), "rb") as f:
            payload = msgpack.unpackb(f.read(), raw=False)
        assert not validator.is_valid(payload), name
    for name in ["invalid-truncated", "invalid-utf8"]:
        with open(os.path.join(FIXTURES, name + ".msgpack"), "rb") as f:
            with pytest.raises(Exception):
                msgpack.unpackb(f.read(), raw=False)
