#pragma once
// The Kafka publisher's source of signed tree heads (kafka_publisher.h,
// HeadSource): the heads `log` keeps (its tree_heads family), decoded and
// printed as `mledger audit tree-head --json` prints them.

#include "adapters/kafka/kafka_publisher.h"
#include "adapters/rocksdb/rocksdb_event_log.h"

namespace mledger::kafka {

// `log` must outlive the source. A stored head that does not decode fails
// with `corruption` naming its size.
HeadSource stored_tree_heads(RocksDbEventLog& log);

}  // namespace mledger::kafka
