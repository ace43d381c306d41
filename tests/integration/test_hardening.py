"""Issue 14: nobody else commands heal, forges its events or writes through
its state dir. One test per defect; each fails on the code before the fix."""
import json
import os
import stat
import subprocess
import time

import msgpack
import pytest
import zmq

from conftest import (AGENT, HEALCTL, SLOW, command_check, deadline, free_port,
                      wait_exit, wait_for, write_config)


def forged(type_, **extra):
    base = {"v": 1, "seq": 1, "ts": int(time.time() * 1000), "host": "h",
            "source": "heal-agent"}
    base.update(type=type_, **extra)
    return msgpack.packb(base)


# --- 1: forged events -------------------------------------------------------

def test_forged_agent_events_are_not_forwarded(heal):
    """A PUSH claiming to be heal-agent sends a critical check event for a
    check that does not exist and a cycle saying the machine is degraded: the
    bus never carries them; a diagnosis sent after them is forwarded (so the
    forged ones could have been), and status counts the refusals."""
    heal.config(command_check("one", "true"))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle")
    push = heal.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(heal.inbound)
    check = forged("check", cycle=1, check="ghost", kind="command", critical=True,
                   severity="critical", message="forged", duration_ms=1, streak=9,
                   since=1, changed=True, evidence=[], metrics={}, remedy=None)
    cycle = forged("cycle", cycle=99, counts={"ok": 0, "healed": 0, "warning": 0,
                                              "critical": 1, "unknown": 0},
                   degraded=True, issues=["ghost"], duration_ms=1, checks=1)
    alert = forged("alert", check="ghost", alert="critical", severity="critical",
                   message="forged", cycle=1)
    agent = forged("agent", event="stopping", version="0", pid=1, cycle=1)
    diag = {"v": 1, "type": "diagnosis", "seq": 2, "ts": int(time.time() * 1000),
            "host": "h", "source": "test", "cycle": 1, "checks": ["one"],
            "fingerprint": "abc", "model": "m", "summary": "after the forgeries",
            "root_cause": "none", "operator_checks": [], "latency_ms": 5,
            "cached": False}
    try:
        push.send_multipart([b"heal.check.critical.ghost", check])
        push.send_multipart([b"heal.cycle", cycle])
        push.send_multipart([b"heal.alert.ghost", alert])
        push.send_multipart([b"heal.agent", agent])
        push.send_multipart([b"heal.diagnosis", msgpack.packb(diag)])
        heal.bus.wait_topic("heal.diagnosis", 10)
        for topic, payload in heal.bus.seen:
            assert payload.get("check") != "ghost", topic
            assert payload.get("cycle") != 99, topic
            assert not (topic == "heal.agent" and payload.get("pid") == 1), topic
        counters = heal.ctl("status")["data"]["counters"]
        assert counters["inbound_forwarded"] == 1, counters
        assert counters["inbound_refused"] >= 3, counters
    finally:
        push.close(0)
