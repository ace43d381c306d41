"""The log kind through the real agent: increments, the rate window, every
rotation case, the size remedy, hostile files, state across restarts.

Checks run on demand (`ctl run NAME`); the agent's interval is 300 s so
nothing else runs them. Waits have deadlines; the only time-based wait is the
rate window sliding, which is what is being tested.
"""
import os
import shutil
import signal
import stat

import pytest

from conftest import wait_exit, wait_for


def log_check(name, path, pattern=None, max_rate=None, max_size=None,
              from_start=None, critical=False, remedy=None):
    text = "check = %s\n    kind = log\n    path = \"%s\"\n" % (name, path)
    if pattern:
        text += "    pattern = \"%s\"\n" % pattern
    if max_rate:
        text += "    max_rate = \"%s\"\n" % max_rate
    if max_size:
        text += "    max_size = \"%s\"\n" % max_size
    if from_start is not None:
        text += "    from_start = %s\n" % ("true" if from_start else "false")
    if critical:
        text += "    critical = true\n"
    if remedy:
        text += "    remedy\n"
        for k, v in remedy.items():
            text += "        %s = %s\n" % (k, v)
    return text


def start(heal):
    """Start the agent and wait for its first cycle to end, so that cycle's
    runs cannot interleave with what the test writes next."""
    if heal.bus is not None:
        heal.bus.seen.clear()       # a restart: wait for the new agent's events
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle", 15)


def run(heal, name):
    r = heal.ctl("run", name, timeout=15)
    assert r["ok"], r
    return r["data"]["checks"][name]


def append(path, data):
    with open(path, "ab") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def metric(ev, name):
    return ev["metrics"].get(name)


def test_increments_rate_window_and_evidence(heal):
    log = os.path.join(heal.dir, "app.log")
    append(log, "old ERROR before heal started\n" * 10)
    heal.config(log_check("app", log, pattern="^ERROR", max_rate="3/4s"))
    start(heal)
    ev = run(heal, "app")
    # started at the end: old errors are not a spike
    assert ev["severity"] == "ok", ev
    assert metric(ev, "matches") == 0
    append(log, "ERROR one\nINFO fine\nnot ERROR at start\nERROR two\n")
    ev = run(heal, "app")
    assert ev["severity"] == "ok" and metric(ev, "new_matches") == 2, ev
    assert ev["evidence"] == ["ERROR one", "ERROR two"]
    append(log, "ERROR three\nERROR four \x01\x1b[31m\n")
    ev = run(heal, "app")
    # over max_rate: an optional check failing is a warning; no remedy configured
    assert ev["severity"] == "warning", ev
    assert metric(ev, "matches") == 4
    assert metric(ev, "matches_per_hour") == 4 * 900
    assert "max_rate 3/4s" in ev["message"]
    assert ev["evidence"][-1] == "ERROR four ??[31m"
    # the window slides: back to ok once the matches are older than 4 s
    wait_for(lambda: run(heal, "app")["severity"] == "ok", 10, "rate window to slide",
             interval=0.1)


def test_rotation_cases(heal):
    log = os.path.join(heal.dir, "r.log")
    old = log + ".1"
    append(log, "start\n")
    heal.config(log_check("r", log, pattern="ERR"))
    start(heal)
    assert metric(run(heal, "r"), "new_matches") == 0
    # rename: late writes to the old file and the new file's lines both count
    append(log, "ERR before rename\n")
    os.rename(log, old)
    append(old, "ERR late write to the old file\n")
    append(log, "ERR new file\n")
    ev = run(heal, "r")
    assert metric(ev, "new_matches") == 3, ev
    assert "rotated" in ev["message"]
    # copytruncate
    append(log, "ERR before copy\n")
    os.unlink(old)
    shutil.copyfile(log, old)
    os.truncate(log, 0)
    append(log, "ERR after truncate\n")
    ev = run(heal, "r")
    assert metric(ev, "new_matches") == 2, ev
    # plain truncation
    os.truncate(log, 0)
    os.unlink(old)
    append(log, "ERR x\n")
    ev = run(heal, "r")
    assert metric(ev, "new_matches") == 1 and "truncated" in ev["message"], ev
    # disappears: unknown; comes back: read from its start
    os.unlink(log)
    ev = run(heal, "r")
    assert ev["severity"] == "unknown" and "no such file" in ev["message"], ev
    append(log, "ERR back\nERR again\n")
    ev = run(heal, "r")
    assert ev["severity"] == "ok" and metric(ev, "new_matches") == 2, ev


def test_state_survives_restart(heal):
    log = os.path.join(heal.dir, "s.log")
    append(log, "")
    heal.config(log_check("s", log, pattern="ERR"))
    start(heal)
    append(log, "ERR 1\n")
    assert metric(run(heal, "s"), "new_matches") == 1
    heal.agent.send_signal(signal.SIGKILL)
    heal.agent.wait()
    append(log, "ERR 2\nERR 3\n")
    start(heal)
    ev = run(heal, "s")
    # counts persist (1h window) and the offset too: 1 + 2, not re-read (4)
    # and not lost (1)
    assert metric(ev, "matches") == 3, ev
    state = os.path.join(heal.state, "log-s.json")
    assert os.path.exists(state)


def test_size_remedy_rotates(heal):
    log = os.path.join(heal.dir, "big.log")
    reopened = os.path.join(heal.dir, "reopened")
    append(log, "")
    heal.config(log_check("big", log, pattern="E", max_size="1K",
                          remedy={"rotate": "true", "keep": "2",
                                  "reopen": "\"echo reopen >> %s\"" % reopened,
                                  "attempts": "10", "backoff": "0"}))
    start(heal)
    run(heal, "big")
    for i in range(3):
        append(log, ("%d" % i) + "x" * 2000 + "\nE pending\n")
        ev = run(heal, "big")
        assert ev["severity"] == "healed", (ev["message"], ev["remedy"])
        assert ev["remedy"]["action"] == "rotate" and ev["remedy"]["result"] == "healed"
        assert os.path.getsize(log) == 0
        assert open(log + ".1", "rb").read(1) == str(i).encode()
    assert open(log + ".2", "rb").read(1) == b"1"
    assert not os.path.exists(log + ".3")
    assert open(reopened).read().count("reopen") == 3
    # the pending lines were counted before the data moved
    assert metric(run(heal, "big"), "matches") == 3


def test_size_remedy_copytruncate_keeps_inode(heal):
    log = os.path.join(heal.dir, "ct.log")
    append(log, "y" * 5000 + "\n")
    ino = os.stat(log).st_ino
    heal.config(log_check("ct", log, max_size="1K", critical=True,
                          remedy={"copytruncate": "true"}))
    start(heal)
    ev = run(heal, "ct")
    assert ev["severity"] in ("ok", "healed"), ev
    assert os.stat(log).st_ino == ino and os.path.getsize(log) == 0
    assert os.path.getsize(log + ".1") == 5001


def test_hostile_files(heal):
    log = os.path.join(heal.dir, "h.log")
    append(log, "")
    heal.config(log_check("h", log, pattern="NEEDLE", from_start=True))
    start(heal)
    run(heal, "h")
    big = b"a" * 10 + b"NEEDLE" + b"b" * (3 * 1024 * 1024) + b"NEEDLE\n"
    append(log, big)
    append(log, b"bin\x00\x00NEEDLE\xc3\x28\xff\x00z\n" + bytes(range(256)) + b"\n")
    ev = run(heal, "h")
    assert ev["severity"] == "ok"
    assert metric(ev, "new_matches") == 2, ev
    assert all(len(e.encode()) <= 512 for e in ev["evidence"])
    assert ev["evidence"][0].endswith("...")
    assert ev["evidence"][1].startswith("bin??NEEDLE\ufffd(\ufffd?z")
    # a directory in its place
    os.unlink(log)
    os.mkdir(log)
    ev = run(heal, "h")
    assert ev["severity"] == "unknown" and "a directory" in ev["message"], ev
    os.rmdir(log)
    # a FIFO with no writer: must not hang the check
    os.mkfifo(log)
    ev = run(heal, "h")
    assert ev["severity"] == "unknown" and "a FIFO" in ev["message"], ev
    os.unlink(log)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file; the unit "
                    "test tests/unit/test_log.c covers it by dropping to nobody")
def test_permission_loss(heal):
    log = os.path.join(heal.dir, "p.log")
    append(log, "x\n")
    heal.config(log_check("p", log, pattern="x"))
    start(heal)
    run(heal, "p")
    os.chmod(log, 0)
    ev = run(heal, "p")
    assert ev["severity"] == "unknown" and "Permission denied" in ev["message"], ev
    os.chmod(log, stat.S_IRUSR | stat.S_IWUSR)


def test_config_errors(heal):
    import subprocess
    from conftest import AGENT
    for block, what in [
        (log_check("bad", "rel.log", pattern="x"), "absolute"),
        (log_check("bad", "/tmp/x.log", pattern="a(b"), "invalid regex"),
        (log_check("bad", "/tmp/x.log", pattern="x", max_rate="lots"), "max_rate"),
        (log_check("bad", "/tmp/x.log", pattern="x", remedy={"rotate": "true"}), "max_size"),
    ]:
        heal.config(block)
        p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True,
                           timeout=10)
        assert p.returncode == 78, p.stderr
        assert "check 'bad'" in p.stderr and what in p.stderr, p.stderr
