#!/bin/sh
# bench/agent: one cycle of 100 checks (40 file, 30 disk, 30 command/program),
# heal-agent beside Monit 5.33 on the equivalent set, measured in the same run:
#   one cycle: wall ms, CPU ms (user+sys), peak RSS
#     heal:  heal-agent --once -c FILE (start, all checks, report, exit)
#     monit: monit -c FILE validate   (start, all checks once, exit; Monit
#            starts program checks and collects their status a cycle later)
#   heal again with one http check more (libcurl is loaded on first use)
#   idle: CPU ms used over 10 s between cycles by the running daemon
#     heal:  heal-agent -c FILE (interval 300)   monit: monit -I -c FILE (daemon 300)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export HEAL_BUILD="$BUILD"
exec /usr/bin/python3 - "$BUILD" <<'PY'
import os, resource, shutil, signal, subprocess, sys, tempfile, time

build = sys.argv[1]
agent = os.path.join(build, "bin", "heal-agent")
monit = shutil.which("monit")
N_FILE, N_DISK, N_CMD = 40, 30, 30
IDLE_S = 10

d = tempfile.mkdtemp(prefix="heal-bench-", dir="/tmp")
files = []
for i in range(N_FILE):
    p = os.path.join(d, "f%02d" % i)
    with open(p, "w") as f:
        f.write("x" * 100)
    files.append(p)

def heal_conf(path, http=False):
    t = ("agent\n    interval = 300\n    state_dir = \"%s/state\"\n"
         "    path = \"/usr/bin:/bin\"\n"
         "bus\n    publish = \"ipc://%s/bus\"\n    inbound = \"ipc://%s/in\"\n"
         "control\n    endpoint = \"ipc://%s/ctl\"\n" % (d, d, d, d))
    for i, p in enumerate(files):
        t += "check = file%02d\n    kind = file\n    path = \"%s\"\n    max_age = 6h\n" % (i, p)
    for i in range(N_DISK):
        t += "check = disk%02d\n    kind = disk\n    path = \"/\"\n    min_free = 1%%\n" % i
    for i in range(N_CMD):
        t += "check = prog%02d\n    kind = command\n    run = \"/bin/true\"\n" % i
    if http:    # makes the agent load libcurl (agent/curl_lazy.c); port 1 refuses
        t += "check = http00\n    kind = http\n    url = \"http://127.0.0.1:1/\"\n"
    with open(path, "w") as f:
        f.write(t)
    os.chmod(path, 0o600)

def monit_conf(path):
    t = ("set daemon 300\nset logfile %s/monit.log\nset idfile %s/monit.id\n"
         "set statefile %s/monit.state\nset pidfile %s/monit.pid\n" % (d, d, d, d))
    for i, p in enumerate(files):
        t += "check file file%02d with path %s\n    if timestamp > 6 hours then alert\n" % (i, p)
    for i in range(N_DISK):
        t += "check filesystem disk%02d with path /\n    if space usage > 99%% then alert\n" % i
    for i in range(N_CMD):
        t += "check program prog%02d with path \"/bin/true\"\n    if status != 0 then alert\n" % i
    with open(path, "w") as f:
        f.write(t)
    os.chmod(path, 0o600)

peak_rss = os.path.join(build, "bench", "peak_rss")

def one_cycle(argv):
    """Run argv through bench/peak_rss (a libc-only launcher: a child forked
    from Python would start its ru_maxrss at Python's own ~12 MB)."""
    out = os.path.join(d, "peak_rss.out")
    p = subprocess.run([peak_rss, out] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")[-300:]
    with open(out) as f:
        wall, cpu, rss, code = f.read().split()
    return float(wall), float(cpu), int(rss), int(code), err

def proc_mem_kib(pid):
    """VmRSS and RssAnon (private memory; the rest is shared library pages)."""
    m = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                m[k] = int(v.split()[0])
    return m.get("VmRSS", 0), m.get("RssAnon", 0)

def proc_cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) * 1000.0 / ticks

def idle(argv, ready):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 30
        while not ready() and time.monotonic() < end:
            time.sleep(0.05)
        if not ready():
            return None, (0, 0)
        time.sleep(1)   # let the first cycle settle
        c0 = proc_cpu_ms(p.pid)
        time.sleep(IDLE_S)
        c1 = proc_cpu_ms(p.pid)
        return c1 - c0, proc_mem_kib(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()

hc = os.path.join(d, "heal.conf"); heal_conf(hc)
mc = os.path.join(d, "monitrc"); monit_conf(mc)
n = N_FILE + N_DISK + N_CMD
print("%d checks: %d file, %d disk/filesystem, %d command/program" % (n, N_FILE, N_DISK, N_CMD))
print("one cycle (--once / validate); idle: the daemon %d s after its first cycle" % IDLE_S)
print("%-28s %8s %8s %13s %14s %13s %13s" % ("", "wall ms", "CPU ms", "peak RSS KiB",
      "idle CPU ms", "idle RSS KiB", "of it anon"))
rows = []
if os.access(agent, os.X_OK):
    w, c, rss, code, err = one_cycle([agent, "-c", hc, "--once"])
    if code not in (0, 1, 2, 3):
        print("heal-agent --once failed (%d): %s" % (code, err))
    report = os.path.join(d, "state", "report.json")
    st = os.path.join(d, "state")
    shutil.rmtree(st, ignore_errors=True)
    # idle: ready when the first cycle wrote its report
    ic = idle([agent, "-c", hc], lambda: os.path.exists(report))
    rows.append(("heal-agent (exit %d)" % code, w, c, rss, ic))
    # the same with one http check more: libcurl and its ~40 libraries mapped
    hc2 = os.path.join(d, "heal-http.conf"); heal_conf(hc2, http=True)
    w, c, rss, code, err = one_cycle([agent, "-c", hc2, "--once"])
    rows.append(("heal-agent +1 http (exit %d)" % code, w, c, rss, (None, None)))
else:
    print("heal-agent not built at %s" % agent)
if monit:
    w, c, rss, code, err = one_cycle([monit, "-c", mc, "validate"])
    ic = idle([monit, "-I", "-c", mc], lambda: os.path.exists(os.path.join(d, "monit.state")))
    rows.append(("monit 5.33 validate (exit %d)" % code, w, c, rss, ic))
else:
    print("monit not installed (HEAL_DEPS=bench sh scripts/deps.sh)")
for name, w, c, rss, (ic, mem) in rows:
    print("%-28s %8.1f %8.1f %13d %14s %13s %13s" % (name, w, c, rss,
          "n/a" if ic is None else "%.1f" % ic,
          "n/a" if not mem else mem[0], "n/a" if not mem else mem[1]))
shutil.rmtree(d, ignore_errors=True)
PY
