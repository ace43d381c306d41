"""The diagnosis scenario corpus (issue 18): each scenario is a config (its
checks), a fault the test induces for real on this machine, and the facts a
diagnostician needs to find the cause. tests/integration/test_diagnoser_scenarios.py
runs each against the real agent and diagnoser and the Ollama stand-in, and
asserts the prompt the stand-in received contains every fact ("evidence
recall"); it prints recall over the corpus.

A scenario is a function (tmp, port) -> dict:
  checks  the check blocks (ZPL)
  facts   strings the prompt must contain
  expect  the checks the diagnosis must cover
  env     extra environment for heal-diagnoser (HOME, SHELL are set per test)
  hold    objects to keep alive during the run (a listening socket)
"""
import datetime
import os
import socket


def q(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def check(name, kind="command", critical=True, **keys):
    text = "check = %s\n    kind = %s\n" % (name, kind)
    if critical:
        text += "    critical = true\n"
    for k, v in keys.items():
        text += "    %s = %s\n" % (k, q(str(v)))
    return text


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


HEAL_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"     # conftest's agent/path


def clobbered_path(tmp, port):
    """The seed's story: a shell config change moved a tool off heal's PATH;
    four critical checks that use it exit 127 together."""
    opt = os.path.join(tmp, "opt", "bin")
    write(os.path.join(opt, "heal18tool"), "#!/bin/sh\necho ok\n", 0o755)
    home = os.path.join(tmp, "home")
    write(os.path.join(home, ".profile"), 'PATH="%s:$PATH"; export PATH\n' % opt)
    names = [("backup", "heal18tool backup --verify"), ("sync", "heal18tool sync --status"),
             ("indexer", "heal18tool index --check"), ("reports", "heal18tool report")]
    return {
        "checks": "".join(check(n, run=r, description="%s job (uses heal18tool)" % n)
                          for n, r in names),
        "expect": [n for n, _ in names],
        "facts": ["heal18tool: not found",
                  "PATH heal's commands run with: " + HEAL_PATH,
                  "with the login shell's PATH (/bin/sh): %s/heal18tool" % opt,
                  "PATH of a login shell (/bin/sh -l): %s:" % opt,
                  "~/.profile (%s/.profile) modified" % home,
                  "4 checks failed within",
                  "command: heal18tool report",
                  "description: backup job (uses heal18tool)",
                  "status: unknown"],
    }


def disk_full(tmp, port):
    """A writer fails with ENOSPC (/dev/full) while the disk check is over its
    threshold."""
    return {
        "checks": (check("scratch-disk", kind="disk", path=tmp, min_free="99%")
                   + check("log-writer", run="dd if=/dev/zero of=/dev/full bs=1k count=1 "
                                             "2>&1 | head -1; exit 2",
                           description="writes the application log")),
        "expect": ["scratch-disk", "log-writer"],
        "facts": ["No space left on device", "### check scratch-disk (kind disk",
                  "path=%s" % tmp, "min_free=99%", "description: writes the application log"],
    }


def dns_down(tmp, port):
    """A name that does not resolve: a lookup and an HTTP check fail."""
    return {
        "checks": (check("resolver", run="getent hosts heal18-down.invalid || "
                                          "{ echo 'cannot resolve heal18-down.invalid'; exit 2; }")
                   + check("api-remote", kind="http", url="http://heal18-down.invalid/health")),
        "expect": ["resolver", "api-remote"],
        "facts": ["cannot resolve heal18-down.invalid", "### check api-remote (kind http",
                  "url=http://heal18-down.invalid/health", "resolve"],
    }


def port_taken(tmp, port):
    """Another process (the test) holds the port the service wants."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    script = os.path.join(tmp, "web", "start.py")
    write(script, "import socket\nsocket.socket().bind(('127.0.0.1', %d))\n" % port)
    run = "python3 %s 2>&1 | tail -1; exit 2" % script
    return {
        "checks": check("web-start", run=run, description="starts the web server on port %d"
                        % port),
        "expect": ["web-start"],
        "facts": ["Address already in use", "port %d" % port, "start.py"],
        "hold": s,
    }


def oom_killed(tmp, port):
    """A worker killed by SIGKILL, and the kernel's OOM line in its log."""
    log = os.path.join(tmp, "kern.log")
    write(log, "kernel: Out of memory: Killed process 4242 (worker) total-vm:8123456kB, "
               "anon-rss:7900000kB\n")
    return {
        "checks": (check("worker", run="sh -c 'kill -9 $$'; echo worker exited with status $?; "
                                       "exit 2")
                   + check("oom-watch", run="grep -h 'Out of memory' %s && exit 2 || exit 0" % log)),
        "expect": ["worker", "oom-watch"],
        "facts": ["worker exited with status 137", "Out of memory: Killed process 4242 (worker)",
                  "anon-rss:7900000kB"],
    }


def permissions_changed(tmp, port):
    """The service's start script lost its execute bits (even root cannot
    exec it)."""
    app = os.path.join(tmp, "app", "app.sh")
    write(app, "#!/bin/sh\necho serving\n", 0o644)
    return {
        "checks": check("app", run="%s --serve" % app, description="the app server"),
        "expect": ["app"],
        "facts": ["%s: Permission denied" % app, "exit 126", "status: unknown",
                  "description: the app server", "command: %s --serve" % app],
    }


def expired_certificate(tmp, port):
    """A TLS certificate whose notAfter is yesterday."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "heal18.test")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path = os.path.join(tmp, "tls", "server.pem")
    write(path, cert.public_bytes(serialization.Encoding.PEM).decode())
    script = os.path.join(tmp, "tls", "check.sh")
    write(script, 'openssl x509 -checkend 0 -noout -in "$1" >/dev/null && exit 0\n'
                  'echo "certificate $1 has expired: $(openssl x509 -enddate -noout -in "$1")"\n'
                  'exit 2\n')
    run = "sh %s %s" % (script, path)
    return {
        "checks": check("tls-cert", run=run),
        "expect": ["tls-cert"],
        "facts": ["certificate %s has expired" % path, "notAfter="],
    }


def model_missing(tmp, port, ollama_url=None):
    """The ollama check wants a model the server does not have."""
    return {
        "checks": check("local-llm", kind="ollama", url=ollama_url, models="qwen2.5:14b"),
        "expect": ["local-llm"],
        "facts": ["### check local-llm (kind ollama", "qwen2.5:14b", "models=qwen2.5:14b"],
    }


def config_typo(tmp, port):
    """An app's JSON config edited with a missing comma."""
    conf = os.path.join(tmp, "app", "app.json")
    write(conf, '{\n  "port": 8080\n  "workers": 4\n}\n')
    run = ("python3 -c 'import json, sys; json.load(open(sys.argv[1]))' %s 2>&1 | tail -1; exit 2"
           % conf)
    return {
        "checks": check("app-config", run=run, description="the app reads %s at start" % conf),
        "expect": ["app-config"],
        "facts": ["JSONDecodeError", "line 3", "description: the app reads %s" % conf],
    }


def dependency_down(tmp, port):
    """The database is down (nothing listens): the API that uses it fails too."""
    return {
        "checks": (check("db", kind="tcp", host="127.0.0.1", port=port)
                   + check("api", run="echo 'api: upstream 127.0.0.1:%d: connection refused'; "
                                      "exit 2" % port,
                           description="the API; needs db on port %d" % port)),
        "expect": ["db", "api"],
        "facts": ["### check db (kind tcp", "port=%d" % port, "connection refused",
                  "2 checks failed within", "description: the API; needs db"],
    }


SCENARIOS = [clobbered_path, disk_full, dns_down, port_taken, oom_killed,
             permissions_changed, expired_certificate, model_missing, config_typo,
             dependency_down]
