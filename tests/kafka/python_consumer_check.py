#!/usr/bin/env python3
"""CTest: the Python consumer (tools/consumer) decodes the published topics
with only the published schema, and what it sees equals the ledger's own
history: every event 1..N exactly once, with the same id, type, stream,
version, accounts and hash as `mledger history --json` shows.

usage: python_consumer_check.py MLEDGER_BINARY SOURCE_DIR BROKER_ADDRESS_FILE
"""

import json
import os
import random
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    mledger, source, address_file = sys.argv[1:4]
    brokers = open(address_file).read().strip()
    env_py = run([os.path.join(source, "tools/python-env")])
    if env_py.returncode != 0:
        print(env_py.stderr, file=sys.stderr)
        return 1
    python = env_py.stdout.strip().splitlines()[-1]
    failures = []
    with tempfile.TemporaryDirectory(prefix="mledger-py-") as work:
        ledger = os.path.join(work, "ledger")
        for f in ("docs/demo/scenario.jsonl", "docs/demo/company-year.jsonl"):
            r = run([mledger, "exec", "--data", ledger, os.path.join(source, f)])
            assert r.returncode in (0, 1), r.stdout + r.stderr
        prefix = f"t{random.randrange(10**6)}-python"
        r = run([mledger, "publish", "--data", ledger, "--brokers", brokers, "--topic-prefix", prefix,
                 "--partitions", "3"])
        assert r.returncode == 0, r.stderr
        schema = os.path.join(work, "mledger.capnp")
        with open(schema, "w") as out:
            assert subprocess.run([mledger, "schema"], stdout=out).returncode == 0
        r = run([python, os.path.join(source, "tools/consumer/mledger_consumer.py"), "--brokers", brokers,
                 "--schema", schema, "--topic-prefix", prefix, "--from-beginning", "--until-end"])
        assert r.returncode == 0, r.stderr
        seen = {}
        for line in r.stdout.splitlines():
            rec = json.loads(line)
            seq = rec["event"]["seq"]
            if seq in seen:
                failures.append(f"event {seq} seen twice")
            seen[seq] = rec
        digest = json.loads(run([mledger, "digest", "--json", "--data", ledger]).stdout)
        n = int(digest["seq"])
        if sorted(seen) != list(range(1, n + 1)):
            failures.append(f"saw {len(seen)} distinct events, the ledger has {n}")
        accounts = sorted({a for rec in seen.values() for a in rec["event"]["account_ids"]})
        compared = 0
        for account in accounts:
            h = run([mledger, "history", "--json", "--data", ledger, "--account", account])
            assert h.returncode == 0, h.stderr
            for line in h.stdout.splitlines():
                if not line.startswith("{"):
                    continue
                want = json.loads(line)
                seq = int(want["seq"])
                got = seen.get(seq, {}).get("event")
                if got is None:
                    failures.append(f"{account}: event {seq} not consumed")
                    continue
                for k in ("event_id", "type", "stream", "account_ids", "hash", "prev_hash", "command_id"):
                    if got[k] != want[k]:
                        failures.append(f"event {seq}: {k} is {got[k]!r} in Python, {want[k]!r} in the ledger")
                if int(got["version"]) != int(want["version"]):
                    failures.append(f"event {seq}: version differs")
                rec = seen[seq]
                if rec["headers"].get("ce_id") != want["event_id"] or rec["headers"].get("mledger_seq") != str(seq):
                    failures.append(f"event {seq}: headers differ")
                compared += 1
        if compared < n // 2:
            failures.append(f"only {compared} of {n} events compared with account histories")
        print(f"python consumer: {len(seen)} events decoded, {compared} compared with "
              f"{len(accounts)} account histories")
    for f in failures[:20]:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
