"""diagnoser benchmark (run by bench/diagnoser.sh).

For heal-diagnoser and then the Python peer (bench/diagnoser_peer.py), in the
same run and against the same fake Ollama (answers at once):
  - bench/diagnoser (C harness, $BUILD/bench/diagnoser) binds the bus PUB and
    the inbound PULL like the agent, publishes a critical check event and
    heal.cycle (unique symptoms each time: no cache hits), and notes when the
    cycle left and when heal.diagnosis arrived (CLOCK_REALTIME);
  - the fake server records when each request arrived (body read) and when it
    started its reply;
  - out = request arrival - cycle sent; back = diagnosis received - reply started.
Peak RSS = VmHWM of the diagnoser process after the run (Linux /proc).
Environment: BUILD, N (iterations, 200).
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
N = int(os.environ.get("N", "200"))
sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from fake_ollama import FakeOllama  # noqa: E402


def hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def run(name, argv_for, tmp, srv):
    pub = "ipc://%s/%s-bus" % (tmp, name)
    inb = "ipc://%s/%s-in" % (tmp, name)
    conf = os.path.join(tmp, "%s.conf" % name)
    with open(conf, "w") as f:
        f.write("agent\n    state_dir = \"%s/state\"\n"
                "bus\n    publish = \"%s\"\n    inbound = \"%s\"\n"
                "control\n    endpoint = \"ipc://%s/%s-ctl\"\n"
                "diagnoser\n    url = \"%s\"\n    model = \"qwen2.5:7b\"\n"
                # the check as the config knows it: its command and description
                # feed the enrichment, the program is looked up (not found)
                "check = bench\n    kind = command\n    critical = true\n"
                "    run = \"heal-bench-tool --status\"\n"
                "    description = \"the bench service\"\n"
                % (tmp, pub, inb, tmp, name, srv.url))
    os.chmod(conf, 0o600)
    srv.reset_requests()
    harness = subprocess.Popen([os.path.join(BUILD, "bench", "diagnoser"), pub, inb, str(N)],
                               stdout=subprocess.PIPE, text=True)
    log = open(os.path.join(tmp, name + ".log"), "w")
    proc = subprocess.Popen(argv_for(conf, pub, inb), stdout=log, stderr=subprocess.STDOUT)
    out, _ = harness.communicate(timeout=120 + N)
    rss = hwm_kb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    if harness.returncode != 0:
        sys.exit("bench: %s: harness failed (%s)" % (name, harness.returncode))
    reqs = [r for r in srv.requests("/api/chat")]
    outs, backs = [], []
    for line in out.splitlines():
        i, tag, t_cycle, t_diag = line.split()
        needle = "bench problem %s:" % tag
        match = [r for r in reqs if needle in r["body"]]
        if len(match) != 1 or match[0]["t_reply_ns"] is None:
            continue
        r = match[0]
        outs.append((r["t_recv_ns"] - int(t_cycle)) / 1e6)
        backs.append((int(t_diag) - r["t_reply_ns"]) / 1e6)
    return outs, backs, rss


def main():
    tmp = tempfile.mkdtemp(prefix="heal-bd-", dir="/tmp")
    srv = FakeOllama(tmp)
    try:
        heal = run("heal", lambda conf, pub, inb: [os.path.join(BUILD, "bin", "heal-diagnoser"),
                                                   "-c", conf], tmp, srv)
        peer = run("peer", lambda conf, pub, inb: ["/usr/bin/python3",
                                                   os.path.join(ROOT, "bench", "diagnoser_peer.py"),
                                                   pub, inb, srv.url, "qwen2.5:7b"], tmp, srv)
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("diagnoser latency, fake Ollama answering at once, %d iterations" % N)
    print("%-28s %12s %12s" % ("", "heal-diagnoser", "python peer"))
    for label, idx in (("cycle -> request, median ms", 0), ("cycle -> request, p95 ms", 0),
                       ("reply -> diagnosis, median ms", 1), ("reply -> diagnosis, p95 ms", 1)):
        f = statistics.median if "median" in label else (lambda v: pct(v, 95))
        a, b = heal[idx], peer[idx]
        print("%-28s %12s %12s" % (label, "%.2f" % f(a) if a else "-", "%.2f" % f(b) if b else "-"))
    print("%-28s %12s %12s" % ("samples", len(heal[0]), len(peer[0])))
    print("%-28s %12s %12s" % ("peak RSS, KiB", heal[2], peer[2]))
    ok = heal[0] and heal[1] and statistics.median(heal[0]) <= 5 and statistics.median(heal[1]) <= 5
    print("target <= 5 ms each way (median): %s" % ("met" if ok else "NOT met"))
    # issue 18: the enrichment (environment block, program lookup cached,
    # timeline, context) stays off the critical path
    enriched = heal[0] and pct(heal[0], 95) <= 10
    print("cycle -> request with enrichment, p95 %.2f ms: target <= 10 ms %s"
          % (pct(heal[0], 95) if heal[0] else -1, "met" if enriched else "NOT met"))


if __name__ == "__main__":
    main()
