#include "tools/mledger/publisher_metrics.h"

namespace mledger::cli {

kafka::PublisherOptions with_latency_metrics(kafka::PublisherOptions options, http::Metrics& metrics) {
  auto& to_produce = metrics.histogram("mledger_publish_append_to_produce_seconds",
                                       "Per published event: from its append (recorded-at) to the publisher's produce",
                                       {}, http::latency_buckets_seconds());
  auto& to_commit = metrics.histogram("mledger_publish_produce_to_commit_seconds",
                                      "Per published event: from its produce to its Kafka transaction's commit", {},
                                      http::latency_buckets_seconds());
  options.on_committed = [&produced = to_produce.at({}), &committed = to_commit.at({})](
                             const kafka::CommittedLatencies& l) {
    for (double s : l.append_to_produce_seconds) produced.observe(s);
    for (double s : l.produce_to_commit_seconds) committed.observe(s);
  };
  return options;
}

}  // namespace mledger::cli
