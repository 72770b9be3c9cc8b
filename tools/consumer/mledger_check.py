#!/usr/bin/env python3
"""An outsider's check of mledger's Kafka topics: reads every event topic of
a prefix to its end with isolation.level=read_committed (confluent-kafka),
decodes each record with only the published schema (pycapnp), and checks
what docs/kafka.md promises a consumer:

  exactly once   every seq from 1 to the highest seen appears once (no
                 duplicate, no gap); with --expect-head N the highest is N
  order          within each partition, the events of one key (partner
                 account) come in increasing seq order, and each stream's
                 versions rise by one in seq order
  chain          each envelope's hash is SHA-256(prevHash || body), event
                 1's prevHash is zeros and event n's prevHash is event
                 n-1's hash, although the two are on different topics

Prints one JSON line, e.g. {"events": 94, "head": 94, "duplicates": 0,
"missing": 0, "order_violations": 0, "chain_breaks": 0, "ok": true}, and a
few problems on stderr; exits 0 when everything holds, 1 otherwise, 2 on
bad usage (a topic missing).

    mledger schema > mledger.capnp
    python3 mledger_check.py --brokers 127.0.0.1:9092 --schema mledger.capnp [--expect-head N]
"""

import argparse
import hashlib
import json
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

import mledger_consumer  # beside this file: load_schema

TOPICS = mledger_consumer.TOPICS + ["other"]
ZEROS = bytes(32)


class Checker:
    """Takes records in each partition's order; judge() once all are in."""

    def __init__(self, schema):
        self.schema = schema
        self.links = {}         # seq -> (prevHash, hash, stream, version)
        self.duplicates = 0
        self.order_violations = 0
        self.bad_hashes = 0
        self.last_of_key = {}   # (topic, partition, key) -> last seq
        self.problems = []

    def problem(self, text):
        if len(self.problems) < 20:
            self.problems.append(text)

    def add(self, topic, partition, key, value):
        with self.schema.Envelope.from_bytes(value) as env:
            prev, digest, body = bytes(env.prevHash), bytes(env.hash), bytes(env.body)
        event = self.schema.EventBody.from_segments([body])
        seq = event.seq
        if hashlib.sha256(prev + body).digest() != digest:
            self.bad_hashes += 1
            self.problem(f"event {seq}: hash is not SHA-256(prevHash || body)")
        if seq in self.links:
            self.duplicates += 1
            self.problem(f"event {seq} seen twice")
            return
        self.links[seq] = (prev, digest, event.stream, event.version)
        where = (topic, partition, key)
        last = self.last_of_key.get(where, 0)
        if seq <= last:
            self.order_violations += 1
            self.problem(f"{topic}[{partition}] key {key}: event {seq} after event {last}")
        self.last_of_key[where] = max(last, seq)

    def judge(self, expect_head):
        head = max(self.links, default=0)
        if expect_head is not None and head != expect_head:
            self.problem(f"the highest seq is {head}, expected {expect_head}")
            head = max(head, expect_head)
        missing = [s for s in range(1, head + 1) if s not in self.links]
        for s in missing[:5]:
            self.problem(f"event {s} missing")
        chain_breaks = self.bad_hashes
        stream_version = {}
        prev_hash = ZEROS
        for seq in range(1, head + 1):
            link = self.links.get(seq)
            if link is None:
                prev_hash = None
                continue
            prev, digest, stream, version = link
            if prev_hash is not None and prev != prev_hash:
                chain_breaks += 1
                self.problem(f"event {seq}: prevHash is not event {seq - 1}'s hash")
            prev_hash = digest
            want = stream_version.get(stream, 0) + 1
            if version != want:
                self.order_violations += 1
                self.problem(f"stream {stream}: version {version} at event {seq}, expected {want}")
            stream_version[stream] = version
        ok = not (self.duplicates or missing or self.order_violations or chain_breaks) and head > 0
        return {"events": len(self.links), "head": head, "duplicates": self.duplicates,
                "missing": len(missing), "order_violations": self.order_violations,
                "chain_breaks": chain_breaks, "streams": len(stream_version),
                "keys": len({k[2] for k in self.last_of_key}), "ok": ok}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--schema", required=True, help="mledger.capnp (from `mledger schema`)")
    ap.add_argument("--topic-prefix", default="mledger")
    ap.add_argument("--expect-head", type=int, help="the ledger's head seq (mledger digest)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to read every topic to its end")
    args = ap.parse_args()

    checker = Checker(mledger_consumer.load_schema(args.schema))
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": f"mledger-check-{uuid.uuid4()}",
                         "isolation.level": "read_committed", "enable.partition.eof": True,
                         "enable.auto.commit": False})
    md = consumer.list_topics(timeout=10)
    parts = []
    for t in (f"{args.topic_prefix}.{s}" for s in TOPICS):
        if t not in md.topics or md.topics[t].error is not None:
            print(f"mledger_check: topic {t} does not exist", file=sys.stderr)
            return 2
        parts += [TopicPartition(t, p, OFFSET_BEGINNING) for p in md.topics[t].partitions]
    consumer.assign(parts)
    open_parts = {(tp.topic, tp.partition) for tp in parts}
    deadline = time.monotonic() + args.timeout
    try:
        while open_parts and time.monotonic() < deadline:
            for msg in consumer.consume(10000, 0.5):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        open_parts.discard((msg.topic(), msg.partition()))
                    else:
                        checker.problem(f"consumer: {msg.error()}")
                    continue
                key = msg.key().decode() if msg.key() else ""
                checker.add(msg.topic(), msg.partition(), key, msg.value())
    finally:
        consumer.close()
    if open_parts:
        checker.problem(f"{len(open_parts)} partitions not read to their end in {args.timeout:.0f} s")
    result = checker.judge(args.expect_head)
    result["ok"] = result["ok"] and not open_parts
    print(json.dumps(result, sort_keys=True))
    for p in checker.problems:
        print("mledger_check:", p, file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
