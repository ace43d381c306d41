"""heal-agent --selftest on this machine, and the agent's word when it runs
out of file descriptors (issue 20): both must be visible, never silent."""
import os
import re
import resource
import signal
import subprocess

from conftest import AGENT, SLOW, Heal, wait_exit

LINE = re.compile(r"^(pass|FAIL|skip) (\S+)\s+(.*)$")


def test_selftest_passes_and_says_each_fact():
    run = subprocess.run([AGENT, "--selftest"], capture_output=True, text=True,
                         timeout=60 * SLOW)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("heal-agent --selftest on ")
    facts = {}
    for line in lines[1:-1]:
        if line.startswith("     | "):
            continue                    # echoed command output
        m = LINE.match(line)
        assert m, line
        facts[m.group(2)] = (m.group(1), m.group(3))
    assert run.returncode == 0, run.stdout
    for name in ("platform", "fd_limit", "exit_watch", "stats_self", "stats_child",
                 "other_user", "disk_root", "runtime_dir"):
        assert facts[name][0] == "pass", (name, facts[name])
        assert facts[name][1], name     # raw values, never an empty line
    # Every skip says why.
    for name, (status, raw) in facts.items():
        if status == "skip":
            assert " -- " in raw, (name, raw)
    assert "next = " in facts["exit_watch"][1]
    assert re.match(r"\d+ passed, 0 failed, \d+ skipped", lines[-1].split(": ", 1)[1])


def test_selftest_fails_loudly_when_the_fd_limit_cannot_be_raised():
    def low():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    run = subprocess.run([AGENT, "--selftest"], capture_output=True, text=True,
                         timeout=60 * SLOW, preexec_fn=low)
    assert run.returncode == 1
    line = [l for l in run.stdout.splitlines() if " fd_limit " in l][0]
    assert line.startswith("FAIL fd_limit")
    assert "soft 256 -> 256" in line and "EMFILE" in line


def test_out_of_descriptors_is_an_event(tmp):
    heal = Heal(tmp)
    sleepers = []
    try:
        checks = ""
        for i in range(30):
            p = subprocess.Popen(["sleep", "600"])
            sleepers.append(p)
            pidfile = os.path.join(tmp, "p%d.pid" % i)
            with open(pidfile, "w") as f:
                f.write("%d\n" % p.pid)
            checks += ('check = p%d\n    kind = process\n    critical = true\n'
                       '    pidfile = "%s"\n' % (i, pidfile))
        heal.config(checks=checks)
        heal.bus = heal.subscribe()

        def low():
            # An idle agent holds ~20 descriptors: room for a few exit watches.
            resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
        heal.agent = heal.spawn([AGENT, "-c", heal.conf], preexec_fn=low)
        def exhausted(what):
            return lambda t, p: (t == "heal.agent" and p.get("event") == "fd_exhausted"
                                 and what in p.get("message", ""))
        # The worker pool stops growing (it never aborts the agent: czmq
        # asserts when a socket cannot be made) and says so once...
        topic, p = heal.bus.wait(exhausted("check worker"), 30, "fd_exhausted (workers)")
        assert "out of file descriptors" in p["message"]
        assert "checks wait for a free one" in p["message"]
        # ...and a lost exit watch is an event of its own.
        topic, p = heal.bus.wait(exhausted("exit watch"), 30, "fd_exhausted (exit watch)")
        assert "out of file descriptors" in p["message"]
        pool = [p for t, p in heal.bus.seen if exhausted("check worker")(t, p)]
        assert len(pool) == 1, pool
        # The first cycle ends, and no check ran in a loop meanwhile (a watch
        # that cannot tell alive from gone without a descriptor is kept, not
        # retried at once).
        heal.bus.wait(lambda t, p: t == "heal.cycle", 30, "the first cycle")
        runs = [t for t, _ in heal.bus.seen if t.startswith("heal.check.")]
        assert len(runs) <= 2 * 30, runs[-10:]
        heal.agent.send_signal(signal.SIGTERM)
        assert wait_exit(heal.agent) == 0
    finally:
        for p in sleepers:
            p.kill()
            p.wait()
        heal.stop()
