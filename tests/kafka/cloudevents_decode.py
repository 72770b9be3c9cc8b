#!/usr/bin/env python3
"""Run by python_consumer_check.py in the venv of tools/python-env: reads
every event topic of a prefix to its end (read_committed) and decodes each
record with the CloudEvents Python SDK's Kafka binding (binary content mode),
then checks that the event is a valid CloudEvent whose attributes say what
the record's body says: ce_source an absolute URI, the extension attributes
mledgerseq, mledgerstream and mledgerversion kept by the SDK and equal to the
body's seq, stream and version, the Kafka key as partitionkey, the envelope
as data. Prints one JSON object: {"events": N, "seqs": [...], "failures": [...]}.

usage: cloudevents_decode.py BROKERS SCHEMA TOPIC_PREFIX CONSUMER_DIR
"""

import json
import re
import sys
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

TOPICS = ["accounts", "orders", "keys", "benefits", "merges", "catalogue"]


def check_event(ce, record, body, failures):
    where = f"{record.topic()}[{record.partition()}]@{record.offset()}"

    def expect(what, got, want):
        if got != want:
            failures.append(f"{where}: {what} is {got!r}, expected {want!r}")

    source = ce.get_source()
    parts = urlsplit(source)
    if not parts.scheme or not re.fullmatch(r"urn:mledger:[0-9a-f]{16}", source):
        failures.append(f"{where}: source {source!r} is not an absolute urn:mledger: URI")
    expect("specversion", ce.get_specversion(), "1.0")
    expect("id", ce.get_id(), body["event_id"])
    expect("type", ce.get_type(), "mledger." + body["type"])
    expect("datacontenttype", ce.get_datacontenttype(), "application/vnd.mledger.envelope+capnp")
    micros = body["recorded_at_micros"]
    want_time = datetime.fromtimestamp(micros // 10**6, tz=timezone.utc).replace(microsecond=micros % 10**6)
    expect("time", ce.get_time(), want_time)
    expect("extension mledgerseq", ce.get_extension("mledgerseq"), str(body["seq"]))
    expect("extension mledgerstream", ce.get_extension("mledgerstream"), body["stream"])
    expect("extension mledgerversion", ce.get_extension("mledgerversion"), str(body["version"]))
    expect("extension partitionkey", ce.get_extension("partitionkey"), record.key().decode())
    # The SDK's JSON format hands over bytes that are not UTF-8 as they are.
    data = ce.get_data()
    expect("data", data.encode() if isinstance(data, str) else data, record.value())
    # Only ce_* headers become attributes: the mledger_* headers are not kept.
    expect("extension mledger_seq", ce.get_extension("mledger_seq"), None)


def main():
    brokers, schema_path, prefix, consumer_dir = sys.argv[1:5]
    sys.path.insert(0, consumer_dir)
    import mledger_consumer  # tools/consumer: the body decoder

    schema = mledger_consumer.load_schema(schema_path)
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "cloudevents-check",
                         "isolation.level": "read_committed", "enable.partition.eof": True,
                         "enable.auto.commit": False})
    md = consumer.list_topics(timeout=10)
    parts = [TopicPartition(f"{prefix}.{t}", p, OFFSET_BEGINNING)
             for t in TOPICS for p in md.topics[f"{prefix}.{t}"].partitions]
    consumer.assign(parts)
    open_parts = {(tp.topic, tp.partition) for tp in parts}
    seqs, failures = [], []
    deadline = time.monotonic() + 120
    while open_parts and time.monotonic() < deadline:
        record = consumer.poll(0.5)
        if record is None:
            continue
        if record.error():
            if record.error().code() == KafkaError._PARTITION_EOF:
                open_parts.discard((record.topic(), record.partition()))
            else:
                failures.append(str(record.error()))
            continue
        headers = {k: v for k, v in (record.headers() or [])}
        ce = from_binary(KafkaMessage(headers=headers, key=record.key(), value=record.value()), JSONFormat())
        body = mledger_consumer.decode(schema, record.value())
        check_event(ce, record, body, failures)
        seqs.append(body["seq"])
    consumer.close()
    if open_parts:
        failures.append(f"{len(open_parts)} partitions not read to their end in 120 s")
    print(json.dumps({"events": len(seqs), "seqs": seqs, "failures": failures[:20]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
