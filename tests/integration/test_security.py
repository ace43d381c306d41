"""Who may talk to heal-agent: the ipc runtime directory (0700) and socket
files (0600); a tcp control endpoint on a non-loopback address refused without
CURVE keys and usable with them, by healctl and by no one else.

The non-loopback address is this machine's own (ip -4 addr, scope global); when
there is none, a network namespace with a dummy interface is made for the test
(root only). No traffic ever leaves the machine."""
import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import uuid

import pytest
import zmq.auth

from conftest import AGENT, HEALCTL, SLOW, deadline, free_port, wait_for, write_config

OK_CHECK = ("check = fine\n    kind = command\n    run = \"echo fine\"\n")

# A raw client in a subprocess (so it can run inside a network namespace).
# argv: mode endpoint [client_public client_secret server_public] seconds.
# mode "req": sends ping, prints "reply" or "none"; mode "sub": prints the
# first topic under heal. or "none".
CLIENT = r"""
import sys, zmq, msgpack
mode, endpoint, wait = sys.argv[1], sys.argv[2], float(sys.argv[-1])
ctx = zmq.Context()
s = ctx.socket(zmq.REQ if mode == "req" else zmq.SUB)
s.setsockopt(zmq.LINGER, 0)
if len(sys.argv) > 4:
    s.curve_publickey, s.curve_secretkey = sys.argv[3].encode(), sys.argv[4].encode()
    s.curve_serverkey = sys.argv[5].encode()
s.connect(endpoint)
if mode == "req":
    s.send(msgpack.packb({"cmd": "ping", "args": []}))
else:
    s.setsockopt(zmq.SUBSCRIBE, b"heal.")
if not s.poll(int(wait * 1000)):
    print("none")
else:
    print("reply" if mode == "req" else s.recv_multipart()[0].decode())
"""


def run_client(prefix, mode, endpoint, curve, seconds):
    """CLIENT in a subprocess (behind prefix: maybe `ip netns exec`); its line."""
    out = subprocess.run(prefix + [sys.executable, "-c", CLIENT, mode, endpoint]
                         + list(curve) + [str(seconds)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def global_ipv4():
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
    return m.group(1) if m else None


@pytest.fixture
def remote():
    """(argv prefix, non-loopback address on this machine). HEAL_TEST_NETNS=1
    forces the network namespace even when the machine has an address."""
    addr = None if os.environ.get("HEAL_TEST_NETNS") == "1" else global_ipv4()
    if addr:
        yield [], addr
        return
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("no non-loopback address and cannot make a network namespace")
    ns = "healsec-%s" % uuid.uuid4().hex[:8]
    if subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
        pytest.skip("no non-loopback address and `ip netns add` failed")
    try:
        run = ["ip", "netns", "exec", ns]
        addr = "10.251.7.1"
        subprocess.run(run + ["ip", "link", "set", "lo", "up"], check=True)
        # A dummy interface when the kernel has the module, else the address
        # on the namespace's own lo: either way not 127/8, and only in there.
        if subprocess.run(run + ["ip", "link", "add", "heal0", "type", "dummy"],
                          capture_output=True).returncode == 0:
            subprocess.run(run + ["ip", "addr", "add", addr + "/24", "dev", "heal0"], check=True)
            subprocess.run(run + ["ip", "link", "set", "heal0", "up"], check=True)
        else:
            subprocess.run(run + ["ip", "addr", "add", addr + "/32", "dev", "lo"], check=True)
        yield run, addr
    finally:
        subprocess.run(["ip", "netns", "delete", ns])


def spawn_agent(heal, argv):
    """heal.spawn, with the output in heal-agent.out even behind `ip netns exec`."""
    out = open(os.path.join(heal.dir, "heal-agent.out"), "ab")
    return heal.spawn(argv, stdout=out)


def agent_output(heal):
    path = os.path.join(heal.dir, "heal-agent.out")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def expect_refusal(heal, argv, words):
    """The agent must exit (not run) and say why."""
    p = spawn_agent(heal, argv)
    try:
        rc = p.wait(15 * SLOW)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("agent started despite an unsafe endpoint")
    assert rc != 0
    out = agent_output(heal)
    assert any(w in out for w in words), out


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_runtime_dir_created_0700_and_sockets_0600(heal):
    run = os.path.join(heal.dir, "run")
    heal.publish = "ipc://%s/bus" % run
    heal.inbound = "ipc://%s/in" % run
    heal.control = "ipc://%s/ctl" % run
    heal.config(OK_CHECK)
    heal.bus = None
    # The agent makes the directory; the subscriber connects after it exists.
    p = heal.spawn([AGENT, "-c", heal.conf])
    wait_for(lambda: os.path.exists(os.path.join(run, "ctl")) or p.poll() is not None,
             10, "control socket")
    assert p.poll() is None, agent_output(heal)
    assert mode(run) == 0o700, oct(mode(run))
    for name in ("ctl", "bus", "in"):
        path = os.path.join(run, name)
        wait_for(lambda: os.path.exists(path), 5, path)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
        assert mode(path) == 0o600, (name, oct(mode(path)))
    r = heal.healctl("ping")
    assert r.returncode == 0, r.stderr


def test_directory_open_to_others_refused(heal):
    open_dir = os.path.join(heal.dir, "open")
    os.mkdir(open_dir)
    os.chmod(open_dir, 0o755)
    heal.control = "ipc://%s/ctl" % open_dir
    heal.config(OK_CHECK)
    expect_refusal(heal, [AGENT, "-c", heal.conf], ["chmod 700"])
    assert not os.path.exists(os.path.join(open_dir, "ctl"))


def test_abstract_socket_refused(heal):
    heal.control = "ipc://@heal-test-%s" % uuid.uuid4().hex[:8]
    text = heal.config(OK_CHECK)
    p = subprocess.run([AGENT, "-c", heal.conf, "-n"], capture_output=True, text=True)
    if p.returncode == 0:
        # The config accepts it; binding must not.
        expect_refusal(heal, [AGENT, "-c", heal.conf], ["abstract", "absolute"])
    else:
        assert p.returncode == 78, (p.returncode, p.stderr)
    assert text


def make_keys(heal):
    keys = os.path.join(heal.dir, "keys")
    clients = os.path.join(keys, "clients")
    os.makedirs(clients, mode=0o700)
    certs = {}
    for name in ("server", "client", "stranger"):
        pub, sec = zmq.auth.create_certificates(keys, name)
        os.chmod(sec, 0o600)
        certs[name] = (pub, sec) + zmq.auth.load_certificate(sec)
    shutil.copy(certs["client"][0], clients)
    return keys, clients, certs


def start_remote_agent(heal, prefix):
    p = spawn_agent(heal, prefix + [AGENT, "-c", heal.conf])
    heal.agent = p
    return p


def test_non_loopback_tcp_refused_without_keys(heal, remote):
    prefix, addr = remote
    heal.control = "tcp://%s:%d" % (addr, free_port())
    heal.config(OK_CHECK)
    expect_refusal(heal, prefix + [AGENT, "-c", heal.conf], ["CURVE"])
    # healctl refuses to send anything there without keys, before connecting.
    r = subprocess.run(prefix + [HEALCTL, "-c", heal.conf, "-t", "500", "ping"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 64 and "CURVE" in r.stderr, (r.returncode, r.stderr)


def test_non_loopback_tcp_with_curve(heal, remote):
    prefix, addr = remote
    keys, clients, certs = make_keys(heal)
    heal.control = "tcp://%s:%d" % (addr, free_port())
    security = ("security\n"
                "    server_cert = \"%s\"\n"
                "    clients_dir = \"%s\"\n"
                "    client_cert = \"%s\"\n" % (certs["server"][0], clients,
                                                 certs["client"][0]))
    heal.config(OK_CHECK, extra=security)
    heal.bus = heal.subscribe()
    start_remote_agent(heal, prefix)
    heal.bus.wait(lambda t, p: t == "heal.agent" and p.get("event") == "started", 15,
                  "agent started: %s" % agent_output(heal))

    def healctl(conf, *args):
        return subprocess.run(prefix + [HEALCTL, "-c", conf, "-t", str(int(5000 * SLOW))]
                              + list(args), capture_output=True, text=True, timeout=60)

    # The authorised client: healctl with client_cert (server_public defaults
    # to the server cert's public half).
    r = healctl(heal.conf, "ping")
    assert r.returncode == 0, (r.stdout, r.stderr, agent_output(heal))
    r = healctl(heal.conf, "status")
    assert r.returncode == 0 and "fine" in r.stdout, r.stdout

    # healctl with only the server's public key and no client cert: refused locally.
    other = os.path.join(heal.dir, "other.conf")
    write_config(other, open(heal.conf).read().replace(
        "    client_cert = \"%s\"\n" % certs["client"][0], ""))
    r = healctl(other, "ping")
    assert r.returncode == 64 and "CURVE" in r.stderr, (r.returncode, r.stderr)

    def raw(*curve):
        return run_client(prefix, "req", heal.control, curve, 1.0 * SLOW)

    server_pub = certs["server"][2].decode()
    # A raw CURVE client with the authorised key is answered (the proof that
    # the negative cases below could have been answered too) ...
    assert raw(certs["client"][2].decode(), certs["client"][3].decode(), server_pub) == "reply"
    # ... a key not in clients_dir is not, nor is a client without CURVE.
    assert raw(certs["stranger"][2].decode(), certs["stranger"][3].decode(), server_pub) == "none"
    assert raw() == "none"
    # The agent is still fine.
    assert healctl(heal.conf, "ping").returncode == 0


def test_bus_non_loopback_tcp_needs_curve(heal, remote):
    """The same rule for the bus as for control: bus.publish on a non-loopback
    address is refused without keys; with them, a client holding an authorised
    key (healctl watch) reads events, and a SUB without CURVE or with a key not
    in clients_dir reads nothing."""
    prefix, addr = remote
    heal.publish = "tcp://%s:%d" % (addr, free_port())
    heal.bus = None
    heal.config(OK_CHECK, interval=1)
    expect_refusal(heal, prefix + [AGENT, "-c", heal.conf], ["CURVE"])

    keys, clients, certs = make_keys(heal)
    security = ("security\n"
                "    server_cert = \"%s\"\n"
                "    clients_dir = \"%s\"\n"
                "    client_cert = \"%s\"\n" % (certs["server"][0], clients,
                                                 certs["client"][0]))
    heal.config(OK_CHECK, interval=1, extra=security)
    start_remote_agent(heal, prefix)
    watch = subprocess.Popen(prefix + [HEALCTL, "-c", heal.conf, "watch", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([watch.stdout], [], [], 15 * SLOW)
        assert ready, "healctl watch got nothing: %s" % agent_output(heal)
        line = watch.stdout.readline().decode()
        assert json.loads(line)["source"] == "heal-agent", line
    finally:
        watch.kill()
        watch.wait()

    def sub(*curve):
        return run_client(prefix, "sub", heal.publish, curve, 2.5 * SLOW)

    server_pub = certs["server"][2].decode()
    assert sub(certs["client"][2].decode(), certs["client"][3].decode(),
               server_pub).startswith("heal.")
    assert sub(certs["stranger"][2].decode(), certs["stranger"][3].decode(), server_pub) == "none"
    assert sub() == "none"
