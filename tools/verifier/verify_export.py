#!/usr/bin/env python3
"""Checks an mledger account export offline, as an outside auditor would.

A reference verifier written from docs/audit.md and docs/event-log.md alone:
it uses hashlib, pycapnp with the published schema (adapters/capnp/
mledger.capnp, installed as share/mledger/mledger.capnp) and the
`cryptography` package for Ed25519, and nothing of mledger's code.

It checks, for format versions 1 and 2 (docs/audit.md, "Checking an export"):
the trailer's SHA-256, event count and line count; each envelope's framing
(one segment), that it decodes (pycapnp), that SHA-256(prevHash || body) is
its hash, that the body decodes and its JSON form equals the line's `event`
and stated fields; that the events concern the account, that seqs increase,
the chain links between adjacent events, the ledger digest; and for version 2
the tree head's Ed25519 signature, the ledger digest's and every event's RFC
9162 inclusion path, the account's own stream versions without a gap, and the
account signature over the (seq, hash) list.

usage: verify_export.py FILE [--public-key KEY.pem] [--trusted-head HEAD.json]
                        [--digest SEQ:HASH] [--schema mledger.capnp] [--json]
Exit: 0 intact; 1 not intact (one line: where and why); 2 bad usage or a file
that cannot be read.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys

import capnp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

FORMAT = "mledger-account-export"
LINE_BYTES_MAX = 1024 * 1024      # a line longer than this is refused
ENVELOPE_BYTES_MAX = 64 * 1024    # event_bytes_max
PATH_ENTRIES_MAX = 64             # an inclusion path
TRAVERSAL_LIMIT_WORDS = 64 * 1024 // 8 * 4
NESTING_LIMIT = 16
HEAD_MAGIC = b"mledger-tree-head-v1\x00"
STATEMENT_MAGIC = b"mledger-account-events-v1\x00"
U64_MAX = (1 << 64) - 1


class Bad(Exception):
    def __init__(self, problem, seq=None):
        super().__init__(problem)
        self.problem = problem
        self.seq = seq


# --- JSON values, read as strictly as the format says ------------------------

def is_uint(v):
    return type(v) is int and 0 <= v <= U64_MAX


def hash_of(v):
    """64 hex digits (either case) as 32 bytes, or None."""
    if type(v) is not str or not re.fullmatch(r"[0-9a-fA-F]{64}", v):
        return None
    return bytes.fromhex(v)


def base64_strict(v):
    """RFC 4648 base64, standard alphabet, padded, canonical; or None."""
    if type(v) is not str or len(v) % 4 != 0 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", v):
        return None
    try:
        raw = base64.b64decode(v, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode() == v else None


def same_json(a, b):
    """JSON equality that tells 1 from 1.0 and false from 0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


def wrong_keys(obj, keys):
    for k in obj:
        if k not in keys:
            return f"unexpected field '{k}'"
    for k in sorted(keys):
        if k not in obj:
            return f"field '{k}' is missing"
    return None


def parse_json(text):
    def no_constant(name):
        raise ValueError(name)
    try:
        j = json.loads(text, parse_constant=no_constant)
    except ValueError:
        return None
    return j if isinstance(j, dict) else None


# --- time: RFC 3339 <-> microseconds since the epoch (docs/event-log.md) -----

def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return y + (m <= 2), m, d


def format_rfc3339(micros):
    """YYYY-MM-DDTHH:MM:SSZ, with .ffffff (6 digits) when not a whole second."""
    days, rem = divmod(micros, 86400 * 10**6)
    y, m, d = civil_from_days(days)
    secs, frac = divmod(rem, 10**6)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (y, m, d, secs // 3600, secs // 60 % 60, secs % 60)
    return text + ("Z" if frac == 0 else ".%06dZ" % frac)


RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
                     r"(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_rfc3339(text):
    m = RFC3339.fullmatch(text) if type(text) is str else None
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= mo <= 12) or not (1 <= d <= month_days[mo - 1]) or h > 23 or mi > 59 or s > 59:
        return None
    frac = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * (-1 if m.group(9) == "-" else 1)
    secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    return secs * 10**6 + frac


# --- the Merkle tree (RFC 9162, docs/audit.md "The tree") --------------------

def leaf_hash(chain_hash):
    return hashlib.sha256(b"\x00" + chain_hash).digest()


def verify_inclusion(leaf, index, size, path, root):
    """RFC 9162 section 2.1.3.2: None when the path holds, else why not."""
    if index >= size:
        return f"leaf {index} is not in a tree of size {size}"
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return "the path is longer than the tree needs"
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "the path is shorter than the tree needs"
    return None if r == root else "the path does not lead to the signed root hash"


def read_path(v):
    if type(v) is not list or len(v) > PATH_ENTRIES_MAX:
        return None
    out = [hash_of(h) for h in v]
    return None if any(h is None for h in out) else out


# --- signed tree heads (docs/audit.md "Signed tree heads") -------------------

def parse_head(j):
    """A head's JSON as a dict with bytes and micros; raises ValueError."""
    if type(j) is not dict:
        raise ValueError("tree head: not a JSON object")
    for k in j:
        if k not in ("tree_size", "root_hash", "timestamp", "ledger_id", "signature"):
            raise ValueError(f'tree head: unknown field "{k}"')
    if not is_uint(j.get("tree_size")):
        raise ValueError('tree head: "tree_size" must be a count')
    root = hash_of(j.get("root_hash"))
    if root is None:
        raise ValueError('tree head: "root_hash" must be 64 hex digits')
    lid = j.get("ledger_id")
    if type(lid) is not str or not re.fullmatch(r"[0-9a-f]{16}", lid):
        raise ValueError('tree head: "ledger_id" must be 16 lowercase hex digits')
    micros = parse_rfc3339(j.get("timestamp"))
    if micros is None:
        raise ValueError('tree head: "timestamp" must be an RFC 3339 instant')
    sig = base64_strict(j.get("signature"))
    if sig is None or len(sig) != 64:
        raise ValueError('tree head: "signature" must be 64 bytes in base64')
    return {"tree_size": j["tree_size"], "root_hash": root, "micros": micros, "ledger_id": lid,
            "signature": sig, "timestamp": j["timestamp"]}


def head_message(h):
    return (HEAD_MAGIC + h["ledger_id"].encode() + h["tree_size"].to_bytes(8, "big") + h["root_hash"]
            + (h["micros"] & U64_MAX).to_bytes(8, "big"))


def signed_by(key, message, signature):
    try:
        key.verify(signature, message)
        return True
    except InvalidSignature:
        return False


def against_trusted(head, trusted):
    if trusted is None:
        return None
    if head["ledger_id"] != trusted["ledger_id"]:
        return f"the signed head is of ledger {head['ledger_id']}, the trusted head of ledger {trusted['ledger_id']}"
    if head["tree_size"] < trusted["tree_size"]:
        return (f"the signed head (tree size {head['tree_size']}) is older than the trusted head "
                f"(tree size {trusted['tree_size']}): a replayed head")
    if head["tree_size"] == trusted["tree_size"] and head["root_hash"] != trusted["root_hash"]:
        return (f"the signed head and the trusted head are both of tree size {head['tree_size']} with "
                "different root hashes: the ledger forked its history")
    return None


# --- the sealed bytes (docs/event-log.md "One event") ------------------------

def snake(name):
    """lowerCamelCase schema names to the JSON's snake_case (cardLast4 -> card_last4)."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def value_json(v, t):
    kind = str(t.which())
    if kind == "text":
        return str(v)
    if kind == "enum":
        return snake(str(v))
    if kind == "struct":
        return struct_json(v)
    if kind == "list":
        return [value_json(e, t.list.elementType) for e in v]
    if kind == "bool":
        return bool(v)
    return int(v)


def struct_json(r):
    """A payload struct in the JSON form: snake_case keys; Int64 *Micros as
    RFC 3339 without the suffix; enums by their snake_case name; a field x
    with a Bool hasX only when hasX is true, hasX itself never; Data never."""
    fields = list(r.schema.fields_list)
    names = {f.proto.name for f in fields}
    out = {}
    for f in fields:
        name, t = f.proto.name, f.proto.slot.type
        kind = str(t.which())
        if kind == "data":
            continue
        if kind == "bool" and name.startswith("has") and len(name) > 3 and name[3].lower() + name[4:] in names:
            continue
        has = "has" + name[0].upper() + name[1:]
        if has in names and not getattr(r, has):
            continue
        v = getattr(r, name)
        if kind == "int64" and name.endswith("Micros"):
            out[snake(name[:-len("Micros")])] = format_rfc3339(v)
        else:
            out[snake(name)] = value_json(v, t)
    return out


def open_envelope(schema, raw):
    """(prev_hash, hash, body reader) of an Envelope; raises ValueError."""
    if len(raw) > ENVELOPE_BYTES_MAX:
        raise ValueError(f"envelope of {len(raw)} bytes exceeds event_bytes_max")
    if len(raw) < 16 or len(raw) % 8 != 0:
        raise ValueError("envelope is not a whole number of words")
    segments_less_one = int.from_bytes(raw[0:4], "little")
    segment_words = int.from_bytes(raw[4:8], "little")
    if segments_less_one != 0 or segment_words != len(raw) // 8 - 1:
        raise ValueError("envelope is not one segment filling its bytes")
    try:
        with schema.Envelope.from_bytes(raw, traversal_limit_in_words=TRAVERSAL_LIMIT_WORDS,
                                        nesting_limit=NESTING_LIMIT) as env:
            prev, digest, body = bytes(env.prevHash), bytes(env.hash), bytes(env.body)
    except Exception as e:  # pycapnp raises KjException for bad bytes
        raise ValueError(f"envelope does not decode: {e}")
    if len(prev) != 32 or len(digest) != 32:
        raise ValueError("envelope hash fields are not 32 bytes")
    if not body or len(body) % 8 != 0:
        raise ValueError("event body is not a whole number of words")
    if hashlib.sha256(prev + body).digest() != digest:
        raise ValueError("event hash does not match its body")
    try:
        ev = schema.EventBody.from_segments([body], traversal_limit_in_words=TRAVERSAL_LIMIT_WORDS,
                                            nesting_limit=NESTING_LIMIT)
    except Exception as e:
        raise ValueError(f"body does not decode: {e}")
    return prev, digest, ev


def event_json(ev, prev, digest):
    """The body as the export's `event` (docs/event-log.md, "The JSON form")."""
    try:
        if ev.seq == 0 or ev.version == 0 or ev.schemaVersion == 0:
            raise ValueError("seq, version and schema version count from 1")
        member = str(ev.payload.which())
        if member == "none" or member[0].upper() + member[1:] != ev.type:
            raise ValueError("event type does not match its payload")
        texts = [ev.stream, ev.eventId, ev.type, ev.commandId, ev.correlationId, ev.causationId]
        j = {
            "seq": ev.seq, "stream": ev.stream, "version": ev.version, "event_id": ev.eventId,
            "type": ev.type, "schema_version": ev.schemaVersion,
            "recorded_at": format_rfc3339(ev.recordedAtMicros),
            "occurred_at": format_rfc3339(ev.occurredAtMicros),
            "command_id": ev.commandId, "correlation_id": ev.correlationId, "causation_id": ev.causationId,
            "actor": struct_json(ev.actor), "account_ids": [str(a) for a in ev.accountIds],
            "data": struct_json(getattr(ev.payload, member)),
            "prev_hash": prev.hex(), "hash": digest.hex(),
        }
    except ValueError:
        raise
    except Exception as e:  # a pointer out of bounds, an unknown member...
        raise ValueError(f"body does not decode: {e}")
    if any("\x00" in t for t in texts + j["account_ids"]):
        raise ValueError("a text field holds a NUL byte")
    return j


# --- the export ---------------------------------------------------------------

class Checker:
    def __init__(self, schema, key=None, trusted=None, digest=None):
        self.schema, self.key, self.trusted, self.digest = schema, key, trusted, digest
        self.line = 0
        self.version = None
        self.account = None
        self.head = None
        self.ledger = None
        self.events = 0
        self.last_seq = 0
        self.last_hash = None
        self.own_versions = 0
        self.proofs = 0
        self.links = 0
        self.sha = hashlib.sha256()
        self.seqs = hashlib.sha256()
        self.done = False

    def feed(self, raw):
        self.line += 1
        if self.done:
            raise Bad("a line follows the trailer")
        j = parse_json(raw)
        if j is None:
            raise Bad("not a JSON object")
        if self.version is None:
            self.header(j)
        elif j.get("kind") == "event":
            self.event(j)
        elif j.get("kind") == "trailer":
            self.trailer(j)
            self.done = True
            return
        else:
            raise Bad(f"expected an event or the trailer, found kind '{j.get('kind')}'")
        self.sha.update(raw + b"\n")

    def header(self, j):
        if j.get("kind") != "header":
            raise Bad("the first line is not an export header")
        if j.get("format") != FORMAT:
            raise Bad(f"header: format is not {FORMAT}")
        version = j.get("format_version")
        if not is_uint(version) or version not in (1, 2):
            raise Bad(f"header: format_version {json.dumps(version)} is not read by this verifier (it reads 1 and 2)")
        self.version = version
        keys = {"kind", "format", "format_version", "account", "exported_at", "ledger"} | (
            {"tree_head"} if version == 2 else set())
        if (w := wrong_keys(j, keys)):
            raise Bad("header: " + w)
        if type(j["account"]) is not str or not j["account"]:
            raise Bad("header: account must be a non-empty string")
        self.account = j["account"]
        if parse_rfc3339(j["exported_at"]) is None:
            raise Bad("header: exported_at is not an RFC 3339 instant")
        ledger = j["ledger"]
        lkeys = {"seq", "head"} | ({"path"} if version == 2 else set())
        if type(ledger) is not dict or wrong_keys(ledger, lkeys) or not is_uint(ledger["seq"]) \
                or hash_of(ledger["head"]) is None:
            raise Bad("header: ledger is not {seq, head" + (", path}" if version == 2 else "}"))
        self.ledger = (ledger["seq"], hash_of(ledger["head"]))
        if version == 2:
            self.header_v2(j)
        if self.digest is not None and self.digest != self.ledger:
            raise Bad("header: the export's ledger digest is not the digest given")

    def header_v2(self, j):
        try:
            head = parse_head(j["tree_head"])
        except ValueError as e:
            raise Bad(f"header: {e}")
        if self.key is not None and not signed_by(self.key, head_message(head), head["signature"]):
            raise Bad("header: the tree head's signature does not verify with this public key")
        if (why := against_trusted(head, self.trusted)):
            raise Bad("header: " + why)
        path = read_path(j["ledger"]["path"])
        if path is None:
            raise Bad("header: ledger.path must be a list of at most 64 hashes")
        size = head["tree_size"]
        if self.ledger[0] != size or size == 0:
            raise Bad(f"header: the ledger digest's seq {self.ledger[0]} is not the signed head's tree size {size}")
        if (why := verify_inclusion(leaf_hash(self.ledger[1]), size - 1, size, path, head["root_hash"])):
            raise Bad("header: the ledger head is not the last event of the signed tree: " + why)
        self.head = head

    def event(self, j):
        seq = j.get("seq")
        if not is_uint(seq):
            raise Bad("event: seq must be a whole number")
        keys = {"kind", "seq", "stream", "version", "type", "prev_hash", "hash", "envelope", "event"} | (
            {"path"} if self.version == 2 else set())
        if (w := wrong_keys(j, keys)):
            raise Bad("event: " + w, seq)
        prev_stated, hash_stated = hash_of(j["prev_hash"]), hash_of(j["hash"])
        if not is_uint(j["version"]) or type(j["stream"]) is not str or type(j["type"]) is not str \
                or prev_stated is None or hash_stated is None or type(j["envelope"]) is not str \
                or type(j["event"]) is not dict:
            raise Bad("event: a field has the wrong type", seq)
        raw = base64_strict(j["envelope"])
        if raw is None:
            raise Bad("envelope is not base64", seq)
        try:
            prev, digest, ev = open_envelope(self.schema, raw)
            sealed = event_json(ev, prev, digest)
        except ValueError as e:
            raise Bad(f"envelope does not open: {e}", seq)
        if sealed["seq"] != seq:
            raise Bad(f"the line says seq {seq} but its envelope holds seq {sealed['seq']}", seq)
        if digest != hash_stated or prev != prev_stated:
            raise Bad("hash or prev_hash in the line differs from the envelope's", seq)
        if sealed["stream"] != j["stream"] or sealed["version"] != j["version"] or sealed["type"] != j["type"]:
            raise Bad("stream, version or type in the line differs from the envelope's", seq)
        if not same_json(j["event"], sealed):
            raise Bad("the event JSON differs from its sealed bytes", seq)
        if self.account not in sealed["account_ids"]:
            raise Bad(f"the event does not concern account {self.account}", seq)
        if self.events > 0 and seq <= self.last_seq:
            raise Bad(f"seq {seq} does not follow {self.last_seq}", seq)
        if self.events > 0 and seq == self.last_seq + 1:
            if prev != self.last_hash:
                raise Bad(f"prev_hash is not the hash of event {self.last_seq}", seq)
            self.links += 1
        if seq > self.ledger[0]:
            raise Bad(f"seq lies beyond the ledger digest's seq {self.ledger[0]}", seq)
        if seq == self.ledger[0] and digest != self.ledger[1]:
            raise Bad("the event is the digest's head but its hash is not the head hash", seq)
        if self.version == 2:
            self.event_v2(j, seq, sealed, digest)
        self.events += 1
        self.last_seq, self.last_hash = seq, digest

    def event_v2(self, j, seq, sealed, digest):
        path = read_path(j["path"])
        if path is None:
            raise Bad("event: path must be a list of at most 64 hashes", seq)
        if (why := verify_inclusion(leaf_hash(digest), seq - 1, self.head["tree_size"], path,
                                    self.head["root_hash"])):
            raise Bad("not in the signed tree: " + why, seq)
        self.proofs += 1
        if sealed["stream"] == "account-" + self.account:
            if sealed["version"] != self.own_versions + 1:
                raise Bad(f"version {sealed['version']} of the account's stream follows version "
                          f"{self.own_versions}: an event of the account is missing", seq)
            self.own_versions += 1
        self.seqs.update(seq.to_bytes(8, "big") + digest)

    def trailer(self, j):
        keys = {"kind", "events", "lines", "sha256"} | ({"account_signature"} if self.version == 2 else set())
        if (w := wrong_keys(j, keys)):
            raise Bad("trailer: " + w)
        if not is_uint(j["events"]) or not is_uint(j["lines"]) or hash_of(j["sha256"]) is None:
            raise Bad("trailer: a field has the wrong type")
        if j["events"] != self.events:
            raise Bad(f"trailer: says {j['events']} events, the file holds {self.events}")
        if j["lines"] != self.line - 1:
            raise Bad(f"trailer: says {j['lines']} lines before it, the file holds {self.line - 1}")
        if hash_of(j["sha256"]) != self.sha.digest():
            raise Bad("trailer: the SHA-256 of the lines before it differs")
        if self.version == 2:
            sig = base64_strict(j["account_signature"])
            if sig is None or len(sig) != 64:
                raise Bad("trailer: account_signature must be 64 bytes in base64")
            account = self.account.encode()
            h = self.head
            statement = (STATEMENT_MAGIC + h["ledger_id"].encode() + h["tree_size"].to_bytes(8, "big")
                         + h["root_hash"] + len(account).to_bytes(8, "big") + account
                         + self.events.to_bytes(8, "big") + self.seqs.digest())
            if self.key is not None and not signed_by(self.key, statement, sig):
                raise Bad("trailer: the account signature does not verify with this public key")

    def finish(self):
        if self.version is None:
            self.line += 1
            raise Bad("the file is empty")
        if not self.done:
            self.line += 1
            raise Bad("the file ends without a trailer (truncated?)")
        if self.events == 0:
            self.line += 1
            raise Bad("the export holds no events")


def load_schema(path):
    """mledger.capnp imports /capnp/c++.capnp, which pycapnp ships."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(capnp.__file__)))
    imports = [d for d in (here, "/usr/include", "/usr/local/include") if os.path.isdir(d)]
    return capnp.load(path, imports=imports)


def default_schema():
    here = os.path.dirname(os.path.abspath(__file__))
    for p in (os.path.join(here, "../../adapters/capnp/mledger.capnp"),
              os.path.join(here, "../../share/mledger/mledger.capnp")):
        if os.path.isfile(p):
            return os.path.normpath(p)
    return None


def lines_of(f):
    """Yields each line without its '\\n' (and a '\\r' before it, which is not
    part of the line); a line over the limit raises Bad."""
    while True:
        raw = f.readline(LINE_BYTES_MAX + 2)
        if not raw:
            return
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if len(raw) > LINE_BYTES_MAX:
            raise Bad(f"longer than {LINE_BYTES_MAX} bytes")
        yield raw


def options(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--public-key", help="the ledger's public key (PEM), from `mledger audit public-key`")
    ap.add_argument("--trusted-head", help="a signed head you kept (`mledger audit tree-head --json`)")
    ap.add_argument("--digest", help="SEQ:HASH, a digest you kept (`mledger digest`)")
    ap.add_argument("--schema", default=default_schema(), help="the published mledger.capnp")
    ap.add_argument("--json", action="store_true")
    return ap.parse_args(argv)


def setup(args):
    """The checker for these options; exits 2 naming a bad one."""
    if not args.schema or not os.path.isfile(args.schema):
        sys.exit(print("verify_export.py: no schema: give --schema PATH/mledger.capnp", file=sys.stderr) or 2)
    key = trusted = digest = None
    try:
        if args.public_key:
            with open(args.public_key, "rb") as f:
                key = load_pem_public_key(f.read())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{args.public_key} is not an Ed25519 public key")
        if args.trusted_head:
            if key is None:
                raise ValueError("--trusted-head needs --public-key (to check it)")
            with open(args.trusted_head, "rb") as f:
                trusted = parse_head(json.loads(f.read()))
            if not signed_by(key, head_message(trusted), trusted["signature"]):
                raise ValueError(f"{args.trusted_head}: its signature does not verify with the key")
        if args.digest:
            m = re.fullmatch(r"(\d{1,19}):([0-9a-fA-F]{64})", args.digest)
            if not m:
                raise ValueError(f"--digest '{args.digest}' is not SEQ:HASH")
            digest = (int(m.group(1)), bytes.fromhex(m.group(2)))
    except (OSError, ValueError) as e:
        sys.exit(print(f"verify_export.py: {e}", file=sys.stderr) or 2)
    return Checker(load_schema(args.schema), key, trusted, digest)


def main(argv):
    args = options(argv)
    checker = setup(args)
    bad = None
    try:
        with open(args.file, "rb") as f:
            try:
                for raw in lines_of(f):
                    checker.feed(raw)
                checker.finish()
            except Bad as b:
                if b.problem.startswith("longer than"):
                    checker.line += 1
                bad = b
    except OSError as e:
        print(f"verify_export.py: cannot read {args.file}: {e}", file=sys.stderr)
        return 2
    signed = checker.key is not None and checker.version == 2
    result = {"intact": bad is None, "format_version": checker.version, "account": checker.account,
              "events": checker.events, "proofs_checked": checker.proofs,
              "links_checked": checker.links, "signatures_checked": bad is None and signed}
    if bad is not None:
        result.update({"bad_line": checker.line, "problem": bad.problem})
        if bad.seq is not None:
            result["bad_seq"] = bad.seq
    if args.json:
        print(json.dumps(result, sort_keys=True))
    elif bad is not None:
        where = f"line {checker.line}" + (f" (seq {bad.seq})" if bad.seq is not None else "")
        print(f"export not intact: {where}: {bad.problem}")
    else:
        print(f"export intact: account {checker.account}, {checker.events} events, "
              f"{checker.proofs} inclusion proofs, {checker.links} adjacent links"
              + ("" if signed else "; signatures NOT checked (no --public-key or version 1)"))
    return 0 if bad is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
