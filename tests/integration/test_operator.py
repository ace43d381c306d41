"""The operator's first hour (issue 19), against the real binaries: status words
that agree with the exit code, a table that fits the width and keeps each
message's start, `healctl help`, errors with one prefix, every binary's -n
alike, `status --json` naming a check `check`, a failed diagnosis shown as its
error, `watch` saying there is no agent, shell completion with check names
from a running agent, and `healctl init` on a machine with redis-server and a
stand-in Ollama."""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time

import msgpack
import pytest
import zmq

from conftest import (AGENT, BIN, DIAGNOSER, HEALCTL, ROOT, SLOW, deadline, free_port,
                      wait_for, write_config)

sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from fake_ollama import FakeOllama  # noqa: E402

NOTIFY = os.path.join(BIN, "heal-notify")
REDIS = "/usr/bin/redis-server"
LONG = ("redis-server is not answering on 127.0.0.1:6379 after 3 attempts: "
        "connection refused, the last restart exited 1")


def plugin(heal, name, code, message):
    path = os.path.join(heal.dir, name + ".sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho '%s'\nexit %d\n" % (message, code))
    os.chmod(path, 0o755)
    return path


def check(heal, name, code, critical=False, message=None, remedy=""):
    return ("check = %s\n    kind = command\n    critical = %s\n    run = \"%s\"\n%s"
            % (name, "true" if critical else "false",
               plugin(heal, name, code, message or "%s says %d" % (name, code)), remedy))


def ctl(heal, *args, env=None):
    return subprocess.run([HEALCTL, "-c", heal.conf] + list(args), capture_output=True,
                          text=True, timeout=30 * SLOW, env=env)


def started(heal, checks):
    heal.config(checks)
    heal.start_agent()
    heal.bus.wait_topic("heal.cycle", 20)
    return heal


# ------------------------------------------------------------ status words

@pytest.mark.parametrize("codes,rc,words", [
    ((0, 0), 0, "all ok"),
    ((0, 1), 1, "WARNING: 1 optional check failing"),
    ((2, 0), 2, "DEGRADED: 1 critical check failing"),
])
def test_status_words_agree_with_the_exit_code(heal, codes, rc, words):
    started(heal, check(heal, "first", codes[0], critical=True)
            + check(heal, "second", codes[1]))
    r = ctl(heal, "status")
    assert r.returncode == rc, (r.stdout, r.stderr)
    header = r.stdout.splitlines()[0]
    assert header.endswith(words), header
    assert "healthy" not in r.stdout
    assert "remedy skipped" not in r.stdout and "remedy remedy" not in r.stdout


# ------------------------------------------------------------ width

def test_table_fits_80_columns_and_keeps_each_message_start(heal):
    started(heal, check(heal, "redis-cache-primary", 2, critical=True, message=LONG,
                        remedy="    remedy\n        run = \"/bin/false\"\n")
            + check(heal, "disk", 0, message="/: 75.2 GiB free (78.6%)"))
    wait_for(lambda: "failed" in ctl(heal, "status").stdout or
             "gave_up" in ctl(heal, "status").stdout, 20 * SLOW, "a remedy result")
    env = dict(os.environ, COLUMNS="80")
    r = ctl(heal, "status", env=env)
    assert r.returncode == 2, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    row = [line for line in lines if line.startswith("redis-cache-primary")]
    assert row and "redis-server is not answering" in row[0], r.stdout
    assert any("/: 75.2 GiB free" in line for line in lines), r.stdout
    # piped with no COLUMNS: whole messages
    env.pop("COLUMNS")
    r = ctl(heal, "status", env=env)
    assert LONG in r.stdout and "REMEDY" in r.stdout
    # very narrow: the message goes on its own line, its start still there
    r = ctl(heal, "status", env=dict(os.environ, COLUMNS="40"))
    lines = r.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines), "\n".join(lines)
    assert any(line.strip().startswith("redis-server is not") for line in lines), r.stdout


# ------------------------------------------------------------ help, errors

def test_help_and_one_prefix_per_error(heal):
    started(heal, check(heal, "ok", 0))
    r = ctl(heal, "help")
    assert r.returncode == 0
    for cmd in ("status", "watch", "init", "completion", "help"):
        assert "\n  " + cmd in r.stdout, cmd
    r = ctl(heal, "help", "mute")
    assert r.returncode == 0 and r.stdout == ctl(heal, "mute", "-h").stdout
    assert ctl(heal, "help", "nope").returncode == 64
    r = ctl(heal, "heal", "nope")
    assert r.returncode == 1
    assert r.stderr.strip() == "healctl: heal: no check named 'nope'", r.stderr
    write_config(heal.conf, open(heal.conf).read() + "check = broken\n    kind = nosuch\n")
    r = ctl(heal, "reload")
    assert r.returncode == 1 and r.stderr.startswith("healctl: reload: ")
    assert "reload: reload:" not in r.stderr, r.stderr


def test_status_json_names_a_check_check(heal):
    started(heal, check(heal, "one", 0))
    r = ctl(heal, "--json", "status")
    checks = json.loads(r.stdout)["checks"]
    assert [c["check"] for c in checks] == ["one"]
    # "name" stays as an alias for readers written before (healctl show, scripts)
    assert checks[0].get("name", "one") == "one"


# ------------------------------------------------------------ -n

def test_every_binary_validates_alike(heal):
    heal.config(check(heal, "d", 0))
    for binary in (AGENT, DIAGNOSER, NOTIFY, HEALCTL):
        p = subprocess.run([binary, "-c", heal.conf, "-n"], capture_output=True, text=True)
        assert (p.returncode, p.stdout, p.stderr) == (0, heal.conf + ": ok\n", ""), binary
    heal.config("check = d\n    kind = disk\n    path = \"/\"\n    min_fre = 5%\n")
    errors = set()
    for binary in (AGENT, DIAGNOSER, NOTIFY, HEALCTL):
        p = subprocess.run([binary, "-c", heal.conf, "-n"], capture_output=True, text=True)
        assert p.returncode == 78 and p.stdout == "", (binary, p.stdout, p.stderr)
        errors.add(p.stderr)
    assert len(errors) == 1, errors
    assert "key 'min_fre': unknown key (did you mean 'min_free'?)" in errors.pop()


def test_tab_and_zero_duration_errors(heal):
    heal.config("check = l\n\tkind = disk\n")
    p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True)
    assert p.returncode == 78 and "tabs are not allowed in the indentation, use 4 spaces" \
        in p.stderr, p.stderr
    heal.config("check = d\n    kind = disk\n    path = \"/\"\n    remedy\n        within = 0\n")
    p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True)
    assert p.returncode == 78 and "must be above 0" in p.stderr, p.stderr


# ------------------------------------------------------------ diagnosis

def test_failed_diagnosis_prints_its_error(heal):
    started(heal, check(heal, "web", 2, critical=True))
    now = int(time.time() * 1000)
    push = heal.ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(heal.inbound)
    push.send_multipart([b"heal.diagnosis", msgpack.packb({
        "v": 1, "type": "diagnosis", "seq": 1, "ts": now, "host": "test", "source": "test",
        "cycle": 1, "checks": ["web"], "fingerprint": "f", "model": "m", "summary": "",
        "root_cause": "", "operator_checks": [], "latency_ms": 3, "cached": False,
        "error": "ollama: connection refused"})])
    heal.bus.wait_topic("heal.diagnosis", 10)
    push.close(0)
    r = ctl(heal, "diagnosis")
    assert r.returncode == 0 and "connection refused" in r.stdout, r.stdout
    assert "summary:" not in r.stdout and "root cause:" not in r.stdout, r.stdout


# ------------------------------------------------------------ watch

def test_watch_says_when_there_is_no_agent(heal):
    heal.config(check(heal, "one", 0) + check(heal, "two", 1))
    err = os.path.join(heal.dir, "watch.err")
    out = os.path.join(heal.dir, "watch.out")
    w = subprocess.Popen([HEALCTL, "-c", heal.conf, "watch"], stdout=open(out, "w"),
                         stderr=open(err, "w"))
    try:
        wait_for(lambda: "waiting for heal-agent" in open(err).read(), 5 * SLOW,
                 "watch saying it waits")
        assert "heal-agent is not running" in open(err).read()
        heal.start_agent()
        wait_for(lambda: "connected to heal-agent" in open(err).read(), 10 * SLOW,
                 "watch saying it connected")
        heal.ctl("run")
        wait_for(lambda: " one " in open(out).read() and " two " in open(out).read(),
                 10 * SLOW, "event lines")
        assert "remedy remedy" not in open(out).read(), open(out).read()
    finally:
        w.terminate()
        w.wait(10)


# ------------------------------------------------------------ completion

def test_bash_completion_lists_check_names_from_the_agent(heal):
    if not shutil.which("bash"):
        pytest.skip("no bash")
    started(heal, check(heal, "alpha", 0) + check(heal, "beta-2", 0))
    script = os.path.join(heal.dir, "healctl.bash")
    with open(script, "w") as f:
        f.write(ctl(heal, "completion", "bash").stdout)
    env = dict(os.environ, PATH=BIN + ":" + os.environ.get("PATH", "/usr/bin:/bin"))

    def complete(*words):
        line = " ".join("'%s'" % w for w in words)
        p = subprocess.run(["bash", "-c", "source %s; COMP_WORDS=(%s); COMP_CWORD=%d; "
                            "_healctl; printf '%%s\\n' \"${COMPREPLY[@]}\""
                            % (script, line, len(words) - 1)],
                           capture_output=True, text=True, env=env, timeout=30 * SLOW)
        assert p.returncode == 0, p.stderr
        return set(p.stdout.split())

    assert complete("healctl", "-c", heal.conf, "mute", "") == {"alpha", "beta-2"}
    assert complete("healctl", "-c", heal.conf, "run", "b") == {"beta-2"}
    assert {"status", "init", "completion", "watch"} <= complete("healctl", "")
    assert complete("healctl", "st") == {"status"}
    assert "--timeout" in complete("healctl", "--t")
    assert complete("healctl", "completion", "") == {"bash", "zsh", "fish"}
    # zsh and fish: every command is offered, the scripts parse, and the check
    # names come from the agent (zsh: compadd stubbed, as outside the line editor;
    # fish: `complete -C` completes a line without a terminal)
    for shell in ("zsh", "fish"):
        text = ctl(heal, "completion", shell).stdout
        for cmd in ("status", "mute", "init", "watch"):
            assert cmd in text, (shell, cmd)
        path = os.path.join(heal.dir, "healctl." + shell)
        with open(path, "w") as f:
            f.write(text)
        if not shutil.which(shell):
            continue
        p = subprocess.run([shell, "-n", path], capture_output=True, text=True)
        assert p.returncode == 0, (shell, p.stderr)
        if shell == "zsh":
            probe = ("compdef() { :; }; _describe() { :; }; _files() { :; }; "
                     "compadd() { if [[ $1 == -a ]]; then print -l -- ${(P)2}; "
                     "else print -l -- \"$@\"; fi }; source %s; "
                     "words=(healctl -c %s mute ''); CURRENT=5; _healctl" % (path, heal.conf))
            p = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True,
                               env=env, timeout=30 * SLOW)
        else:
            p = subprocess.run(["fish", "--no-config", "-c", "source %s; complete -C "
                                "'healctl -c %s mute '" % (path, heal.conf)],
                               capture_output=True, text=True, env=env, timeout=30 * SLOW)
        got = {line.split("\t")[0] for line in p.stdout.split("\n") if line}
        assert got == {"alpha", "beta-2"}, (shell, p.stdout, p.stderr)


# ------------------------------------------------------------ init

def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not os.access(REDIS, os.X_OK), reason="redis-server is not installed")
def test_init_detects_redis_and_ollama_and_validates(tmp):
    port = free_port()
    redis = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ollama = FakeOllama(tmp, models="qwen2.5:7b")
    home = os.path.join(tmp, "home")
    run = os.path.join(tmp, "run")
    os.makedirs(home)
    os.makedirs(run, mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("HEAL_CONFIG", "XDG_CONFIG_HOME",
                                                             "XDG_STATE_HOME")}
    env.update(HOME=home, XDG_RUNTIME_DIR=run, OLLAMA_HOST="127.0.0.1:%d" % ollama.port)
    # a systemd user unit of the user's: its own check, and redis's restart remedy
    units = os.path.join(home, ".config", "systemd", "user")
    os.makedirs(units)
    with open(os.path.join(units, "redis.service"), "w") as f:
        f.write("[Service]\nExecStart=%s --port %d\n" % (REDIS, port))
    try:
        wait_for(lambda: redis_ping(port), 10 * SLOW, "redis-server")
        conf = os.path.join(home, ".config", "heal", "heal.conf")
        p = subprocess.run([HEALCTL, "init"], capture_output=True, text=True, env=env,
                           timeout=30 * SLOW)
        assert p.returncode == 0 and conf in p.stdout, (p.stdout, p.stderr)
        assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
        text = open(conf).read()
        assert "port = %d\n" % port in text, text
        assert "url = \"%s\"" % ollama.url in text and "qwen2.5:7b" in text, text
        assert "kind = disk" in text and "path = \"/\"" in text
        assert "restart = \"systemctl --user restart redis.service\"" in text, text
        assert "kind = systemd\n    critical = false\n    unit = \"redis.service\"" in text
        # it validates as every binary validates
        p = subprocess.run([AGENT, "-n"], capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        # never overwrites
        p = subprocess.run([HEALCTL, "init"], capture_output=True, text=True, env=env)
        assert p.returncode == 73 and "already exists" in p.stderr
        assert open(conf).read() == text
        # and its checks see both servers (run without the systemd check: its
        # built-in remedy would ask the real systemctl --user to restart a unit)
        blocks = text.split("\ncheck = ")
        once = os.path.join(tmp, "once.conf")
        once_text = "\ncheck = ".join(b for b in blocks if "kind = systemd" not in b)
        write_config(once, re.sub(r"(?m)^    remedy\n(^        .*\n)*", "", once_text))
        p = subprocess.run([AGENT, "-c", once, "--once"], capture_output=True, text=True,
                           env=env, timeout=60 * SLOW)
        state = os.path.join(home, ".local", "state", "heal", "report.json")
        with open(state) as f:
            report = json.load(f)
        checks = report["checks"]
        found = {}
        for name, entry in (checks.items() if isinstance(checks, dict) else
                            ((c.get("check"), c) for c in checks)):
            found[name] = entry
        redis_checks = [n for n in found if n.startswith("redis")
                        and "port = %d\n" % port in text.split("check = " + n + "\n")[1]
                        .split("check = ")[0]]
        assert redis_checks, found.keys()
        assert found[redis_checks[0]]["severity"] == "ok", found[redis_checks[0]]
        assert found["ollama"]["severity"] == "ok", found["ollama"]
    finally:
        redis.terminate()
        redis.wait(10)
        ollama.stop()


def test_table_fits_a_terminal_of_80_columns(heal):
    """The width of a real terminal (TIOCGWINSZ), not $COLUMNS."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    started(heal, check(heal, "redis-cache-primary", 2, critical=True, message=LONG)
            + check(heal, "disk", 0, message="/: 75.2 GiB free (78.6%)"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["NO_COLOR"] = "1"
    p = subprocess.Popen([HEALCTL, "-c", heal.conf, "status"], stdout=slave,
                         stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    end = deadline(10 * SLOW)
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    p.wait(10)
    os.close(master)
    lines = out.decode(errors="replace").replace("\r", "").splitlines()
    assert lines and all(len(line) <= 80 for line in lines), "\n".join(lines)
    row = [line for line in lines if line.startswith("redis-cache-primary")]
    assert row and "redis-server is not answering" in row[0], lines
    # the whole message is there, wrapped
    assert "exited 1" in out.decode(errors="replace"), lines


def test_make_run_shows_the_table_and_what_to_try_not_debug_lines(tmp):
    """scripts/run.sh (the end of `make run`): a quiet start, the status table,
    what to try next; the daemons' logs in RUN_LOG; Ctrl-C (here SIGTERM to the
    group) stops all three."""
    import signal
    home = os.path.join(tmp, "home")
    run = os.path.join(tmp, "run")
    os.makedirs(home)
    os.makedirs(run, mode=0o700)
    log = os.path.join(tmp, "run.log")
    env = {k: v for k, v in os.environ.items() if k not in ("HEAL_CONFIG", "XDG_CONFIG_HOME",
                                                             "XDG_STATE_HOME", "COLUMNS")}
    env.update(HOME=home, XDG_RUNTIME_DIR=run, RUN_LOG=log,
               OLLAMA_HOST="127.0.0.1:%d" % free_port())
    p = subprocess.Popen(["sh", os.path.join(ROOT, "scripts", "run.sh"),
                          os.path.dirname(BIN)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, cwd=tmp, text=True,
                         start_new_session=True)
    lines = []
    try:
        end = deadline(60 * SLOW)
        while time.monotonic() < end:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C here stops all three"):
                break
        text = "\n".join(lines)
        assert lines and lines[-1].startswith("Ctrl-C here stops"), text
        assert any(line.startswith("CHECK ") for line in lines), text
        assert "What to try next" in text and "healctl watch" in text
        assert not any(line[:3] in ("I: ", "D: ", "N: ", "W: ") for line in lines), text
        wait_for(lambda: "agent: started" in open(log).read(), 10 * SLOW, "the agent's log")
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(30 * SLOW)


@pytest.mark.parametrize("binary,page", [("heal-agent", "heal-agent.8"),
                                         ("heal-diagnoser", "heal-diagnoser.8"),
                                         ("heal-notify", "heal-notify.8"),
                                         ("healctl", "healctl.1")])
def test_man_page_names_every_flag_and_command(binary, page):
    """Each binary's man page (docs/) covers every flag of its -h, and
    healctl(1) every command of its table: the pages cannot fall behind."""
    import re
    with open(os.path.join(ROOT, "docs", page)) as f:
        man = f.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "") \
                      .replace("\\fI", "")
    usage = subprocess.run([os.path.join(BIN, binary), "-h"], capture_output=True,
                           text=True).stdout
    flags = set(re.findall(r"(?m)^\s+(-[a-z]|--[a-z][a-z-]*)", usage))
    flags |= set(re.findall(r"(?m)^\s+-[a-z], (--[a-z][a-z-]*)", usage))
    assert flags, usage
    for flag in flags:
        assert re.search(r"(^|[\s\"(\[])" + re.escape(flag) + r"\b", man, re.M), \
            "%s: %s is not in docs/%s" % (binary, flag, page)
    if binary == "healctl":
        commands = re.findall(r"(?m)^  ([a-z]+)(?: [A-Z\[]|\s{2,})", usage.split("Options:")[0])
        assert "status" in commands and "init" in commands, commands
        for cmd in commands:
            assert re.search(r"(?m)^\.B[IR]? " + cmd + r"\b", man), \
                "healctl %s is not in docs/healctl.1" % cmd
