"""Evidence recall over the scenario corpus (tests/scenarios/corpus.py).

For each scenario: its checks in a temporary heal, its fault induced for real,
the real agent and diagnoser, and the Ollama stand-in recording the request.
The prompt the stand-in received must contain every fact the scenario lists.
The last test prints recall over the corpus (facts found / facts listed) and
requires 100 %.
"""
import os
import socket
import sys

import pytest

from conftest import DIAGNOSER, ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from fake_ollama import FakeOllama  # noqa: E402
from scenarios.corpus import SCENARIOS  # noqa: E402

RESULTS = {}        # scenario name -> (found, listed, missing)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def chat_text(req):
    return "\n".join(m["content"] for m in req["json"]["messages"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_scenario_evidence_recall(heal, tmp, scenario):
    ollama = FakeOllama(tmp)
    held = None
    try:
        port = free_port()
        if scenario.__name__ == "model_missing":
            sc = scenario(tmp, port, ollama_url=ollama.url)
        else:
            sc = scenario(tmp, port)
        held = sc.get("hold")
        diag = ('    url = "%s"\n    timeout = 5\n    connect_timeout = 1\n' % ollama.url)
        heal.config(sc["checks"], interval=1, diagnoser=diag)
        heal.start_agent()
        home = os.path.join(tmp, "home")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, HOME=home, SHELL="/bin/sh")
        env.update(sc.get("env", {}))
        heal.spawn([DIAGNOSER, "-c", heal.conf], env=env)
        expect = set(sc["expect"])
        heal.bus.wait(lambda t, p: t == "heal.diagnosis" and expect <= set(p.get("checks") or []),
                      30, "a diagnosis of %s" % sorted(expect))
        reqs = [r for r in ollama.requests("/api/chat")
                if all("### check %s " % c in chat_text(r) for c in expect)]
        assert reqs, "no request held all of %s" % sorted(expect)
        prompt = chat_text(reqs[-1])
        if os.environ.get("HEAL_SCENARIO_PROMPTS"):     # to read what the model is shown
            with open(os.path.join(os.environ["HEAL_SCENARIO_PROMPTS"],
                                   scenario.__name__ + ".txt"), "w") as f:
                f.write(prompt)
        missing = [f for f in sc["facts"] if f not in prompt]
        RESULTS[scenario.__name__] = (len(sc["facts"]) - len(missing), len(sc["facts"]), missing)
        assert not missing, "facts missing from the prompt: %s\n--- prompt ---\n%s" % (
            missing, prompt)
    finally:
        if held is not None:
            held.close()
        ollama.stop()


def test_recall_over_the_corpus(capsys):
    if len(RESULTS) < len(SCENARIOS):
        pytest.skip("run with the whole corpus (%d of %d scenarios ran)"
                    % (len(RESULTS), len(SCENARIOS)))
    found = sum(r[0] for r in RESULTS.values())
    listed = sum(r[1] for r in RESULTS.values())
    with capsys.disabled():
        print("\nevidence recall over the corpus: %d/%d facts = %.1f %% (%d scenarios)"
              % (found, listed, 100.0 * found / listed, len(RESULTS)))
        for name, (f, n, missing) in sorted(RESULTS.items()):
            print("  %-22s %d/%d%s" % (name, f, n, ("  missing: %s" % missing) if missing else ""))
    assert found == listed
