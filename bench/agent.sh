#!/bin/sh
# bench/agent: one cycle of 100 checks (40 file, 30 disk, 30 command/program),
# heal-agent beside Monit 5.33 on the equivalent set, measured in the same run:
#   one cycle: wall ms, CPU ms (user+sys), peak RSS
#     heal:  heal-agent --once -c FILE (start, all checks, report, exit)
#     monit: monit -c FILE validate   (start, all checks once, exit; Monit
#            starts program checks and collects their status a cycle later)
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

def heal_conf(path):
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

def one_cycle(argv):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.monotonic() - t0) * 1000
    cpu = (ru.ru_utime + ru.ru_stime) * 1000
    err = p.stderr.read().decode(errors="replace")[-300:]
    p.stderr.close()
    return wall, cpu, ru.ru_maxrss, os.waitstatus_to_exitcode(status), err

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
            return None
        time.sleep(1)   # let the first cycle settle
        c0 = proc_cpu_ms(p.pid)
        time.sleep(IDLE_S)
        c1 = proc_cpu_ms(p.pid)
        return c1 - c0
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
print("%-28s %10s %10s %12s %16s" % ("", "wall ms", "CPU ms", "peak RSS KiB", "idle CPU ms/%ds" % IDLE_S))
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
else:
    print("heal-agent not built at %s" % agent)
if monit:
    w, c, rss, code, err = one_cycle([monit, "-c", mc, "validate"])
    ic = idle([monit, "-I", "-c", mc], lambda: os.path.exists(os.path.join(d, "monit.state")))
    rows.append(("monit 5.33 validate (exit %d)" % code, w, c, rss, ic))
else:
    print("monit not installed (HEAL_DEPS=bench sh scripts/deps.sh)")
for name, w, c, rss, ic in rows:
    print("%-28s %10.1f %10.1f %12d %16s" % (name, w, c, rss, "n/a" if ic is None else "%.1f" % ic))
shutil.rmtree(d, ignore_errors=True)
PY
