#!/usr/bin/env python3
"""Append-to-consumer latency of the Kafka publisher beside `mledger serve`.

Drives a running `mledger serve` with `mledger bench http` (add_user
commands, paced: request i is sent at start + i/R, whatever the answers
before it; above 500 events/s, R = 500 requests/s of rate/500 commands each,
as a busy service's clients send batches) for --seconds, while the server's publisher (in-process,
`serve --brokers`) or a separate `mledger publish --follow` publishes, and
times every event of the run from its append to a read_committed consumer,
split into four stages by timestamps each taken once:

  append->produce   the event record's CreateTime (set by librdkafka when the
                    publisher produces it) - the event's recordedAt (the
                    server's clock at append; it includes the durable write)
  produce->close    the CreateTime of the cursor record that closes the
                    event's transaction (produced just before the commit
                    call) - the event record's: the rest of its transaction
  close->on broker  when a read_uncommitted consumer receives that cursor
                    record - its CreateTime: linger, send, append, a fetch
  on broker->read_committed  when the read_committed consumer receives the
                    event - when the read_uncommitted one received its
                    cursor: the commit (EndTxn, markers, the partition's
                    last stable offset) as a consumer sees it

Prints p50/p99/max per stage and of the whole, a text histogram of the
whole, what the slowest 1% spent in each stage, the broker's GC pauses during
the load (from its GC log, --gc-log) and the CPU each process used (--pids).
The clocks are one machine's. Run by tools/bench-kafka with the venv's python
(confluent-kafka, pycapnp).

usage: bench-kafka-latency.py MLEDGER BROKERS PREFIX SCHEMA --url URL --key-file FILE
         [--rate N] [--seconds N] [--accounts N] [--clients N] [--label TEXT]
         [--gc-log FILE] [--pids NAME=PID,...]
"""

import argparse
import bisect
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime

import capnp
from confluent_kafka import Consumer, TopicPartition

STAGES = ("append->produce", "produce->close", "close->on broker", "on broker->read_committed")
WAIT_AFTER_LOAD_S = 30
REQUESTS_PER_S_MAX = 500  # above: commands in batches
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def consumer_at_end(brokers, topics, committed):
    """A consumer assigned to every partition of `topics` at its current end,
    resolved now, so no record of the run falls before its start."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"lat-{os.getpid()}-{committed}",
                  "isolation.level": "read_committed" if committed else "read_uncommitted",
                  "enable.auto.commit": False, "fetch.wait.max.ms": 10})
    start = []
    for topic in topics:
        md = c.list_topics(topic, timeout=10)
        for p in md.topics[topic].partitions:
            _, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            start.append(TopicPartition(topic, p, high))
    c.assign(start)
    return c


class Received:
    """What the two consumers saw, filled by their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = {}            # seq -> (recorded_ms, created_ms, received_ms)
        self.cursors = {}           # seq -> created_ms (the cursor record's CreateTime)
        self.cursor_on_broker = {}  # seq -> when the read_uncommitted consumer received it
        self.stop = threading.Event()


def consume_committed(c, schema, prefix, run_id, got):
    cursors_topic = f"{prefix}.publisher-cursors"
    while not got.stop.is_set():
        m = c.poll(0.05)
        if m is None or m.error():
            continue
        now_ms = time.time() * 1000.0
        if m.topic() == cursors_topic:
            with got.lock:
                got.cursors[json.loads(m.value())["seq"]] = m.timestamp()[1]
            continue
        with schema.Envelope.from_bytes(m.value()) as env:
            body = bytes(env.body)
        ev = schema.EventBody.from_segments([body])
        if ev.commandId.startswith(f"bench-{run_id}-"):
            with got.lock:
                got.events[ev.seq] = (ev.recordedAtMicros / 1000.0, m.timestamp()[1], now_ms)
    c.close()


def consume_uncommitted(c, got):
    while not got.stop.is_set():
        m = c.poll(0.05)
        if m is None or m.error():
            continue
        now_ms = time.time() * 1000.0
        with got.lock:
            got.cursor_on_broker.setdefault(json.loads(m.value())["seq"], now_ms)
    c.close()


def cpu_seconds(pids):
    out = {}
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        except (OSError, IndexError, ValueError):
            out[name] = None
    return out


def gc_pauses(path, t0_ms, t1_ms):
    """(end_ms, pause_ms) of every GC pause the log dates in [t0, t1]."""
    pauses = []
    if not path or not os.path.exists(path):
        return pauses
    line_re = re.compile(r"^\[(\d{4}-\d\d-\d\dT[\d:.]+)([+-]\d{4})\].*Pause.* ([\d.]+)ms$")
    with open(path, errors="replace") as f:
        for line in f:
            m = line_re.match(line.strip())
            if not m:
                continue
            at = datetime.strptime(m.group(1) + m.group(2), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000.0
            if t0_ms <= at <= t1_ms:
                pauses.append((at, float(m.group(3))))
    return pauses


def stages_of(got):
    """Per event of the run: (whole, [four stages]); events whose cursor was
    not seen by both consumers are counted apart."""
    cursor_seqs = sorted(got.cursors)
    rows, unsplit = [], 0
    for seq, (recorded, created, received) in sorted(got.events.items()):
        whole = received - recorded
        i = bisect.bisect_left(cursor_seqs, seq)
        closing = cursor_seqs[i] if i < len(cursor_seqs) else None
        if closing is None or closing not in got.cursor_on_broker:
            unsplit += 1
            rows.append((whole, None, recorded, received))
            continue
        closed, on_broker = got.cursors[closing], got.cursor_on_broker[closing]
        rows.append((whole, [created - recorded, closed - created, on_broker - closed, received - on_broker],
                     recorded, received))
    return rows, unsplit


def histogram(lat):
    bounds = [5, 10, 20, 30, 50, 75, 100, 150, 250, 500, 1000, float("inf")]
    counts = [0] * len(bounds)
    for x in lat:
        counts[next(i for i, b in enumerate(bounds) if x <= b)] += 1
    width = max(counts)
    print("  histogram of append->read_committed (ms, events):")
    for b, n in zip(bounds, counts):
        label = f"<= {b:g}" if b != float("inf") else "> 1000"
        print(f"  {label:>8} {n:7d} {'#' * round(50 * n / width) if width else ''}")


def report(args, total, rows, unsplit, load, gc, cpu0, cpu1, elapsed_s, load_avg):
    whole = [r[0] for r in rows]
    print(f"== latency, {args.label}, {args.rate} events/s for {args.seconds} s: {len(rows)} of {total} "
          f"events; load average {load_avg}")
    if load:
        print(f"  load generator: {load.get('requests_per_s', 0):,.0f} requests/s of {load.get('batch', 1)} "
              f"commands sent, HTTP answer "
              f"p50 {load.get('p50_ms', 0):.1f} ms, p99 {load.get('p99_ms', 0):.1f} ms, "
              f"max {load.get('max_ms', 0):.1f} ms (from each request's scheduled time); "
              f"{load.get('accepted', 0)} accepted, {load.get('rejected', 0)} rejected, {load.get('failed', 0)} failed")
    print(f"  {'stage':<28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    split = [r[1] for r in rows if r[1] is not None]
    for k, name in enumerate(STAGES):
        xs = [s[k] for s in split]
        print(f"  {name:<28} {pct(xs, .5):8.1f} {pct(xs, .99):8.1f} {max(xs, default=float('nan')):8.1f}")
    print(f"  {'append->read_committed':<28} {pct(whole, .5):8.1f} {pct(whole, .99):8.1f} "
          f"{max(whole, default=float('nan')):8.1f}")
    if unsplit:
        print(f"  ({unsplit} events not split: their transaction's cursor was not seen by both consumers)")
    p99 = pct(whole, .99)
    slow = [r[1] for r in rows if r[0] >= p99 and r[1] is not None]
    if slow:
        means = [sum(s[k] for s in slow) / len(slow) for k in range(len(STAGES))]
        print(f"  the slowest 1% ({len(slow)} events, >= {p99:.1f} ms) spent on average: " +
              ", ".join(f"{n} {m:.1f} ms" for n, m in zip(STAGES, means)))
    if args.gc_log:
        in_gc = sum(1 for r in rows if r[0] >= p99 and any(r[2] <= end and end - ms <= r[3] for end, ms in gc))
        print(f"  broker GC pauses during the load: {len(gc)}, total {sum(ms for _, ms in gc):.1f} ms, "
              f"max {max((ms for _, ms in gc), default=0):.1f} ms; the slowest 1% overlapping one: {in_gc}")
    busy = [f"{n} {(cpu1[n] - cpu0[n]) / elapsed_s:.2f}" for n in cpu0 if cpu0[n] is not None and cpu1.get(n) is not None]
    if busy:
        print(f"  CPU used (cores, of 2) during the load: {', '.join(busy)}")
    histogram(whole)


def main():
    ap = argparse.ArgumentParser()
    for name in ("mledger", "brokers", "prefix", "schema"):
        ap.add_argument(name)
    ap.add_argument("--url", required=True)
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--label", default="")
    ap.add_argument("--gc-log")
    ap.add_argument("--pids", default="", help="NAME=PID,... whose CPU time to report")
    args = ap.parse_args()
    if not 1 <= args.rate <= 100000 or not 1 <= args.seconds <= 3600:
        sys.exit("bench-kafka-latency: --rate 1..100000 and --seconds 1..3600")
    here = os.path.dirname(os.path.dirname(os.path.abspath(capnp.__file__)))
    schema = capnp.load(args.schema, imports=[d for d in (here, "/usr/include") if os.path.isdir(d)])
    pids = dict(p.split("=", 1) for p in args.pids.split(",") if p)

    got = Received()
    cursors_topic = f"{args.prefix}.publisher-cursors"
    committed = consumer_at_end(args.brokers, [f"{args.prefix}.accounts", cursors_topic], True)
    uncommitted = consumer_at_end(args.brokers, [cursors_topic], False)
    run_id = f"lat{os.getpid()}x{int(time.time())}"
    threads = [threading.Thread(target=consume_committed, args=(committed, schema, args.prefix, run_id, got)),
               threading.Thread(target=consume_uncommitted, args=(uncommitted, got))]
    for t in threads:
        t.start()
    time.sleep(1.0)  # both consumers fetching before the first event

    batch = max(1, args.rate // REQUESTS_PER_S_MAX)
    total = args.rate // batch * batch * args.seconds
    cpu0, t0 = cpu_seconds(pids), time.time()
    load = subprocess.run([args.mledger, "bench", "http", "--url", args.url, "--key-file", args.key_file,
                           "--accounts", str(args.accounts), "--clients", str(args.clients),
                           "--requests", str(total // batch), "--rate", str(args.rate // batch),
                           "--batch", str(batch), "--run", run_id],
                          stdout=subprocess.PIPE, text=True)
    cpu1, t1 = cpu_seconds(pids), time.time()
    load_avg = open("/proc/loadavg").read().split()[0]
    deadline = time.time() + WAIT_AFTER_LOAD_S
    while time.time() < deadline:
        with got.lock:
            if len(got.events) >= total and max(got.events) <= max(got.cursor_on_broker, default=0):
                break
        time.sleep(0.1)
    time.sleep(0.5)  # the closing cursors
    got.stop.set()
    for t in threads:
        t.join()
    try:
        load_json = json.loads(load.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        load_json = None
    rows, unsplit = stages_of(got)
    if not rows:
        print(f"latency ({args.label}): no events received", file=sys.stderr)
        return 1
    report(args, total, rows, unsplit, load_json, gc_pauses(args.gc_log, t0 * 1000, time.time() * 1000),
           cpu0, cpu1, t1 - t0, load_avg)
    if load.returncode != 0 or len(rows) < total:
        print(f"latency ({args.label}): {total - len(rows)} events not received within {WAIT_AFTER_LOAD_S} s "
              f"after the load, or the load generator failed (exit {load.returncode})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
