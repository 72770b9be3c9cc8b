#pragma once
// The Kafka publisher's metrics, the same in `mledger serve --brokers` and in
// `mledger publish --follow --metrics-listen` (docs/kafka.md, "Latency").

#include "adapters/http/metrics.h"
#include "adapters/kafka/kafka_publisher.h"

namespace mledger::cli {

// `options` with each committed event's first stages observed as the
// histograms mledger_publish_append_to_produce_seconds and
// mledger_publish_produce_to_commit_seconds of `metrics`, which must outlive
// the publisher.
kafka::PublisherOptions with_latency_metrics(kafka::PublisherOptions options, http::Metrics& metrics);

}  // namespace mledger::cli
