#!/usr/bin/env python3
"""Append-to-consumer latency of the Kafka publisher at a steady load.

Drives `mledger exec` with enrollment commands at --rate commands/s for
--seconds (one exec process per tick; the ledger's clock stamps recordedAt at
append), while `mledger publish --follow` runs beside it, and consumes the
accounts topic with isolation.level=read_committed. Latency of an event =
the time the consumer receives it - its recordedAt. Prints p50/p99/max, split
into stages by the records' CreateTimes: append->produce (the event record's
CreateTime - recordedAt), produce->commit (the CreateTime of the cursor record
that closes its transaction, produced just before the commit call - the event
record's), commit->consumer (receive time - that cursor's CreateTime: the
commit itself, then the fetch), and a text histogram of the whole.
Run by tools/bench-kafka with the venv's python (confluent-kafka, pycapnp).

usage: bench-kafka-latency.py MLEDGER LEDGER_DIR BROKERS PREFIX SCHEMA [--rate N] [--seconds N]
"""

import argparse
import bisect
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import capnp
from confluent_kafka import Consumer, TopicPartition


def enroll(n, run_id):
    a = f"lat-{run_id}-{n}"
    return ('{"command_id":"%s","type":"enroll_partner_account","account_id":"%s",'
            '"actor":{"kind":"user","account_id":"%s","user_id":"u-1"},"data":{"legal_name":'
            '"Latency Test Company %d GmbH","address":{"line1":"Hauptstrasse %d","city":"Berlin",'
            '"postal_code":"10115","country":"DE"},"phone":"0301234567","primary_contact":'
            '{"first_name":"Alice","last_name":"Meyer","email":"alice.meyer@company%d.example"}}}'
            % (a, a, a, n, n % 300, n))


def split_at_commit(events, cursors, pct):
    """produce->commit and commit->consumer, each event dated by the cursor
    record of its transaction (the first cursor with seq >= its seq)."""
    cursors.sort()
    seqs = [s for s, _ in cursors]
    to_commit, after_commit = [], []
    for seq, produced_ms, received_ms in events:
        i = bisect.bisect_left(seqs, seq)
        if i == len(seqs):
            continue
        committed_ms = cursors[i][1]
        to_commit.append(committed_ms - produced_ms)
        after_commit.append(received_ms - committed_ms)
    if not to_commit:
        print("  (no cursor record seen: no split at the commit)")
        return
    print(f"  produce->commit (to its transaction's cursor record): p50 {pct(to_commit, .5):.1f} ms, "
          f"p99 {pct(to_commit, .99):.1f} ms; commit->consumer (commit call, fetch): "
          f"p50 {pct(after_commit, .5):.1f} ms, p99 {pct(after_commit, .99):.1f} ms; "
          f"{len(cursors)} transactions")


def histogram(lat):
    """A text plot: events per latency bucket (ms, upper bounds)."""
    bounds = [5, 10, 20, 30, 50, 75, 100, 150, 250, 500, 1000, float("inf")]
    counts = [0] * len(bounds)
    for x in lat:
        counts[next(i for i, b in enumerate(bounds) if x <= b)] += 1
    width = max(counts)
    print("  histogram append->consumer (ms):")
    for b, n in zip(bounds, counts):
        label = f"<= {b:g}" if b != float("inf") else "> 1000"
        print(f"  {label:>8} {n:6d} {'#' * round(50 * n / width) if width else ''}")


def main():
    ap = argparse.ArgumentParser()
    for name in ("mledger", "ledger", "brokers", "prefix", "schema"):
        ap.add_argument(name)
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--tick-ms", type=int, default=100)
    args = ap.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(capnp.__file__)))
    schema = capnp.load(args.schema, imports=[d for d in (here, "/usr/include") if os.path.isdir(d)])

    topic = f"{args.prefix}.accounts"
    c = Consumer({"bootstrap.servers": args.brokers, "group.id": f"lat-{os.getpid()}",
                  "isolation.level": "read_committed", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 10})
    md = c.list_topics(topic, timeout=10)
    # Start at each partition's current end, resolved now (before any load),
    # so no event of the run can fall before the consumer's start.
    start = []
    for p in md.topics[topic].partitions:
        _, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
        start.append(TopicPartition(topic, p, high))
    # The publisher's cursor records (one per transaction, produced right
    # before its commit): their CreateTimes date the commits.
    cursors_topic = f"{args.prefix}.publisher-cursors"
    _, high = c.get_watermark_offsets(TopicPartition(cursors_topic, 0), timeout=10, cached=False)
    start.append(TopicPartition(cursors_topic, 0, high))
    c.assign(start)

    run_id = str(int(time.time()))
    total = args.rate * args.seconds
    per_tick = max(1, args.rate * args.tick_ms // 1000)
    done = threading.Event()

    def drive():
        with tempfile.TemporaryDirectory() as tmp:
            n = 0
            start = time.monotonic()
            tick = 0
            while n < total:
                path = os.path.join(tmp, "batch.jsonl")
                with open(path, "w") as f:
                    for _ in range(min(per_tick, total - n)):
                        f.write(enroll(n, run_id) + "\n")
                        n += 1
                subprocess.run([args.mledger, "exec", "--data", args.ledger, path],
                               stdout=subprocess.DEVNULL, check=True)
                tick += 1
                delay = start + tick * args.tick_ms / 1000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        done.set()

    driver = threading.Thread(target=drive)
    driver.start()
    lat, to_producer, via_kafka = [], [], []
    events = []   # (seq, produced_ms, received_ms)
    cursors = []  # (seq, produced_ms)
    deadline = None
    while len(lat) < total:
        if done.is_set() and deadline is None:
            deadline = time.time() + 30
        if deadline and time.time() > deadline:
            break
        m = c.poll(0.05)
        if m is None or m.error():
            continue
        now_us = time.time() * 1e6
        if m.topic() == cursors_topic:
            cursors.append((json.loads(m.value())["seq"], m.timestamp()[1]))
            continue
        with schema.Envelope.from_bytes(m.value()) as env:
            body = bytes(env.body)
        ev = schema.EventBody.from_segments([body])
        if ev.type == "PartnerAccountEnrolled" and ev.commandId.startswith(f"lat-{run_id}-"):
            lat.append((now_us - ev.recordedAtMicros) / 1000.0)
            # The record's CreateTime is when the publisher produced it: splits
            # the latency into ledger->publisher and Kafka (commit + fetch).
            produced_ms = m.timestamp()[1]
            to_producer.append(produced_ms - ev.recordedAtMicros / 1000.0)
            via_kafka.append(now_us / 1000.0 - produced_ms)
            events.append((ev.seq, produced_ms, now_us / 1000.0))
    driver.join()
    c.close()
    if len(lat) < total:
        print(f"latency: {total - len(lat)} events not received within 30 s after the load", file=sys.stderr)
    if not lat:
        print("latency: no events received", file=sys.stderr)
        return 1
    def pct(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]
    print(f"latency append->read_committed consumer at {args.rate} events/s for {args.seconds} s: "
          f"{len(lat)} of {total} events, p50 {pct(lat, .5):.1f} ms, p99 {pct(lat, .99):.1f} ms, "
          f"max {max(lat):.1f} ms")
    print(f"  of which append->produce (publisher sees and sends it): p50 {pct(to_producer, .5):.1f} ms, "
          f"p99 {pct(to_producer, .99):.1f} ms; produce->consumer (commit, fetch): "
          f"p50 {pct(via_kafka, .5):.1f} ms, p99 {pct(via_kafka, .99):.1f} ms")
    split_at_commit(events, cursors, pct)
    histogram(lat)
    return 0 if len(lat) == total else 1


if __name__ == "__main__":
    sys.exit(main())
