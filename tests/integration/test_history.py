"""Incidents and history (issue 15): one record per incident, open ones kept in
state.json, closed ones appended once to incidents.jsonl, per-check counters,
the `history` and `incidents` commands, healctl history / show / status CHECK.
"""
import json
import os
import shutil
import signal
import subprocess

import jsonschema
import pytest

from conftest import AGENT, command_check, wait_exit, wait_for
from test_process import (REDIS, Redis, alive, check_block, ping, q, read_pid,
                          redis_start)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lines(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f.read().splitlines() if l.strip()]
    except FileNotFoundError:
        return []


def ok(reply):
    assert reply["ok"], reply
    return reply["data"]


def state(heal):
    with open(os.path.join(heal.state, "state.json")) as f:
        return json.load(f)


def report_schema():
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as f:
        return json.load(f)


def flag_check(heal, name="web", remedy=None, **kw):
    """A check that fails until its flag file exists."""
    flag = os.path.join(heal.dir, name + ".up")
    return flag, command_check(name, "test -f %s || { echo %s down; exit 2; }" % (flag, name),
                               critical=True, remedy=remedy, **kw)


@pytest.mark.skipif(not os.access(REDIS, os.X_OK), reason="redis-server is not installed")
def test_redis_killed_three_times_is_three_healed_incidents(heal, tmp):
    redis = Redis(tmp)
    try:
        # redis runs before the agent: the first run is a plain ok, not a heal.
        subprocess.run(redis_start(tmp, redis.port), shell=True, check=True)
        wait_for(lambda: ping(redis.port), 5, "redis answering PING")
        heal.config(check_block("redis",
                                [("pidfile", q(redis.pidfile)), ("port", redis.port),
                                 ("match", q("redis-server"))],
                                [("start", q(redis.wrapper())), ("attempts", 10),
                                 ("backoff", "10ms")]),
                    interval=300)
        heal.start_agent()
        last = heal.bus.wait_topic("heal.check.ok.redis", 20)[1]
        for _ in range(3):
            pid = read_pid(redis.pidfile)
            assert pid and alive(pid)
            os.kill(pid, signal.SIGKILL)
            p = heal.bus.wait_topic("heal.check.healed.redis", 10,
                                    lambda p, s=last["seq"]: p["seq"] > s)[1]
            wait_for(lambda: ping(redis.port), 5, "redis answering PING")
            assert ok(heal.ctl("run", "redis"))
            last = heal.bus.wait_topic("heal.check.ok.redis", 10,
                                       lambda p, s=p["seq"]: p["seq"] > s)[1]
        data = ok(heal.ctl("incidents", "0"))
        assert [i["outcome"] for i in data["incidents"]] == ["healed"] * 3
        assert [i["id"] for i in data["incidents"]] == [1, 2, 3]
        assert all(i["check"] == "redis" and i["remedies"][0]["action"] == "start"
                   and i["remedies"][0]["result"] == "healed" for i in data["incidents"])
        assert data["open"] == [] and data["last_id"] == 3
        assert ok(heal.ctl("incidents", "2"))["incidents"][0]["id"] == 3
        assert len(lines(os.path.join(heal.state, "incidents.jsonl"))) == 3
        r = heal.healctl("history", "redis", "--json")
        assert r.returncode == 0, r.stderr
        h = json.loads(r.stdout)
        assert h["checks"]["redis"]["heals"] == 3
        assert h["checks"]["redis"]["remedies"] == 3
        assert h["checks"]["redis"]["mttr_ms"] >= 0
        assert len(h["incidents"]) == 3
        assert h["incidents"][0]["id"] == 3           # newest first
        r = heal.healctl("history")
        assert r.returncode == 0, r.stderr
        first = r.stdout.splitlines()[0]
        assert first == "heal healed 3 problems in the last 7 days (redis 3).", first
        # status: the heals column and heals_7d; report.json: the same summary
        st = ok(heal.ctl("status"))
        assert st["checks"][0]["heals_7d"] == 3
        assert "HEALS_7D" in heal.healctl("status").stdout
        rep = wait_for(lambda: heal.report().get("heals_7d", {}).get("redis") == 3
                       and heal.report(), 5, "report heals_7d")
        jsonschema.validate(rep, report_schema())
        # show: why it was healed, its incidents; exit code = its severity
        r = heal.healctl("show", "redis")
        assert r.returncode == 0, r.stderr
        assert "heals      3 in the last 7 days" in r.stdout
        assert "#3" in r.stdout and "#1" in r.stdout
    finally:
        for p in heal.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                wait_exit(p)
        redis.kill()


def test_failing_ten_intervals_is_one_incident(heal):
    flag, check = flag_check(heal)
    heal.config(check)
    heal.start_agent()
    heal.bus.wait_topic("heal.check.critical.web", 10)
    for _ in range(9):
        ok(heal.ctl("run", "web"))
    incidents = os.path.join(heal.state, "incidents.jsonl")
    assert lines(incidents) == []                       # still open: nothing closed
    data = ok(heal.ctl("incidents"))
    assert data["incidents"] == [] and len(data["open"]) == 1
    opened = data["open"][0]
    assert opened["runs"] == 10 and opened["outcome"] == "open"
    assert opened["message"] == "web down" and opened["severity"] == "critical"
    assert [a["alert"] for a in opened["alerts"]] == ["critical"]
    # open incidents live in state.json (updates in place: within a second)
    wait_for(lambda: state(heal)["incidents"]["open"]["web"]["runs"] == 10, 5,
             "the open incident in state.json")
    # history shows it open; status CHECK and show exit with its severity (2)
    h = json.loads(heal.healctl("history", "--json").stdout)
    assert h["incidents"][0]["outcome"] == "open" and h["checks"]["web"]["failures"] == 10
    assert heal.healctl("show", "web").returncode == 2
    r = heal.healctl("status", "web")
    assert r.returncode == 2 and "web (command, critical)" in r.stdout, r.stdout
    assert heal.healctl("status", "nope").returncode == 1
    open(flag, "w").close()
    ok(heal.ctl("run", "web"))
    closed = wait_for(lambda: lines(incidents), 5, "closed incident")
    assert len(closed) == 1
    rec = closed[0]
    assert rec["id"] == 1 and rec["outcome"] == "recovered" and rec["runs"] == 10
    assert rec["closed"] >= rec["opened"] and rec["duration_ms"] == rec["closed"] - rec["opened"]
    assert [a["alert"] for a in rec["alerts"]] == ["critical", "recovered"]
    # the state follows the file within a second
    wait_for(lambda: state(heal)["incidents"]["open"] == {}, 5, "state.json without it")
    # ok runs afterwards add nothing
    ok(heal.ctl("run", "web"))
    assert len(lines(incidents)) == 1
    r = heal.healctl("incidents")
    assert r.returncode == 0 and json.loads(r.stdout)["incidents"][0]["id"] == 1, r.stdout
    h = json.loads(heal.healctl("history", "web", "--since", "1h", "--json").stdout)
    assert h["checks"]["web"]["down_ms"] > 0 and h["checks"]["web"]["heals"] == 0
    assert heal.healctl("history", "--since", "91d").returncode == 64


def test_kill9_mid_incident_continues_and_closes_once(heal):
    flag, check = flag_check(heal)
    heal.config(check)
    heal.start_agent()
    heal.bus.wait_topic("heal.check.critical.web", 10)
    ok(heal.ctl("run", "web"))
    first = ok(heal.ctl("incidents"))["open"][0]
    # mid-incident: the open incident has reached state.json (within a second)
    wait_for(lambda: "web" in state(heal).get("incidents", {}).get("open", {}), 5,
             "the open incident in state.json")
    heal.agent.send_signal(signal.SIGKILL)
    heal.agent.wait(10)
    heal.bus.close()
    heal.bus = None
    heal.start_agent()
    heal.bus.wait_topic("heal.check.critical.web", 10)
    again = ok(heal.ctl("incidents"))["open"]
    assert len(again) == 1
    # the same incident goes on (an update in place younger than the lazy
    # state flush may be lost with the process: the run count, not the incident)
    assert again[0]["opened"] == first["opened"] and again[0]["runs"] >= 2
    # Keep the state as it is now (incident open), close it, then put that
    # state back: as if a kill -9 came between the append and the state save.
    saved = os.path.join(heal.dir, "state.saved")
    shutil.copy(os.path.join(heal.state, "state.json"), saved)
    open(flag, "w").close()
    ok(heal.ctl("run", "web"))
    incidents = os.path.join(heal.state, "incidents.jsonl")
    wait_for(lambda: lines(incidents), 5, "closed incident")
    heal.agent.send_signal(signal.SIGKILL)
    heal.agent.wait(10)
    shutil.copy(saved, os.path.join(heal.state, "state.json"))
    heal.bus.close()
    heal.bus = None
    heal.start_agent()
    data = ok(heal.ctl("incidents"))
    assert data["open"] == [] and len(data["incidents"]) == 1
    ok(heal.ctl("run", "web"))
    rec = lines(incidents)
    assert len(rec) == 1 and rec[0]["outcome"] == "recovered"
    assert rec[0]["opened"] == first["opened"]
    # the next incident gets the next id
    os.unlink(flag)
    ok(heal.ctl("run", "web"))
    open(flag, "w").close()
    ok(heal.ctl("run", "web"))
    assert [r["id"] for r in lines(incidents)] == [1, 2]


def test_mute_closes_and_removed_check_is_pruned(heal):
    flag, web = flag_check(heal)
    heal.config(web + command_check("other", "exit 2"))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle", 10)
    ok(heal.ctl("mute", "web", "600"))
    incidents = os.path.join(heal.state, "incidents.jsonl")
    rec = wait_for(lambda: lines(incidents), 5, "muted incident")
    assert rec[0]["check"] == "web" and rec[0]["outcome"] == "muted"
    # muted and still failing: no new incident
    ok(heal.ctl("run", "web"))
    assert "web" not in state(heal)["incidents"]["open"]
    # other is removed from the config: its incident closes, its counters go
    heal.config(web)
    ok(heal.ctl("reload"))
    rec = lines(incidents)
    assert [(r["check"], r["outcome"]) for r in rec] == [("web", "muted"), ("other", "removed")]
    st = state(heal)
    assert "other" not in st["history"] and "web" in st["history"]
    # history counters survive a restart
    before = ok(heal.ctl("history", "web"))["checks"]["web"]
    heal.agent.send_signal(signal.SIGTERM)
    assert wait_exit(heal.agent) == 0
    heal.bus.close()
    heal.bus = None
    heal.start_agent()
    after = ok(heal.ctl("history", "web"))["checks"]["web"]
    assert after["failures"] >= before["failures"] and after["runs"] >= before["runs"]
    assert after["muted_ms"] >= before["muted_ms"]
    # bad arguments are refused
    assert not heal.ctl("history", "web", "0")["ok"]
    assert not heal.ctl("incidents", "-1")["ok"]
    assert not heal.ctl("history", "nope")["ok"]


def test_notify_digest_comes_from_the_agent_history(heal):
    """heal-notify's digest asks the agent for its history: heals that
    happened while heal-notify was not running are in it."""
    from test_notify import NOTIFY, Receiver, webhook
    receiver = Receiver()
    try:
        flag = os.path.join(heal.dir, "flag")
        fix = command_check("fix", "test -f %s || { echo fix down; exit 2; }" % flag,
                            critical=True, remedy="touch %s" % flag)
        probe = command_check("probe", "echo fine")
        heal.config(checks=fix + probe,
                    extra='notify\n    digest = "mon 09:00"\n'
                          + webhook("hook", receiver.url(), "    on = digest\n"))
        heal.start_agent()
        heal.bus.wait_topic("heal.check.healed.fix", 10)
        os.unlink(flag)
        assert ok(heal.ctl("heal", "fix"))["checks"]["fix"]["severity"] == "healed"
        # heal-notify starts after both heals: it heard neither
        notify = heal.spawn([NOTIFY, "-v", "-c", heal.conf])
        log = os.path.join(heal.dir, "heal-notify.out")

        def hearing():
            heal.ctl("run", "probe")
            return "hearing" in open(log, errors="replace").read()
        wait_for(hearing, 10, "heal-notify hearing the agent", interval=0.05)
        notify.send_signal(signal.SIGUSR1)
        wait_for(lambda: receiver.posts, 10, "digest")
        item = receiver.items()[0]
        assert item["type"] == "digest" and item["healed"] == 2, item
        assert "heal healed 2 problems since" in item["text"] and "(fix 2)" in item["text"]
        assert notify.poll() is None
    finally:
        receiver.stop()


def test_notify_catches_up_alerts_published_while_it_was_down(heal):
    """Alerts the agent published while heal-notify was not running come
    from the agent's history when heal-notify hears the agent again."""
    from test_notify import NOTIFY, Receiver, webhook
    receiver = Receiver()
    try:
        flag = os.path.join(heal.dir, "up")
        open(flag, "w").close()
        dead = command_check("dead", "test -f %s || { echo refused; exit 2; }" % flag,
                             critical=True)
        probe = command_check("probe", "echo fine")
        heal.config(checks=dead + probe,
                    extra=webhook("hook", receiver.url(), "    on = critical, recovered\n"))
        heal.start_agent()
        log = os.path.join(heal.dir, "heal-notify.out")

        def start_notify():
            p = heal.spawn([NOTIFY, "-v", "-c", heal.conf])
            size = os.path.getsize(log) if os.path.exists(log) else 0

            def hearing():
                heal.ctl("run", "probe")
                with open(log, errors="replace") as f:
                    f.seek(size)
                    text = f.read()
                return "hearing" in text or "missed" in text or "restarted" in text
            wait_for(hearing, 10, "heal-notify hearing the agent", interval=0.05)
            return p
        notify = start_notify()
        notify.send_signal(signal.SIGTERM)
        assert wait_exit(notify) == 0
        # while heal-notify is down: dead fails (critical), then recovers
        os.unlink(flag)
        assert ok(heal.ctl("run", "dead"))["checks"]["dead"]["severity"] == "critical"
        open(flag, "w").close()
        assert ok(heal.ctl("run", "dead"))["checks"]["dead"]["severity"] == "ok"
        assert not receiver.posts
        notify = start_notify()
        wait_for(lambda: len(receiver.items()) >= 2, 10, "caught-up alerts")
        items = receiver.items()
        assert [(i["check"], i["alert"]) for i in items] == [("dead", "critical"),
                                                             ("dead", "recovered")], items
        assert all("/catch-up/" in i["id"] for i in items)
        assert "caught up 2 alert(s)" in open(log, errors="replace").read()
        assert notify.poll() is None
    finally:
        receiver.stop()


def test_history_reads_the_files_past_what_memory_holds(heal):
    """The agent keeps the newest closed incidents in memory; an older one
    (here the 1st of 300) still comes from the file; `incidents` pages."""
    import time
    heal.config(command_check("web", "true") + command_check("db", "true"))
    os.makedirs(heal.state, mode=0o700, exist_ok=True)
    now = int(time.time() * 1000)
    with open(os.path.join(heal.state, "incidents.jsonl"), "w") as f:
        for i in range(1, 301):
            check = "db" if i == 1 else "web"
            t = now - 3600 * 1000 + i * 1000
            f.write(json.dumps({"id": i, "check": check, "opened": t - 10, "closed": t,
                                "outcome": "healed", "duration_ms": 10, "kind": "command",
                                "critical": False, "severity": "healed", "gave_up": False,
                                "runs": 1, "message": "m%d" % i, "evidence": [],
                                "last_message": "ok", "remedies": [], "alerts": [],
                                "diagnosis": None}, separators=(",", ":")) + "\n")
    heal.start_agent()
    h = ok(heal.ctl("history", "db"))
    assert [i["id"] for i in h["incidents"]] == [1] and h["more"] is False
    h = ok(heal.ctl("history", "web", "86400", "5"))
    assert [i["id"] for i in h["incidents"]] == [300, 299, 298, 297, 296] and h["more"]
    page = ok(heal.ctl("incidents", "0"))
    assert len(page["incidents"]) == 200 and page["more"] and page["last_id"] == 200
    page = ok(heal.ctl("incidents", str(page["last_id"])))
    assert [i["id"] for i in page["incidents"]] == list(range(201, 301))
    assert not page["more"] and page["last_id"] == 300
    # the next incident closes with the next id
    assert ok(heal.ctl("incidents"))["next_id"] == 301
