#!/usr/bin/env python3
"""CTest: the Python consumer (tools/consumer) decodes the published topics
with only the published schema, and what it sees equals the ledger's own
history: every event 1..N exactly once, with the same id, type, stream,
version, accounts and hash as `mledger history --json` shows. Then, over the
same topics: the CloudEvents SDK decodes every record and keeps the
extension attributes (cloudevents_decode.py), and the pycapnp example of
docs/kafka.md, taken from the page as it is written, runs and prints every
event once with what the ledger says. Last, the outsider's check
(tools/consumer/mledger_check.py: exactly once, per-account order, the chain
across topics) passes, and fails as it should on a head the topics do not
reach and on topics a second publisher (another transactional id) filled
again.

usage: python_consumer_check.py MLEDGER_BINARY SOURCE_DIR BROKER_ADDRESS_FILE
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def check_cloudevents(python, source, brokers, schema, prefix, n, failures):
    """Every record decoded by the CloudEvents SDK's Kafka binding, once."""
    r = run([python, os.path.join(source, "tests/kafka/cloudevents_decode.py"), brokers, schema, prefix,
             os.path.join(source, "tools/consumer")])
    if r.returncode != 0:
        failures.append(f"cloudevents_decode.py exited {r.returncode}: {r.stderr[-2000:]}")
        return
    result = json.loads(r.stdout.strip().splitlines()[-1])
    failures.extend(f"cloudevents: {f}" for f in result["failures"])
    if sorted(result["seqs"]) != list(range(1, n + 1)):
        failures.append(f"cloudevents: decoded {len(result['seqs'])} records, expected events 1..{n} once each")
    print(f"cloudevents SDK: {result['events']} records decoded as CloudEvents, extensions "
          f"mledgerseq/mledgerstream/mledgerversion kept")


def doc_example(source):
    """The first ```python block of docs/kafka.md's "## Decoding" section."""
    doc = open(os.path.join(source, "docs/kafka.md"), encoding="utf-8").read()
    section = doc[doc.index("\n## Decoding\n"):]
    section = section[:section.index("\n## ", 1)]
    m = re.search(r"```python\n(.*?)```", section, re.S)
    assert m, "docs/kafka.md: no python block under ## Decoding"
    return m.group(1)


def check_doc_example(python, source, brokers, work, prefix, seen, n, failures):
    """The example runs as written (BROKERS SCHEMA PREFIX, in the folder of
    mledger.capnp) and prints "seq topic type stream version member" for
    every event once, as the ledger has them."""
    with open(os.path.join(work, "decode.py"), "w", encoding="utf-8") as out:
        out.write(doc_example(source))
    r = run([python, "decode.py", brokers, "mledger.capnp", prefix], cwd=work, timeout=180)
    if r.returncode != 0:
        failures.append(f"docs/kafka.md example exited {r.returncode}: {r.stderr[-2000:]}")
        return
    printed = {}
    for line in r.stdout.splitlines():
        seq, topic, type_, stream, version, member = line.split(" ")
        if int(seq) in printed:
            failures.append(f"docs example: event {seq} printed twice")
        printed[int(seq)] = (topic, type_, stream, int(version))
    if sorted(printed) != list(range(1, n + 1)):
        failures.append(f"docs example: printed {len(printed)} events, the ledger has {n}")
    for seq, got in printed.items():
        rec = seen.get(seq)
        want = rec and (rec["topic"], rec["event"]["type"], rec["event"]["stream"], int(rec["event"]["version"]))
        if got != want:
            failures.append(f"docs example: event {seq} printed as {got}, consumed as {want}")
    print(f"docs/kafka.md example: {len(printed)} events printed, equal to the consumer's")


def outsider(python, source, brokers, schema, prefix, head):
    r = run([python, os.path.join(source, "tools/consumer/mledger_check.py"), "--brokers", brokers,
             "--schema", schema, "--topic-prefix", prefix, "--expect-head", str(head)])
    lines = r.stdout.strip().splitlines()
    return r.returncode, (json.loads(lines[-1]) if lines else {}), r.stderr


def check_outsider(python, mledger, source, brokers, ledger, schema, prefix, n, failures):
    code, result, err = outsider(python, source, brokers, schema, prefix, n)
    want = {"events": n, "head": n, "duplicates": 0, "missing": 0, "order_violations": 0,
            "chain_breaks": 0, "ok": True}
    if code != 0 or any(result.get(k) != v for k, v in want.items()):
        failures.append(f"mledger_check.py exited {code} with {result}: {err[-1000:]}")
    print(f"outsider check: {result}")
    code, result, _ = outsider(python, source, brokers, schema, prefix, n + 1)
    if code != 1 or result.get("missing") != 1 or result.get("ok") is not False:
        failures.append(f"mledger_check.py --expect-head {n + 1}: exited {code} with {result}, expected 1 missing")
    # A second publisher with another transactional id publishes everything
    # again (docs/kafka.md): every event is then there twice.
    r = run([mledger, "publish", "--data", ledger, "--brokers", brokers, "--topic-prefix", prefix,
             "--partitions", "3", "--transactional-id", prefix + "-second"])
    assert r.returncode == 0, r.stderr
    code, result, _ = outsider(python, source, brokers, schema, prefix, n)
    if code != 1 or result.get("duplicates") != n or result.get("ok") is not False:
        failures.append(f"mledger_check.py after a second publisher: exited {code} with {result}, "
                        f"expected {n} duplicates")
    print(f"outsider check after a second publisher: {result.get('duplicates')} duplicates found")


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
        check_cloudevents(python, source, brokers, schema, prefix, n, failures)
        check_doc_example(python, source, brokers, work, prefix, seen, n, failures)
        check_outsider(python, mledger, source, brokers, ledger, schema, prefix, n, failures)
    for f in failures[:20]:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
