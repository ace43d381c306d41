"""heal under its own supervisors: the launchd plists and systemd user units
(launchd/*.in, filled in by mk/install.mk) and `make install` / `make uninstall`
under a DESTDIR.

Plists are validated strictly with plistlib (and xmllint when present) plus a
type check of every key launchd needs; units with `systemd-analyze --user verify`
(skipped with the reason when it cannot run here) plus the restart settings.
"""
import configparser
import os
import plistlib
import re
import shutil
import stat
import subprocess

import pytest

from conftest import BUILD, ROOT

PLISTS = {"dev.heal.agent": "heal-agent", "dev.heal.diagnoser": "heal-diagnoser",
          "dev.heal.notify": "heal-notify"}
UNITS = {"heal-agent.service": "heal-agent", "heal-diagnoser.service": "heal-diagnoser",
         "heal-notify.service": "heal-notify"}
PROCESS_TYPES = {"Background", "Standard", "Adaptive", "Interactive"}
BINS = ["heal-agent", "heal-diagnoser", "healctl", "heal-notify"]


def make(*args, env=None):
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT] + list(args),
                          capture_output=True, text=True, timeout=300, env=env)


def render(tmp, bindir, logdir="/Users/op/Library/Logs/heal"):
    """Fill in the templates with make (as install does); returns the folder."""
    build = os.path.join(tmp, "build")
    p = make("BUILD=" + build, "BINDIR=" + bindir, "HEAL_LOGDIR=" + logdir, "heal-render")
    assert p.returncode == 0, p.stderr
    return os.path.join(build, "launchd")


def validate_plist(path, binary, bindir):
    """Strict parse + launchd's key types. Raises AssertionError/ValueError."""
    with open(path, "rb") as f:
        raw = f.read()
    assert not re.search(rb"@[A-Z_]+@", raw), "unfilled placeholder in " + path
    d = plistlib.loads(raw, fmt=plistlib.FMT_XML)
    label = os.path.basename(path)[:-len(".plist")]
    assert isinstance(d, dict)
    assert d.get("Label") == label
    args = d["ProgramArguments"]
    assert isinstance(args, list) and args and all(isinstance(a, str) for a in args)
    assert args[0] == os.path.join(bindir, binary)     # a named binary (BTM shows it)
    assert d["RunAtLoad"] is True
    ka = d["KeepAlive"]
    assert ka is True or (isinstance(ka, dict) and all(isinstance(v, bool) for v in ka.values()))
    assert type(d["ThrottleInterval"]) is int and d["ThrottleInterval"] >= 10
    assert type(d["ExitTimeOut"]) is int and d["ExitTimeOut"] > 0
    assert d["ProcessType"] in PROCESS_TYPES
    env = d["EnvironmentVariables"]
    assert isinstance(env, dict) and all(isinstance(v, str) for v in env.values())
    assert bindir in env["PATH"].split(":")
    assert "/opt/homebrew/bin" in env["PATH"].split(":")
    for k in ("StandardOutPath", "StandardErrorPath"):
        assert isinstance(d[k], str) and d[k].startswith("/")
    if shutil.which("xmllint"):
        x = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
        assert x.returncode == 0, x.stderr
    return d


def test_plists_are_valid_launchd_jobs(tmp):
    out = render(tmp, "/opt/heal/bin")
    for label, binary in PLISTS.items():
        d = validate_plist(os.path.join(out, label + ".plist"), binary, "/opt/heal/bin")
        assert d["StandardOutPath"].startswith("/Users/op/Library/Logs/heal/")
    assert validate_plist(os.path.join(out, "dev.heal.diagnoser.plist"), "heal-diagnoser",
                          "/opt/heal/bin")["ProcessType"] == "Background"


@pytest.mark.parametrize("breakage", [
    ("<integer>10</integer>", "<integer>ten</integer>"),
    ("<true/>", "<yes/>"),
    ("</dict>\n</plist>", "</plist>"),
    ("<string>dev.heal.agent</string>", "<string>other.label</string>"),
    ("<key>RunAtLoad</key>\n\t<true/>", "<key>RunAtLoad</key>\n\t<string>yes</string>"),
])
def test_plist_validation_can_fail(tmp, breakage):
    out = render(tmp, "/opt/heal/bin")
    path = os.path.join(out, "dev.heal.agent.plist")
    with open(path) as f:
        text = f.read()
    assert breakage[0] in text
    with open(path, "w") as f:
        f.write(text.replace(breakage[0], breakage[1], 1))
    with pytest.raises(Exception):
        validate_plist(path, "heal-agent", "/opt/heal/bin")


def systemd_verify(tmp, paths):
    """systemd-analyze --user verify; None when it cannot run here."""
    exe = shutil.which("systemd-analyze")
    if not exe:
        return None
    rt = os.path.join(tmp, "runtime")
    os.makedirs(rt, mode=0o700, exist_ok=True)
    env = dict(os.environ, XDG_RUNTIME_DIR=rt)
    return subprocess.run([exe, "--user", "verify", "--man=no"] + paths,
                          capture_output=True, text=True, env=env, timeout=60)


def verify_usable(tmp):
    bindir = os.path.join(tmp, "probe")
    os.makedirs(bindir)
    unit = os.path.join(bindir, "heal-probe.service")
    with open(unit, "w") as f:
        f.write("[Service]\nExecStart=/bin/true\n")
    p = systemd_verify(tmp, [unit])
    if p is None:
        return "systemd-analyze not installed (Debian package systemd)"
    if p.returncode != 0:
        return "systemd-analyze cannot run here: " + (p.stderr.strip() or p.stdout.strip())
    return None


def fake_bins(tmp):
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    for b in BINS:
        with open(os.path.join(bindir, b), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(os.path.join(bindir, b), 0o755)
    return bindir


def test_units_verify_and_restart_settings(tmp):
    bindir = fake_bins(tmp)            # verify wants ExecStart to exist
    out = render(tmp, bindir)
    paths = [os.path.join(out, u) for u in UNITS]
    for path, binary in zip(paths, UNITS.values()):
        c = configparser.ConfigParser(strict=True, interpolation=None)
        c.optionxform = str
        c.read(path)
        assert c["Service"]["ExecStart"] == os.path.join(bindir, binary)
        assert c["Service"]["Restart"] == "always"
        assert int(c["Service"]["RestartSec"]) >= 1
        assert int(c["Unit"]["StartLimitIntervalSec"]) > 0      # [Unit], not [Service]
        assert int(c["Unit"]["StartLimitBurst"]) > 0
        assert c["Service"]["Environment"].startswith("PATH=" + bindir + ":")
        assert c["Install"]["WantedBy"] == "default.target"
    why = verify_usable(tmp)
    if why:
        pytest.skip(why)
    p = systemd_verify(tmp, paths)
    assert p.returncode == 0, p.stdout + p.stderr
    # and verify can fail: a relative ExecStart
    bad = os.path.join(out, "heal-bad.service")
    with open(paths[0]) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace("ExecStart=" + bindir + "/heal-agent", "ExecStart=heal-agent"))
    assert systemd_verify(tmp, [bad]).returncode != 0


def installed_files(prefix, user_dir):
    files = {os.path.join(prefix, "bin", b): 0o755 for b in BINS}
    for label in PLISTS:
        files[os.path.join(prefix, "share/heal/launchd", label + ".plist")] = 0o644
    for unit in UNITS:
        files[os.path.join(prefix, "share/heal/systemd", unit)] = 0o644
        if user_dir:
            files[os.path.join(user_dir, unit)] = 0o644
    if os.path.exists(os.path.join(ROOT, "docs/heal.conf.example")):
        files[os.path.join(prefix, "share/heal/heal.conf.example")] = 0o644
    if os.path.exists(os.path.join(ROOT, "diagnoser/prompt.txt")):
        files[os.path.join(prefix, "share/heal/prompt.txt")] = 0o644
    if os.path.exists(os.path.join(ROOT, "docs/healctl.1")):
        files[os.path.join(prefix, "share/man/man1/healctl.1")] = 0o644
    # mk/operator.mk: heal.conf(5) (generated), the daemons' pages, init's
    # templates, healctl's completion for bash, zsh and fish
    files[os.path.join(prefix, "share/man/man5/heal.conf.5")] = 0o644
    for page in os.listdir(os.path.join(ROOT, "docs")):
        if page.endswith(".8"):
            files[os.path.join(prefix, "share/man/man8", page)] = 0o644
    for t in os.listdir(os.path.join(ROOT, "docs/templates")):
        if t.endswith(".conf"):
            files[os.path.join(prefix, "share/heal/templates", t)] = 0o644
    files[os.path.join(prefix, "share/bash-completion/completions/healctl")] = 0o644
    files[os.path.join(prefix, "share/zsh/site-functions/_healctl")] = 0o644
    files[os.path.join(prefix, "share/fish/vendor_completions.d/healctl.fish")] = 0o644
    return files


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="Linux layout (units)")
def test_make_install_and_uninstall_under_destdir(tmp):
    dest = os.path.join(tmp, "root")
    user_dir = "/home/op/.config/systemd/user"
    args = ["BUILD=" + BUILD, "DESTDIR=" + dest, "PREFIX=/usr/local", "SYSTEMD_USER_DIR=" + user_dir]
    p = make("install", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    want = installed_files("/usr/local", user_dir)
    for path, mode in want.items():
        full = dest + path
        assert os.path.isfile(full), "missing " + path
        assert stat.S_IMODE(os.stat(full).st_mode) == mode, path
    for b in BINS:
        with open(os.path.join(BUILD, "bin", b), "rb") as a, \
             open(dest + "/usr/local/bin/" + b, "rb") as c:
            assert a.read() == c.read(), b
    # nothing else was installed
    found = set()
    for d, _, names in os.walk(dest):
        for n in names:
            found.add(os.path.join(d, n)[len(dest):])
    assert found == set(want), found ^ set(want)
    # the installed files name the final paths, never DESTDIR
    for path in want:
        if "/share/heal/launchd/" in path or path.endswith(".service"):
            with open(dest + path) as f:
                text = f.read()
            assert dest not in text and not re.search(r"@[A-Z_]+@", text), path
            assert "/usr/local/bin/heal-" in text
    for label, binary in PLISTS.items():
        validate_plist(dest + "/usr/local/share/heal/launchd/%s.plist" % label, binary,
                       "/usr/local/bin")

    # every binary has its man page; heal.conf(5) lists every kind's keys
    # (generated from the key tables) and renders without warnings
    pages = {os.path.basename(p) for p in want if "/share/man/" in p}
    for b in BINS:
        assert b + ".1" in pages or b + ".8" in pages, "no man page for " + b
    with open(dest + "/usr/local/share/man/man5/heal.conf.5") as f:
        conf5 = f.read()
    for kind in ("disk", "file", "command", "http", "tcp", "process", "log", "ollama",
                 "launchd", "systemd"):
        assert ".SS kind = %s\n" % kind in conf5, kind
    assert "\n.B min_free\n" in conf5 and "\n.B remedy/rotate\n" in conf5
    if shutil.which("groff"):
        for page in sorted(p for p in want if "/share/man/" in p):
            g = subprocess.run(["groff", "-man", "-ww", "-z", dest + page],
                               capture_output=True, text=True)
            assert g.returncode == 0 and not g.stderr, (page, g.stderr)
    with open(dest + "/usr/local/share/bash-completion/completions/healctl") as f:
        assert "complete -F _healctl healctl" in f.read()

    p = make("uninstall", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    left = [os.path.join(d, n) for d, _, names in os.walk(dest) for n in names]
    assert left == [], left


def test_make_install_services_no_skips_user_dir(tmp):
    dest = os.path.join(tmp, "root")
    p = make("install", "BUILD=" + BUILD, "DESTDIR=" + dest, "PREFIX=/opt/heal",
             "SYSTEMD_USER_DIR=/home/op/.config/systemd/user",
             "LAUNCHD_DIR=/Users/op/Library/LaunchAgents", "SERVICES=no")
    assert p.returncode == 0, p.stdout + p.stderr
    assert not os.path.exists(dest + "/home") and not os.path.exists(dest + "/Users")
    assert os.path.isfile(dest + "/opt/heal/share/heal/systemd/heal-agent.service")


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="Linux: systemctl --user")
def test_make_agents_and_agents_stop_use_systemctl_user(tmp):
    """`make agents` / `make agents-stop` against the systemctl stand-in."""
    import json
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    os.symlink(os.path.join(ROOT, "tests/tools/fake-systemctl"), os.path.join(bindir, "systemctl"))
    with open(os.path.join(bindir, "systemctl.json"), "w") as f:
        json.dump({"bus": True, "units": {}}, f)
    env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
    p = make("agents", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    p = make("agents-stop", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(os.path.join(bindir, "systemctl.calls")) as f:
        calls = [json.loads(line) for line in f]
    units = ["heal-agent.service", "heal-diagnoser.service", "heal-notify.service"]
    assert calls == [["--user", "daemon-reload"],
                     ["--user", "enable", "--now"] + units,
                     ["--user", "disable", "--now"] + units]
