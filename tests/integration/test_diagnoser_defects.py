"""Issue 18's defects, each against the real agent, the real diagnoser and the
Ollama stand-in (tests/servers/fake_ollama.py), which records every request:

1. local-only is not bypassed through an environment proxy;
2. critical checks that are `unknown` (exit 127) are diagnosed;
3. remedy output keeps its line breaks and stays with the check (gave_up);
4. credentials of every common shape are redacted, in the prompt and (agent
   redact = true) on the bus;
5. backoff after a failed request;
6. related_checks the request did not hold are dropped, and said so;
7. a diagnosis is marked resolved once every check it covered passes;
8. evidence is part of the fingerprint; a truncated prompt is reported.
"""
import os
import sys

from conftest import DIAGNOSER, ROOT, command_check, wait_for

sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from fake_ollama import FakeOllama  # noqa: E402

CRIT = "payments-db"


def diag_section(url, **kw):
    keys = {"url": '"%s"' % url, "model": '"qwen2.5:7b"', "timeout": "3",
            "connect_timeout": "1"}
    keys.update({k: (v if isinstance(v, str) else str(v)) for k, v in kw.items()})
    return "".join("    %s = %s\n" % (k, v) for k, v in keys.items())


def start_diagnoser(heal, env=None):
    kw = {}
    if env is not None:
        kw["env"] = env
    return heal.spawn([DIAGNOSER, "-c", heal.conf, "-v"], **kw)


def diagnoses(heal, pred=None, timeout=20.0):
    return heal.bus.wait(lambda t, p: t == "heal.diagnosis" and (pred is None or pred(p)),
                         timeout, "heal.diagnosis")[1]


def chat_text(req):
    return "\n".join(m["content"] for m in req["json"]["messages"])


def crit(name=CRIT, run="echo 'CRIT: db down'; exit 2", **kw):
    return command_check(name, run, critical=True, **kw)


# 1 ------------------------------------------------------------------------------

def test_environment_proxy_is_never_used_without_allow_remote(heal, tmp):
    """url on 127.0.0.2 (not in curl's NOPROXY list) and http_proxy set: today
    the whole prompt went to the proxy."""
    ollama = FakeOllama(tmp, host="127.0.0.2")
    proxy = FakeOllama(tmp)
    try:
        heal.config(crit(), interval=1, diagnoser=diag_section(ollama.url))
        heal.start_agent()
        env = dict(os.environ, http_proxy=proxy.url, HTTP_PROXY=proxy.url,
                   https_proxy=proxy.url, ALL_PROXY=proxy.url, all_proxy=proxy.url,
                   NO_PROXY="", no_proxy="")
        start_diagnoser(heal, env)
        d = diagnoses(heal)
        assert not d.get("error"), d
        assert len(ollama.requests("/api/chat")) >= 1
        assert proxy.requests() == [], "the prompt went through the proxy"
    finally:
        ollama.stop()
        proxy.stop()


# 2 ------------------------------------------------------------------------------

def test_unknown_critical_check_is_a_symptom(heal, tmp):
    ollama = FakeOllama(tmp)
    try:
        tool = crit("backup-job", "heal18-missing-tool --run-backup")
        heal.config(crit() + tool, interval=1, diagnoser=diag_section(ollama.url))
        heal.start_agent()
        start_diagnoser(heal)
        heal.bus.wait_topic("heal.check.unknown.backup-job", 10)
        d = diagnoses(heal, lambda p: "backup-job" in (p.get("checks") or []))
        assert set(d["checks"]) == {CRIT, "backup-job"}, d
        text = chat_text(ollama.requests("/api/chat")[-1])
        assert "### check backup-job" in text and "status: unknown" in text
        assert "heal18-missing-tool: not found" in text
        # the probe: where is the program? (from the config's run, not the bus)
        assert "`command -v heal18-missing-tool` with heal's PATH: not found" in text
    finally:
        ollama.stop()


# 3 ------------------------------------------------------------------------------

def test_remedy_output_keeps_lines_and_survives_gave_up(heal):
    fix = "echo 'restart: step one'; echo 'restart: step two failed' >&2; exit 1"
    heal.config(crit(remedy=fix, attempts=1, within=900, backoff=0), interval=1)
    heal.start_agent()
    first = heal.bus.wait(lambda t, p: t == "heal.check.critical." + CRIT and p.get("remedy")
                          and p["remedy"]["result"] == "failed", 15, "failed remedy")[1]
    out = first["remedy"]["output"]
    assert "exit 1 in" in out and "\nrestart: step one\n" in out, out
    assert "?" not in out.split("\n")[0], out
    gave = heal.bus.wait(lambda t, p: t == "heal.check.critical." + CRIT and p.get("remedy")
                         and p["remedy"]["result"] == "gave_up", 15, "gave_up")[1]
    assert "restart: step two failed" in (gave["remedy"]["output"] or ""), gave
    assert "last remedy output:\n" in gave["remedy"]["output"]


# 4 ------------------------------------------------------------------------------

SECRETS = [
    ("mysql -uroot -pS3cretMysql db", "S3cretMysql"),
    ("login password Hunter2Space rejected", "Hunter2Space"),
    ("client --password FlagSecret9 -h db", "FlagSecret9"),
    ("stripe sk_live_51HxAbCdEfGhIjKlMnOp", "sk_live_51HxAbCdEfGhIjKlMnOp"),
    ("maps AIzaSyA1bCdEfGhIjKlMnOpQrStUvWxYz012345", "AIzaSyA1bCdEfGhIjKlMnOpQrStUvWxYz012345"),
    ("POST https://hooks.slack.com/services/T000/B000/XXXXslackXXXX", "XXXXslackXXXX"),
    ("-----BEGIN RSA PRIVATE KEY-----", None),
    ("MIIEpAIBAAKCAQEAkeybodyline", "MIIEpAIBAAKCAQEAkeybodyline"),
    ("-----END RSA PRIVATE KEY-----", None),
]


def test_credentials_redacted_in_prompt_and_on_the_bus(heal, tmp):
    ollama = FakeOllama(tmp)
    try:
        run = "echo 'auth failed'; " + "; ".join("echo '%s'" % line for line, _ in SECRETS) \
              + "; exit 2"
        heal.config(crit("leaky", run), interval=1,
                    extra="", diagnoser=diag_section(ollama.url))
        # agent/redact = true: the bus too
        with open(heal.conf) as f:
            text = f.read()
        with open(heal.conf, "w") as f:
            f.write(text.replace("agent\n", "agent\n    redact = true\n", 1))
        heal.start_agent()
        start_diagnoser(heal)
        ev = heal.bus.wait_topic("heal.check.critical.leaky", 10)[1]
        diagnoses(heal)
        prompt = chat_text(ollama.requests("/api/chat")[0])
        bus = "\n".join([ev["message"]] + ev["evidence"])
        for _, secret in SECRETS:
            if secret:
                assert secret not in prompt, secret
                assert secret not in bus, secret
        assert "leaky" in prompt and "auth failed" in prompt and "[redacted]" in prompt
        assert "-p[redacted]" in bus and "password [redacted]" in bus
    finally:
        ollama.stop()


# 5 ------------------------------------------------------------------------------

def test_backoff_after_a_failed_request(heal, tmp):
    ollama = FakeOllama(tmp, mode="slow", delay_ms=2500)
    try:
        heal.config(crit(), interval=1, diagnoser=diag_section(ollama.url, timeout="1"))
        heal.start_agent()
        start_diagnoser(heal)
        e = diagnoses(heal, lambda p: "no answer within" in (p.get("error") or ""))
        heal.bus.wait(lambda t, p: t == "heal.cycle" and p["cycle"] >= e["cycle"] + 4, 15,
                      "four more cycles")
        assert len(ollama.requests("/api/chat")) == 1, "asked again at once"
    finally:
        ollama.stop()


# 6 ------------------------------------------------------------------------------

def test_hallucinated_related_checks_are_dropped(heal, tmp):
    import json
    ollama = FakeOllama(tmp)
    try:
        ollama.control(content=json.dumps({
            "summary": "s", "root_cause": "r", "operator_checks": ["x"],
            "related_checks": [CRIT, "imaginary-service"], "confidence": "low"}))
        heal.config(crit(), interval=1, diagnoser=diag_section(ollama.url))
        heal.start_agent()
        start_diagnoser(heal)
        d = diagnoses(heal)
        assert d.get("related") == [CRIT], d
        assert "imaginary-service" in d["error"] and "dropped" in d["error"], d
        assert d["summary"] == "s"
        wait_for(lambda: (heal.report().get("diagnosis") or {}).get("fingerprint"), 10, "report")
        out = heal.healctl("diagnosis")
        assert "note: " in out.stdout and "imaginary-service" in out.stdout, out
        assert "no diagnosis could be had" not in out.stdout, out
    finally:
        ollama.stop()


# 7 ------------------------------------------------------------------------------

def test_diagnosis_is_resolved_when_its_checks_pass(heal, tmp):
    ollama = FakeOllama(tmp)
    flag = os.path.join(tmp, "fixed")
    why = os.path.join(tmp, "why")
    with open(why, "w") as f:
        f.write("db down\nconnection refused\n")
    try:
        heal.config(crit(run="test -f %s || { cat %s; exit 2; }" % (flag, why)), interval=1,
                    diagnoser=diag_section(ollama.url))
        heal.start_agent()
        start_diagnoser(heal)
        d = diagnoses(heal)
        assert not d.get("resolved")
        with open(flag, "w"):
            pass
        r = diagnoses(heal, lambda p: p.get("resolved"))
        assert r["fingerprint"] == d["fingerprint"] and r["summary"] == d["summary"]
        rep = wait_for(lambda: (heal.report().get("diagnosis") or {}).get("resolved"), 10,
                       "report.json resolved")
        assert rep == r["resolved"]
        out = heal.healctl("diagnosis")
        assert out.returncode == 0 and "resolved" in out.stdout, out
        # it fails again, for another reason: the new prompt recalls the
        # previous diagnosis of this check and its outcome
        with open(why, "w") as f:
            f.write("db down\nauthentication failed\n")
        os.unlink(flag)
        d3 = diagnoses(heal, lambda p: not p.get("resolved") and p["seq"] > r["seq"]
                       and not p.get("cached"))
        assert d3["fingerprint"] != d["fingerprint"]
        text = chat_text(ollama.requests("/api/chat")[-1])
        assert "## previous diagnosis of these checks" in text
        assert "outcome: resolved at " in text and d["summary"] in text
    finally:
        ollama.stop()


# 8 ------------------------------------------------------------------------------

def test_evidence_change_is_a_new_question_and_truncation_is_said(heal, tmp):
    ollama = FakeOllama(tmp)
    evfile = os.path.join(tmp, "evidence")
    with open(evfile, "w") as f:
        f.write("nightly job failed\nsh: 1: backup-tool: not found\n")
    try:
        heal.config(crit("nightly", "cat %s; exit 2" % evfile), interval=1,
                    diagnoser=diag_section(ollama.url))
        heal.start_agent()
        start_diagnoser(heal)
        d1 = diagnoses(heal, lambda p: not p.get("cached"))
        diagnoses(heal, lambda p: p.get("cached"))          # same evidence: cached
        assert len(ollama.requests("/api/chat")) == 1
        ollama.control(prompt_eval_count=4096)
        with open(evfile, "w") as f:
            f.write("nightly job failed\nwrite /var/backup: No space left on device\n")
        d2 = diagnoses(heal, lambda p: not p.get("cached") and p["seq"] > d1["seq"])
        assert d2["fingerprint"] != d1["fingerprint"]
        assert "No space left" in chat_text(ollama.requests("/api/chat")[-1])
        assert "truncated prompt" in (d2.get("error") or ""), d2
        assert "prompt_eval_count 4096 of num_ctx 4096" in d2["error"]
    finally:
        ollama.stop()
