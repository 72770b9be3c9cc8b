#!/usr/bin/env python3
"""CTest: the reference verifier (tools/verifier/verify_export.py, hashlib,
pycapnp and cryptography only) and `mledger audit check` agree on a real
export and on tampered copies of it.

A real ledger (docs/demo: several accounts, merges across them) is made with
`mledger exec`; one account is exported (format 2). Both checkers must accept
the intact export, and refuse every tampering below, naming the same line;
each prints its reason. They run with the ledger's public key (as an auditor
would), and, where a case needs it, a trusted head or another key.

Then an export holding one event of every event type, every field set
(tests/tools/every_event_export.cc): both accept it, so the verifier reads
every type's sealed bytes into the JSON form as mledger writes it.

usage: export_verifier_check.py MLEDGER_BINARY SOURCE_DIR EVERY_EVENT_EXPORT_BINARY
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ACCOUNT = "contoso-fr"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def venv_python(source):
    r = run([os.path.join(source, "tools/python-env")])
    if r.returncode != 0:
        sys.exit("tools/python-env failed:\n" + r.stderr)
    return r.stdout.strip().splitlines()[-1]


def must(r, what):
    if r.returncode != 0:
        sys.exit(f"{what} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


class Export:
    """An export's lines as parsed JSON, written back in the format's form."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.lines = [json.loads(l) for l in f.read().split(b"\n") if l]

    def text(self, lines=None):
        return "".join(json.dumps(l, sort_keys=True, separators=(",", ":")) + "\n"
                       for l in (lines if lines is not None else self.lines))


def forge_trailer(lines):
    """The trailer made again over `lines` as a forger would (count, lines,
    SHA-256), the account signature kept."""
    body = "".join(json.dumps(l, sort_keys=True, separators=(",", ":")) + "\n" for l in lines[:-1])
    t = dict(lines[-1])
    t.update(events=len(lines) - 2, lines=len(lines) - 1, sha256=hashlib.sha256(body.encode()).hexdigest())
    return lines[:-1] + [t]


def copy(lines):
    return json.loads(json.dumps(lines))


def head_message(h, micros):
    return (b"mledger-tree-head-v1\x00" + h["ledger_id"].encode() + h["tree_size"].to_bytes(8, "big")
            + bytes.fromhex(h["root_hash"]) + micros.to_bytes(8, "big"))


def micros_of(ts, python, verifier):
    """The signed microseconds of an RFC 3339 timestamp, by the verifier's own parser."""
    code = ("import sys, importlib.util; s = importlib.util.spec_from_file_location('v', sys.argv[1]); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); print(m.parse_rfc3339(sys.argv[2]))")
    return int(must(run([python, "-c", code, verifier, ts]), "parse timestamp").strip())


def sign(key_pem_path, message, python):
    code = ("import sys, base64; from cryptography.hazmat.primitives.serialization import load_pem_private_key; "
            "k = load_pem_private_key(open(sys.argv[1], 'rb').read(), None); "
            "print(base64.b64encode(k.sign(bytes.fromhex(sys.argv[2]))).decode())")
    return must(run([python, "-c", code, key_pem_path, message.hex()]), "sign").strip()


def new_key(path, python):
    code = ("import sys; from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey; "
            "from cryptography.hazmat.primitives import serialization as s; k = Ed25519PrivateKey.generate(); "
            "open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption())); "
            "open(sys.argv[1] + '.pub', 'wb').write(k.public_key().public_bytes(s.Encoding.PEM, "
            "s.PublicFormat.SubjectPublicKeyInfo))")
    must(run([python, "-c", code, path]), "new key")
    return path, path + ".pub"


def checks(mledger, python, verifier, path, extra):
    """(mledger's verdict, the verifier's verdict) as their --json objects."""
    a = run([mledger, "audit", "check", path, "--json"] + extra)
    b = run([python, verifier, path, "--json"] + extra)
    out = []
    for name, r in (("audit check", a), ("verify_export.py", b)):
        if r.returncode not in (0, 1):
            sys.exit(f"{name} exited {r.returncode} on {path}:\n{r.stdout}\n{r.stderr}")
        v = json.loads(r.stdout.strip().splitlines()[-1])
        if v["intact"] != (r.returncode == 0):
            sys.exit(f"{name}: exit {r.returncode} but intact={v['intact']}")
        out.append(v)
    return out


def tamperings(e, other, older_export, work, python, verifier, ledger_key):
    """(name, lines or path, extra options) for each tampered copy."""
    ev = [i for i, l in enumerate(e.lines) if l["kind"] == "event"]
    mid = ev[len(ev) // 2]
    out = []

    def case(name, edit, extra=()):
        lines = copy(e.lines)
        lines = edit(lines) or lines
        out.append((name, lines, list(extra)))

    case("a JSON field of an event changed",
         lambda ls: ls[mid]["event"]["actor"].update(user_id="u-mallory"))
    case("a JSON integer written as 2.0",
         lambda ls: ls[mid]["event"].update(schema_version=float(ls[mid]["event"]["schema_version"])))

    def sealed_byte(ls):
        raw = bytearray(base64.b64decode(ls[mid]["envelope"]))
        raw[len(raw) - 20] ^= 0x01
        ls[mid]["envelope"] = base64.b64encode(bytes(raw)).decode()
    case("a sealed byte changed", sealed_byte)

    def resealed(ls):
        # A changed body sealed again: its hash is right, the proofs are not.
        raw = bytearray(base64.b64decode(ls[mid]["envelope"]))
        body_at = 8 + 12 * 8
        raw[len(raw) - 20] ^= 0x01
        prev = bytes(raw[8 + 4 * 8:8 + 8 * 8])
        digest = hashlib.sha256(prev + bytes(raw[body_at:])).digest()
        raw[8 + 8 * 8:8 + 12 * 8] = digest
        ls[mid]["envelope"] = base64.b64encode(bytes(raw)).decode()
        ls[mid]["hash"] = ls[mid]["event"]["hash"] = digest.hex()
    case("a sealed byte changed and the hash sealed again", resealed)
    def appended(ls):
        raw = base64.b64decode(ls[mid]["envelope"]) + b"\x00" * 8
        ls[mid]["envelope"] = base64.b64encode(raw).decode()
    case("8 bytes appended to an envelope (the sealed bytes unchanged)", appended)
    case("an event line dropped", lambda ls: ls.pop(mid) and None)
    case("an event line dropped, the trailer forged", lambda ls: forge_trailer(ls[:mid] + ls[mid + 1:]))
    case("the last event dropped, the trailer forged", lambda ls: forge_trailer(ls[:ev[-1]] + ls[ev[-1] + 1:]))

    def reorder(ls):
        ls[mid], ls[mid + 1] = ls[mid + 1], ls[mid]
    case("two event lines swapped", reorder)

    def siblings(ls):
        p = ls[mid]["path"]
        p[0], p[1] = p[1], p[0]
    case("two siblings of a proof swapped", siblings)
    case("a proof truncated", lambda ls: ls[mid]["path"].pop() and None)
    case("a proof lengthened", lambda ls: ls[mid]["path"].append(ls[mid]["path"][-1]))
    case("a proof hash changed", lambda ls: ls[mid].update(path=["00" * 32] + ls[mid]["path"][1:]))
    case("the ledger digest's path changed", lambda ls: ls[0]["ledger"]["path"].reverse())

    other_key, other_pub = new_key(os.path.join(work, "other.pem"), python)

    def other_signer(ls):
        h = ls[0]["tree_head"]
        h["signature"] = sign(other_key, head_message(h, micros_of(h["timestamp"], python, verifier)), python)
    case("the head signed by another key", other_signer)
    case("checked with another ledger's public key", lambda ls: None, ["--public-key", other_pub])
    case("the head's timestamp changed",
         lambda ls: ls[0]["tree_head"].update(timestamp="2030-01-01T00:00:00Z"))
    case("a genuine head of another size", lambda ls: ls[0].update(tree_head=older_export.lines[0]["tree_head"]))
    case("the trailer's SHA-256 forged", lambda ls: ls[-1].update(sha256="ab" * 32))
    case("the trailer's count forged", lambda ls: ls[-1].update(events=ls[-1]["events"] + 1))
    other_event = next(l for l in other.lines if l["kind"] == "event" and ACCOUNT not in l["event"]["account_ids"])

    def insert_other(ls):
        events = sorted(ls[1:-1] + [other_event], key=lambda l: l["seq"])
        return forge_trailer([ls[0]] + events + [ls[-1]])
    case("an event of another account inserted, the trailer forged", insert_other)
    case("another account's signature on this export",
         lambda ls: ls[-1].update(account_signature=other.lines[-1]["account_signature"]))
    case("a line after the trailer", lambda ls: ls + [{"kind": "event"}])
    case("a digest the auditor kept that the export does not state", lambda ls: None,
         ["--digest", "1:" + "00" * 32])

    # A genuine export against an older head, replayed to an auditor who kept
    # the latest head; and a fork: a head of the export's size with another
    # root, signed with the ledger's own key.
    latest = os.path.join(work, "latest-head.json")
    with open(latest, "w") as f:
        json.dump(e.lines[0]["tree_head"], f)
    out.append(("a genuine older export replayed (trusted head kept)", older_export.lines, ["--trusted-head", latest]))
    fork = dict(e.lines[0]["tree_head"])
    fork["root_hash"] = "11" * 32
    fork["signature"] = sign(ledger_key, head_message(fork, micros_of(fork["timestamp"], python, verifier)), python)
    forked = os.path.join(work, "fork-head.json")
    with open(forked, "w") as f:
        json.dump(fork, f)
    out.append(("a fork: a trusted head of the same size with another root", e.lines, ["--trusted-head", forked]))
    return out


def main():
    mledger, source, every_event_export = sys.argv[1], sys.argv[2], sys.argv[3]
    python = venv_python(source)
    verifier = os.path.join(source, "tools/verifier/verify_export.py")
    work = tempfile.mkdtemp(prefix="mledger-verifier-")
    data = os.path.join(work, "ledger")
    demo = os.path.join(source, "docs/demo")
    must(run([mledger, "exec", "--data", data, os.path.join(demo, "company-year.jsonl")]), "exec company-year")
    older_size = json.loads(must(run([mledger, "audit", "tree-head", "--data", data, "--json"]), "tree-head"))["tree_size"]
    must(run([mledger, "exec", "--data", data, os.path.join(demo, "scenario.jsonl")]), "exec scenario")
    pub = os.path.join(work, "ledger.pem")
    with open(pub, "w") as f:
        f.write(must(run([mledger, "audit", "public-key", "--data", data]), "public-key"))
    paths = {}
    for name, account, extra in (("export", ACCOUNT, []), ("other", "northwind-be", []),
                                 ("older", ACCOUNT, ["--size", str(older_size)])):
        paths[name] = os.path.join(work, name + ".jsonl")
        must(run([mledger, "audit", "export", "--data", data, "--account", account, "--out", paths[name]] + extra),
             "export " + name)
    e, other, older = Export(paths["export"]), Export(paths["other"]), Export(paths["older"])
    key = ["--public-key", pub]

    failures = []
    a, b = checks(mledger, python, verifier, paths["export"], key)
    print(f"intact: audit check {a['intact']} ({a['events']} events, {a['proofs_checked']} proofs); "
          f"verify_export.py {b['intact']} ({b['events']} events, {b['proofs_checked']} proofs)")
    if not (a["intact"] and b["intact"] and a["signatures_checked"] and b["signatures_checked"]):
        failures.append(f"the intact export: audit check {a}, verify_export.py {b}")
    ka, kb = checks(mledger, python, verifier, paths["export"], [])
    if not (ka["intact"] and kb["intact"]) or ka["signatures_checked"] or kb["signatures_checked"]:
        failures.append(f"the intact export without a key: {ka} / {kb}")
    v1 = os.path.join(source, "docs/examples/fabrikam-export.jsonl")
    a1, b1 = checks(mledger, python, verifier, v1, [])
    if not (a1["intact"] and b1["intact"]):
        failures.append(f"the version 1 example: {a1} / {b1}")
    examples = os.path.join(source, "docs/examples")
    a2, b2 = checks(mledger, python, verifier, os.path.join(examples, "fabrikam-export-v2.jsonl"),
                    ["--public-key", os.path.join(examples, "fabrikam-ledger.pem")])
    if not (a2["intact"] and b2["intact"] and a2["signatures_checked"] and b2["signatures_checked"]):
        failures.append(f"the version 2 example: {a2} / {b2}")

    every = os.path.join(work, "every")
    os.makedirs(every)
    print(must(run([every_event_export, every]), "every_event_export").strip())
    ea, eb = checks(mledger, python, verifier, os.path.join(every, "every.jsonl"),
                    ["--public-key", os.path.join(every, "ledger.pem")])
    print(f"every event type: audit check {ea['intact']} ({ea.get('problem', 'intact')}), "
          f"verify_export.py {eb['intact']} ({eb.get('problem', 'intact')}), {eb['events']} events")
    if not (ea["intact"] and eb["intact"] and ea["events"] == eb["events"] > 60):
        failures.append(f"the export of every event type: {ea} / {eb}")

    cases = tamperings(e, other, older, work, python, verifier, os.path.join(data, "tree-head-key.pem"))
    for n, (name, lines, extra) in enumerate(cases):
        path = lines if isinstance(lines, str) else os.path.join(work, f"tampered-{n}.jsonl")
        if not isinstance(lines, str):
            with open(path, "w") as f:
                f.write(e.text(lines))
        opts = extra if "--public-key" in extra else key + extra
        a, b = checks(mledger, python, verifier, path, opts)
        print(f"{name}:\n  audit check:      line {a.get('bad_line')}: {a.get('problem')}\n"
              f"  verify_export.py: line {b.get('bad_line')}: {b.get('problem')}")
        if a["intact"] or b["intact"]:
            failures.append(f"{name}: accepted (audit check intact={a['intact']}, verify_export.py intact={b['intact']})")
        elif a.get("bad_line") != b.get("bad_line"):
            failures.append(f"{name}: audit check names line {a.get('bad_line')}, verify_export.py line {b.get('bad_line')}")
    print(f"{len(cases)} tamperings, each refused by both: {'no' if failures else 'yes'}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
