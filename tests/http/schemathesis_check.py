#!/usr/bin/env python3
"""CTest: schemathesis fuzzes a live `mledger serve` from its own description.

A real server on loopback over a real ledger on disk (the demo loaded, so the
catalogue is in force and commands can succeed), then `st run` against
GET /v1/openapi.json once per audience (no token, a partner user, an
auditor, an operator, the service), each with at most MAX_EXAMPLES examples
per operation and a fixed seed. Checks: no 5xx (not_a_server_error), every
answer's status, content type, headers and body as the description says,
and the ledger's digest moved only by 2xx answers of POST /v1/commands and
POST /v1/tick (tests/http/schemathesis_hooks.py). Then `mledger verify`
recomputes the chain and the server stops cleanly on SIGTERM.

usage: schemathesis_check.py MLEDGER_BINARY SOURCE_DIR [MAX_EXAMPLES]
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance,ledger_digest_moves_only_on_writes")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def venv_python(source):
    r = run([os.path.join(source, "tools/python-env")])
    if r.returncode != 0:
        sys.exit("tools/python-env failed:\n" + r.stderr)
    return r.stdout.strip().splitlines()[-1]


def start_server(mledger, data, key):
    server = subprocess.Popen([mledger, "serve", "--data", data, "--key-file", key, "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    prefix = "listening on http://"
    if not line.startswith(prefix):
        server.kill()
        sys.exit(f"mledger serve did not start: {line!r}")
    return server, "http://" + line[len(prefix):].strip()


def token(mledger, key, kind, user, account=None):
    cmd = [mledger, "token", "issue", "--key-file", key, "--kind", kind, "--user", user, "--ttl-seconds", "7200"]
    if account:
        cmd += ["--account", account]
    r = run(cmd)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def head_seq(base, auditor):
    request = urllib.request.Request(base + "/v1/digest", headers={"Authorization": "Bearer " + auditor})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)["seq"]


def fuzz(st, base, audience, bearer, env, max_examples, extra):
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
    label = audience + ("" if not extra else " (" + " ".join(extra) + ")")
    cmd = [st, "--config-file", config, "run", base + "/v1/openapi.json", "--url", base, "--checks", CHECKS,
           "--max-examples", str(max_examples), "--seed", "17", "--workers", "1",
           "--generation-database", "none", "--request-timeout", "120", "--no-color",
           "--suppress-health-check", "too_slow",  # timed: a loaded machine is not a finding
           "--output-truncate", "false"] + extra
    if bearer:
        cmd += ["--header", "Authorization: Bearer " + bearer]
    print(f"== schemathesis as {label}", flush=True)
    r = subprocess.run(cmd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print(r.stdout, flush=True)
    return r.returncode == 0


def fuzz_audience(st, base, audience, bearer, env, max_examples, commands_coverage):
    """Every operation in every phase; but the coverage phase enumerates the
    boundary values of every field of all 52 command types (some 16,000
    requests), so POST /v1/commands gets it only from the audiences that may
    send commands at all (a partner user, the service), and examples and
    fuzzing from the others."""
    phases = ["--phases", "examples,coverage,fuzzing"]
    if commands_coverage:
        return fuzz(st, base, audience, bearer, env, max_examples, phases)
    ok = fuzz(st, base, audience, bearer, env, max_examples, phases + ["--exclude-path", "/v1/commands"])
    return fuzz(st, base, audience, bearer, env, max_examples,
                ["--phases", "examples,fuzzing", "--include-path", "/v1/commands"]) and ok


def main():
    mledger, source = sys.argv[1:3]
    max_examples = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    python = venv_python(source)
    st = os.path.join(os.path.dirname(python), "st")
    with tempfile.TemporaryDirectory(prefix="mledger-schemathesis-") as work:
        data, key = os.path.join(work, "data"), os.path.join(work, "key")
        assert run([mledger, "token", "keygen", "--key-file", key]).returncode == 0
        for f in ("docs/demo/scenario.jsonl", "docs/demo/company-year.jsonl"):
            r = run([mledger, "exec", "--data", data, os.path.join(source, f)])
            assert r.returncode == 0, r.stdout + r.stderr
        server, base = start_server(mledger, data, key)
        ok = True
        violations = os.path.join(work, "violations.txt")
        try:
            auditor = token(mledger, key, "auditor", "auditor-st")
            seq_before = head_seq(base, auditor)
            audiences = [  # name, token, the actor of its commands, commands' coverage phase
                ("anyone", None, None, False),
                ("user", token(mledger, key, "user", "u-anna", "contoso-fr"),
                 {"kind": "user", "account_id": "contoso-fr", "user_id": "u-anna"}, True),
                ("auditor", auditor, None, False),
                ("operator", token(mledger, key, "operator", "operator-st"), None, False),
                ("service", token(mledger, key, "service", "svc-st"), None, True),
            ]
            hooks_dir = os.path.join(source, "tests/http")
            for audience, bearer, actor, commands_coverage in audiences:
                env = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks",
                           PYTHONPATH=hooks_dir, MLEDGER_ST_BASE=base, MLEDGER_ST_AUDITOR=auditor,
                           MLEDGER_ST_ACTOR=json.dumps(actor) if actor else "",
                           MLEDGER_ST_VIOLATIONS=violations)
                ok = fuzz_audience(st, base, audience, bearer, env, max_examples, commands_coverage) and ok
            print(f"the ledger's head moved from {seq_before} to {head_seq(base, auditor)} (accepted commands, ticks)")
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=120)
        if code != 0:
            print(f"FAIL: mledger serve exited {code} after SIGTERM")
            ok = False
        if os.path.exists(violations):
            print("FAIL: the digest moved on refused requests:\n" + open(violations).read())
            ok = False
        verified = run([mledger, "verify", "--data", data])
        if verified.returncode != 0:
            print("FAIL: mledger verify:\n" + verified.stdout + verified.stderr)
            ok = False
    print("schemathesis: all audiences passed" if ok else "schemathesis: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
