#!/usr/bin/env python3
"""A downstream consumer of mledger's Kafka topics, in Python.

Decodes each record with nothing but the published schema (`mledger schema`
or share/mledger/mledger.capnp): the record value is an `Envelope`; its `body`
is one `EventBody` as a single canonical segment; the chain link is
hash = SHA-256(prevHash || body). Reads with isolation.level=read_committed,
so it sees each event exactly once (docs/kafka.md), and prints one JSON line
per event.

    mledger schema > mledger.capnp
    python3 mledger_consumer.py --brokers 127.0.0.1:9092 --schema mledger.capnp \
        --from-beginning --until-end

Without --group it assigns every partition itself (no consumer group, no
committed offsets); with --group it joins that consumer group and commits
offsets after printing (at-least-once delivery to this script: deduplicate on
`seq` if you need exactly once downstream).
"""

import argparse
import hashlib
import json
import os
import sys
import time
import uuid

import capnp  # pycapnp
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

TOPICS = ["accounts", "orders", "keys", "benefits", "merges", "catalogue"]


def load_schema(path):
    """Loads mledger.capnp. It imports /capnp/c++.capnp (a C++ namespace
    annotation), which pycapnp ships inside its package; system include dirs
    (libcapnp-dev) are searched too."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(capnp.__file__)))
    imports = [d for d in (here, "/usr/include", "/usr/local/include") if os.path.isdir(d)]
    return capnp.load(path, imports=imports)


def decode(schema, value):
    """The event in a record value, its hash checked; raises ValueError."""
    with schema.Envelope.from_bytes(value) as env:
        prev, digest, body = bytes(env.prevHash), bytes(env.hash), bytes(env.body)
    if hashlib.sha256(prev + body).digest() != digest:
        raise ValueError("hash does not match the body")
    ev = schema.EventBody.from_segments([body])
    payload_kind = ev.payload.which()
    return {
        "seq": ev.seq,
        "stream": ev.stream,
        "version": ev.version,
        "event_id": ev.eventId,
        "type": ev.type,
        "schema_version": ev.schemaVersion,
        "recorded_at_micros": ev.recordedAtMicros,
        "command_id": ev.commandId,
        "account_ids": list(ev.accountIds),
        "payload_member": str(payload_kind),
        "prev_hash": prev.hex(),
        "hash": digest.hex(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--schema", required=True, help="mledger.capnp (from `mledger schema`)")
    ap.add_argument("--topic-prefix", default="mledger")
    ap.add_argument("--topic", action="append", help="a topic (repeatable); default: every event topic")
    ap.add_argument("--group", help="join this consumer group instead of assigning partitions")
    ap.add_argument("--from-beginning", action="store_true")
    ap.add_argument("--until-end", action="store_true", help="exit once every partition is read to its end")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the end (--until-end)")
    args = ap.parse_args()

    schema = load_schema(args.schema)
    topics = args.topic or [f"{args.topic_prefix}.{t}" for t in TOPICS]
    conf = {
        "bootstrap.servers": args.brokers,
        "group.id": args.group or f"mledger-py-{uuid.uuid4()}",
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
    }
    consumer = Consumer(conf)
    partitions = []
    if args.group:
        consumer.subscribe(topics)
    else:
        md = consumer.list_topics(timeout=10)
        for t in topics:
            if t not in md.topics or md.topics[t].error is not None:
                print(f"mledger_consumer: topic {t} does not exist", file=sys.stderr)
                return 2
            for p in md.topics[t].partitions:
                partitions.append(TopicPartition(t, p, OFFSET_BEGINNING if args.from_beginning else OFFSET_END))
        consumer.assign(partitions)

    at_end = set()
    bad = 0
    deadline = time.monotonic() + args.timeout
    try:
        while True:
            if args.until_end and partitions and len(at_end) == len(partitions):
                break
            if args.until_end and time.monotonic() > deadline:
                print("mledger_consumer: did not reach the end in time", file=sys.stderr)
                return 3
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add((msg.topic(), msg.partition()))
                    continue
                print(f"mledger_consumer: {msg.error()}", file=sys.stderr)
                continue
            at_end.discard((msg.topic(), msg.partition()))
            try:
                event = decode(schema, msg.value())
            except Exception as e:  # a record that is not an mledger envelope
                bad += 1
                print(f"mledger_consumer: {msg.topic()}[{msg.partition()}]@{msg.offset()}: {e}", file=sys.stderr)
                continue
            headers = {k: (v.decode() if v is not None else None) for k, v in (msg.headers() or [])}
            line = {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
                    "key": msg.key().decode() if msg.key() else None, "headers": headers, "event": event}
            print(json.dumps(line, sort_keys=True), flush=False)
            if args.group:
                consumer.commit(message=msg, asynchronous=True)
    finally:
        sys.stdout.flush()
        consumer.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
