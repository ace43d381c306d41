"""What heal owns and what it does not (issue 13, defects 5-7).

- A check's processes are heal's: when the run ends (or the agent stops) its
  whole process group is ended, background children included.
- What a remedy starts is not heal's: a daemon outlives the remedy, the
  agent's stop and its restart (own session; KillMode=process under systemd,
  AbandonProcessGroup under launchd).
- The state dir is one agent's: `--once` beside a live agent touches none of
  its files or sockets, a second daemon is refused; runtime errors have their
  own exit code.

Real processes (sleep, redis-server), real agent, under `tini -s`.
"""
import os
import random
import signal
import socket
import subprocess
import time

import pytest

from conftest import (AGENT, ROOT, SLOW, command_check, free_port, sanitizer_reports,
                      wait_exit, wait_for)

EX_SOFTWARE = 70        # include/heal/exit.h HEAL_EX_SOFTWARE
EX_TEMPFAIL = 75        # include/heal/exit.h HEAL_EX_TEMPFAIL


def token():
    """A sleep duration no other test uses: its command line names our process."""
    return "%d.%06d" % (random.randint(5000, 9000), random.randint(0, 999999))


def live(argv):
    """Pids of live (not zombie) processes whose command line is argv (NULs
    or spaces between the words: redis-server rewrites its title)."""
    want = " ".join(argv).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").strip()
            with open("/proc/%s/stat" % name, "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if cmd == want and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture(autouse=True)
def clean_exit(heal):
    """After each test: stop the agents, then fail on any sanitizer report in
    their logs."""
    yield
    heal.stop()
    reports = sanitizer_reports(heal.dir)
    assert not reports, "\n".join(reports)


@pytest.fixture
def leftovers():
    """argv lists whose processes are killed after the test, whatever happened."""
    watched = []
    yield watched
    for argv in watched:
        kill_all(live(argv))


# --- defect 5: a check's processes end with its run ---------------------------

def test_check_background_children_end_with_the_run(heal, leftovers):
    """`(sleep N &); echo done` used to leak one sleep per run; a child that
    let go of the output pipe leaked too. Both end with the run."""
    a, b = ["sleep", token()], ["sleep", token()]
    leftovers.extend([a, b])
    heal.config(command_check("subshell", "(%s &); echo done" % " ".join(a)) +
                command_check("detached", "%s >/dev/null 2>&1 & echo started"
                              % " ".join(b)))
    for _ in range(2):
        p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                           text=True, timeout=30 * SLOW)
        assert p.returncode == 0, p.stderr
        assert live(a) == [] and live(b) == [], (live(a), live(b))


def test_sigterm_ends_a_plugin_still_running(heal, leftovers):
    """A plugin running when the agent gets SIGTERM is ended with the agent,
    at once (not after the agent's 5 s wait for its workers)."""
    argv = ["sleep", token()]
    leftovers.append(argv)
    heal.config(command_check("slow", " ".join(argv), timeout=60))
    heal.start_agent()
    wait_for(lambda: live(argv), 10, "the plugin running")
    t0 = time.monotonic()
    heal.agent.send_signal(signal.SIGTERM)
    assert wait_exit(heal.agent) == 0
    took = time.monotonic() - t0
    assert live(argv) == [], "the plugin outlived the agent"
    assert took < 3 * SLOW, "stop took %.1f s" % took
    # a run cut short says nothing about its service: no event, no state
    heal.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "stopping", 5)
    while heal.bus.recv(0.5):
        pass
    assert not [p for t, p in heal.bus.seen if t.startswith("heal.check.")], \
        [p.get("message") for t, p in heal.bus.seen if t.startswith("heal.check.")]
    state = os.path.join(heal.state, "state.json")
    if os.path.exists(state):
        with open(state) as f:
            assert "killed by signal" not in f.read()


# --- defects 5 and 6: what a remedy starts outlives the agent ------------------

def ping(port):
    """redis PING over a raw socket: True on +PONG."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def test_remedy_daemon_outlives_the_agent_stop_and_restart(heal, tmp, leftovers):
    """redis-server started in the background by a remedy (not daemonized:
    the case that lives in the remedy's own process group) still answers PING
    after the agent's SIGTERM, after the kill of the agent's whole process
    group (what launchd does without AbandonProcessGroup), and after a
    restart, which finds it healthy and leaves it alone."""
    port = free_port()
    redis = ["redis-server", "*:%d" % port]
    leftovers.append(redis)
    heal.config(
        "check = cache\n"
        "    kind = tcp\n"
        "    host = 127.0.0.1\n"
        "    port = %d\n"
        "    timeout = 5\n"
        "    critical = true\n"
        "    remedy\n"
        "        run = \"redis-server --port %d --save '' --appendonly no --dir %s "
        ">/dev/null 2>&1 &\"\n" % (port, port, tmp))
    # The agent leads its own process group, as under launchd.
    heal.bus = heal.subscribe()
    heal.agent = heal.spawn([AGENT, "-c", heal.conf], start_new_session=True)
    heal.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "started",
                  10, "agent started")
    wait_for(lambda: ping(port), 15, "redis started by the remedy")
    pids = live(redis)
    assert len(pids) == 1, pids
    daemon = pids[0]
    agent = heal.agent
    # its own session: not the agent's session, not the agent's group
    assert os.getsid(daemon) != os.getsid(agent.pid)
    assert os.getpgid(daemon) != os.getpgid(agent.pid)
    agent_group = os.getpgid(agent.pid)

    agent.send_signal(signal.SIGTERM)
    assert wait_exit(agent) == 0
    try:
        os.killpg(agent_group, signal.SIGKILL)     # launchd's clean-up of the job
    except ProcessLookupError:
        pass
    assert ping(port), "redis died with the agent"

    # restart: the check finds redis answering; nothing is restarted
    heal.bus.close()
    heal.bus = None             # a new subscriber: nothing of the first agent's
    heal.start_agent()
    ev = heal.bus.wait(lambda t, p: t.startswith("heal.check.") and p.get("check") == "cache",
                       15, "cache checked")[1]
    assert ev["severity"] == "ok", (ev["message"], ev.get("evidence"), ev.get("remedy"))
    assert live(redis) == [daemon]
    heal.agent.send_signal(signal.SIGTERM)
    assert wait_exit(heal.agent) == 0
    assert ping(port) and live(redis) == [daemon]


def test_supervisor_files_leave_remedies_alone():
    """systemd: KillMode=process (the default control-group mode kills every
    process in the agent's cgroup: everything heal ever started); launchd:
    AbandonProcessGroup. docs/supervisors.md says why."""
    with open(os.path.join(ROOT, "launchd", "heal-agent.service.in")) as f:
        unit = [l.strip() for l in f if not l.lstrip().startswith("#")]
    assert "KillMode=process" in unit
    with open(os.path.join(ROOT, "launchd", "dev.heal.agent.plist.in")) as f:
        plist = "".join(f.read().split())
    assert "<key>AbandonProcessGroup</key><true/>" in plist
    with open(os.path.join(ROOT, "docs", "supervisors.md")) as f:
        doc = f.read()
    assert "KillMode=process" in doc and "AbandonProcessGroup" in doc


# --- defect 7: one agent per state dir; exit codes ----------------------------

def snapshot(directory):
    """name -> (mtime_ns, bytes) of every file in directory."""
    out = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[name] = (os.stat(path).st_mtime_ns, f.read())
    return out


def test_once_beside_a_live_agent_touches_nothing(heal):
    """`--once` next to a running agent used to rewrite its report.json and
    state.json and append to its incidents (now written when an incident
    closes: the snapshot shows any file created or changed). It now refuses, exit 75, naming
    the agent, and leaves every file and socket as it was."""
    heal.config(command_check("bad", "echo down; exit 2", critical=True))
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle", 15)
    wait_for(lambda: os.path.exists(os.path.join(heal.state, "report.json")), 5,
             "report.json")
    before = snapshot(heal.state)
    sockets = {p: os.stat(p).st_ino for p in (heal.publish[6:], heal.control[6:],
                                              heal.inbound[6:])}
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       text=True, timeout=30 * SLOW)
    assert p.returncode == EX_TEMPFAIL, (p.returncode, p.stderr)
    assert "another heal-agent" in p.stderr and str(heal.agent.pid) in p.stderr, p.stderr
    assert "healctl run" in p.stderr, p.stderr
    assert snapshot(heal.state) == before
    assert {p: os.stat(p).st_ino for p in sockets} == sockets
    # the live agent still owns its bus and control socket
    r = heal.ctl("status")
    assert r["ok"], r
    rep = heal.report()
    assert rep["agent"]["pid"] == heal.agent.pid


def test_second_daemon_on_one_state_dir_is_refused(heal):
    heal.config(command_check("good", "true"))
    heal.start_agent()
    second = subprocess.run([AGENT, "-c", heal.conf], capture_output=True, text=True,
                            timeout=30 * SLOW)
    assert second.returncode == EX_TEMPFAIL, (second.returncode, second.stderr)
    assert "another heal-agent" in second.stderr
    assert heal.ctl("status")["ok"]


def test_once_after_the_agent_stopped_runs(heal):
    """The lock is the live agent's, not the state dir's: once it stopped,
    `--once` runs and writes the report."""
    heal.config(command_check("good", "true"))
    heal.start_agent()
    heal.agent.send_signal(signal.SIGTERM)
    assert wait_exit(heal.agent) == 0
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       text=True, timeout=30 * SLOW)
    assert p.returncode == 0, p.stderr
    assert heal.report()["agent"]["pid"] != heal.agent.pid


def test_once_runtime_error_is_not_a_warning(heal, tmp):
    """Exit 1 is `--once`'s "warning"; a runtime error (here: the state dir
    cannot be created) is 70, never 1."""
    blocker = os.path.join(tmp, "file")
    with open(blocker, "w") as f:
        f.write("not a directory\n")
    heal.state = os.path.join(blocker, "state")
    heal.config(command_check("good", "true"))
    p = subprocess.run([AGENT, "-c", heal.conf, "--once"], capture_output=True,
                       text=True, timeout=30 * SLOW)
    assert p.returncode == EX_SOFTWARE, (p.returncode, p.stderr)
    assert "state dir" in p.stderr
