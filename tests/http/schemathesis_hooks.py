"""Schemathesis hooks for tests/http/schemathesis_check.py (SCHEMATHESIS_HOOKS).

- ledger_digest_moves_only_on_writes, a check: after every answer the
  ledger's digest (GET /v1/digest with an auditor's token) is read again; it
  may move only on a 2xx answer of POST /v1/commands or POST /v1/tick. Every
  refused request (4xx, 5xx, a rejection) leaves the ledger as it was.
  Violations are also appended to $MLEDGER_ST_VIOLATIONS, which the driver
  reads at the end.
- Generated commands sent with a partner user's token name that user as
  their actor and its account as their target ($MLEDGER_ST_ACTOR), so that
  some pass the API's edge and reach the ledger's rules.
- A `min_seq` beyond the log's head would only wait for --read-wait-ms and
  answer 503 projections_behind (docs/api.md): it is lowered to the head.
"""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["MLEDGER_ST_BASE"]
AUDITOR = os.environ["MLEDGER_ST_AUDITOR"]
ACTOR = json.loads(os.environ.get("MLEDGER_ST_ACTOR") or "null")
VIOLATIONS = os.environ["MLEDGER_ST_VIOLATIONS"]
WRITES = {("POST", "/v1/commands"), ("POST", "/v1/tick")}



def read_digest():
    request = urllib.request.Request(BASE + "/v1/digest", headers={"Authorization": "Bearer " + AUDITOR})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)


_state = {"digest": read_digest(), "flagged": {}}  # before the first request


@schemathesis.hook
def before_call(context, case, kwargs):
    """Every phase's requests pass here (map_query misses the coverage phase's)."""
    query = case.query
    if not isinstance(query, dict) or "min_seq" not in query:
        return
    text = str(query["min_seq"])
    if text.isascii() and text.isdigit() and len(text) <= 19:
        head = read_digest()["seq"]
        if int(text) > head:
            query["min_seq"] = head


def as_actor(command):
    if isinstance(command, dict) and isinstance(command.get("type"), str):
        command["actor"] = dict(ACTOR)
        if "account_id" in command:
            command["account_id"] = ACTOR["account_id"]
    return command


@schemathesis.hook
def map_body(context, body):
    if ACTOR is None or context.operation is None or context.operation.path != "/v1/commands":
        return body
    if isinstance(body, list):
        return [as_actor(c) for c in body]
    return as_actor(body)


@schemathesis.hook
def after_call(context, case, response):
    after = read_digest()
    before = _state["digest"]
    _state["digest"] = after
    writes = (case.method.upper(), case.operation.path) in WRITES and 200 <= response.status_code < 300
    if after != before and not writes:
        message = (f"the ledger's digest moved from {before} to {after} on a {response.status_code} "
                   f"answer of {case.method.upper()} {case.formatted_path}")
        _state["flagged"][id(response)] = message
        with open(VIOLATIONS, "a", encoding="utf-8") as f:
            f.write(message + "\n")


@schemathesis.check
def ledger_digest_moves_only_on_writes(ctx, response, case):
    message = _state["flagged"].get(id(response))
    if message is not None:
        raise AssertionError(message)
