"""The short form of `make torture` (tests/torture/torture.py --short), so the
adversarial pass runs with every `make test`: a few kill -9 during cycles, a
3 s control and inbound flood, the hostile check targets with small files,
and the second local user when we are root. Bounded: under a minute."""
import os
import subprocess
import sys

from conftest import ROOT, SLOW


def test_torture_short():
    script = os.path.join(ROOT, "tests", "torture", "torture.py")
    r = subprocess.run([sys.executable, script, "--short"], capture_output=True, text=True,
                       timeout=240 * SLOW)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failure(s)" in r.stdout
