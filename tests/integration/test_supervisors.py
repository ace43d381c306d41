"""The launchd and systemd kinds through the real heal-agent (`--once`), with
stand-ins for launchctl and systemctl on the agent's PATH
(tests/tools/fake-launchctl, tests/tools/fake-systemctl). The stand-ins replay
fixture states (tests/fixtures/launchd, tests/fixtures/systemd) and record every
call, so the exact remediation sequences are asserted, as well as the severity,
the remedy and the evidence heal reports.
"""
import json
import os
import subprocess

import pytest

from conftest import AGENT, ROOT, SLOW, write_config

TOOLS = os.path.join(ROOT, "tests", "tools")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
UID = os.getuid()
DOMAIN = "gui/%d" % UID
LABEL = "dev.heal.test"
TARGET = "%s/%s" % (DOMAIN, LABEL)

class Supervisors:
    """A temp dir with bin/launchctl and bin/systemctl stand-ins, a plist, and
    a config whose agent.path is that bin dir."""

    def __init__(self, tmp):
        self.dir = tmp
        self.bin = os.path.join(tmp, "bin")
        os.mkdir(self.bin)
        os.symlink(os.path.join(TOOLS, "fake-launchctl"), os.path.join(self.bin, "launchctl"))
        os.symlink(os.path.join(TOOLS, "fake-systemctl"), os.path.join(self.bin, "systemctl"))
        self.plist = os.path.join(tmp, LABEL + ".plist")
        with open(self.plist, "w") as f:
            f.write('<?xml version="1.0"?>\n<plist version="1.0"><dict/></plist>\n')
        self.state = os.path.join(tmp, "state")
        self.conf = os.path.join(tmp, "heal.conf")

    def launchd(self, loaded=True, fixture="print-running-keepalive-never-exited.txt",
                domain=True, **extra):
        svc = {"loaded": loaded, "print": fixture, "plist": self.plist}
        svc.update(extra)
        state = {"fixtures": os.path.join(FIXTURES, "launchd"),
                 "domains": [DOMAIN] if domain else [],
                 "services": {TARGET: svc}}
        with open(os.path.join(self.bin, "launchctl.json"), "w") as f:
            json.dump(state, f)

    def systemd(self, fixture=None, **extra):
        units = {}
        if fixture:
            props = {}
            with open(os.path.join(FIXTURES, "systemd", fixture)) as f:
                for line in f:
                    k, _, v = line.rstrip("\n").partition("=")
                    if k:
                        props[k] = v
            unit = {"props": props}
            unit.update(extra)
            units["x.service"] = unit
        with open(os.path.join(self.bin, "systemctl.json"), "w") as f:
            json.dump({"bus": True, "units": units}, f)

    def config(self, checks):
        write_config(self.conf, (
            "agent\n"
            "    interval = 300\n"
            "    state_dir = \"%s\"\n"
            "    path = \"%s:/usr/bin:/bin\"\n"
            "bus\n"
            "    publish = \"ipc://%s/bus\"\n"
            "    inbound = \"ipc://%s/in\"\n"
            "control\n"
            "    endpoint = \"ipc://%s/ctl\"\n" % (self.state, self.bin, self.dir,
                                                 self.dir, self.dir)) + checks)

    def once(self):
        """heal-agent --once; returns (exit code, the check's last event)."""
        p = subprocess.run([AGENT, "-c", self.conf, "--once"], capture_output=True,
                           text=True, timeout=60 * SLOW)
        with open(os.path.join(self.state, "report.json")) as f:
            report = json.load(f)
        return p.returncode, report, p.stderr

    def calls(self, tool):
        path = os.path.join(self.bin, tool + ".calls")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]


@pytest.fixture
def sup(tmp):
    return Supervisors(tmp)


def launchd_check(sup, extra=""):
    return ("check = job\n"
            "    kind = launchd\n"
            "    critical = true\n"
            "    label = %s\n"
            "    plist = \"%s\"\n%s" % (LABEL, sup.plist, extra))


PRINT = ["print", TARGET]


def test_launchd_healthy_only_prints(sup):
    sup.launchd()
    sup.config(launchd_check(sup, "    env = \"PATH=/usr/bin XPC_SERVICE_NAME\"\n"))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert rc == 0, err
    assert ev["severity"] == "ok", ev
    assert ev["kind"] == "launchd"
    assert "pid = 1076" in ev["evidence"]
    assert ev["metrics"]["pid"] == 1076
    assert sup.calls("launchctl") == [PRINT]


def test_launchd_dead_is_kickstarted(sup):
    sup.launchd(fixture="print-keepalive-dead-killed.txt",
                on_kickstart="print-running-keepalive-never-exited.txt")
    sup.config(launchd_check(sup))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert sup.calls("launchctl") == [PRINT, ["kickstart", "-k", TARGET], PRINT]
    assert ev["severity"] == "healed", ev
    assert ev["remedy"]["action"] == "kickstart"
    assert ev["remedy"]["result"] == "healed"
    assert rc == 0, err


def test_launchd_not_loaded_is_bootstrapped(sup):
    sup.launchd(loaded=False)
    sup.config(launchd_check(sup))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert sup.calls("launchctl") == [PRINT, ["enable", TARGET],
                                      ["bootstrap", DOMAIN, sup.plist], PRINT]
    assert ev["severity"] == "healed", ev
    assert ev["remedy"]["action"] == "bootstrap"
    assert rc == 0, err


def test_launchd_bootstrap_error_5_waits_and_retries_once(sup):
    sup.launchd(loaded=False, bootstrap_rcs=[5, 5])
    sup.config(launchd_check(sup))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    boot = ["bootstrap", DOMAIN, sup.plist]
    seq = [PRINT, ["enable", TARGET], boot, PRINT, boot]
    # the agent may or may not re-check after a failed remedy
    assert sup.calls("launchctl") in (seq, seq + [PRINT])
    assert ev["severity"] == "critical", ev
    assert ev["remedy"]["result"] == "failed"
    assert "Bootstrap failed: 5" in ev["remedy"]["output"]
    assert rc == 2


def test_launchd_stale_rebootstrap_waits_for_bootout(sup):
    # needs LWCR update + must run: bootout, poll print until 113, bootstrap
    sup.launchd(fixture="print-loaded-never-run.txt", drain=2,
                on_bootstrap="print-running-keepalive-never-exited.txt")
    sup.config(launchd_check(sup, "    running = true\n"))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert sup.calls("launchctl") == [PRINT, ["bootout", TARGET], PRINT, PRINT, PRINT,
                                      ["enable", TARGET], ["bootstrap", DOMAIN, sup.plist],
                                      PRINT]
    assert ev["severity"] == "healed", ev
    assert ev["remedy"]["action"] == "rebootstrap"
    assert rc == 0, err


def test_launchd_wrong_environment_is_critical_without_restart(sup):
    sup.launchd()
    sup.config(launchd_check(sup, "    env = \"PATH=/opt/homebrew/bin\"\n"))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert sup.calls("launchctl") == [PRINT]          # no kickstart, no bootstrap
    assert ev["severity"] == "critical", ev
    assert "/opt/homebrew/bin" in ev["message"]
    assert rc == 2


def test_launchd_no_gui_session_is_unknown(sup):
    sup.launchd(domain=False)
    sup.config(launchd_check(sup))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert ev["severity"] == "unknown", ev
    assert sup.calls("launchctl") == [PRINT]
    assert rc == 3


def test_launchd_crash_loop_is_reported_not_restarted(sup):
    sup.launchd(fixture="print-crash-loop-spawn-scheduled.txt")
    sup.config(launchd_check(sup))
    rc, report, err = sup.once()
    ev = report["checks"]["job"]
    assert ev["severity"] == "critical", ev
    assert "crash-looping" in ev["message"]
    assert "last terminating signal = Bus error: 10" in ev["evidence"]
    assert sup.calls("launchctl") == [PRINT]
    assert rc == 2


def systemd_check():
    return "check = svc\n    kind = systemd\n    critical = true\n    unit = x.service\n"


SHOW = ["--user", "show", "-p",
        "LoadState,ActiveState,SubState,MainPID,ExecMainCode,ExecMainStatus,NRestarts,Result",
        "x.service"]


def test_systemd_failed_unit_is_restarted(sup):
    sup.systemd("show-failed-signal.txt")
    sup.config(systemd_check())
    rc, report, err = sup.once()
    ev = report["checks"]["svc"]
    assert sup.calls("systemctl") == [SHOW, ["--user", "restart", "x.service"], SHOW]
    assert ev["severity"] == "healed", ev
    assert ev["remedy"]["action"] == "restart"
    assert rc == 0, err


def test_systemd_start_limit_is_reset_then_restarted(sup):
    sup.systemd("show-start-limit-hit.txt")
    sup.config(systemd_check())
    rc, report, err = sup.once()
    ev = report["checks"]["svc"]
    assert sup.calls("systemctl") == [SHOW, ["--user", "reset-failed", "x.service"],
                                      ["--user", "restart", "x.service"], SHOW]
    assert ev["severity"] == "healed", ev
    assert rc == 0, err


def test_systemd_unknown_unit_is_critical(sup):
    sup.systemd(None)
    sup.config(systemd_check())
    rc, report, err = sup.once()
    ev = report["checks"]["svc"]
    assert ev["severity"] == "critical", ev
    assert "not found" in ev["message"]
    assert sup.calls("systemctl") == [SHOW]
    assert rc == 2
