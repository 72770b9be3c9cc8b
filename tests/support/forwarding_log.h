#pragma once
// An EventLog that forwards every call to another: tests derive from it and
// override the one call they make late, slow or failing.

#include "domain/ports/event_log.h"

namespace mledger::testing {

class ForwardingLog : public EventLog {
 public:
  explicit ForwardingLog(EventLog& inner) : inner_(inner) {}

  StatusOr<std::vector<AppendOutcome>> append_batch(std::span<const AppendRequest> r) override {
    return inner_.append_batch(r);
  }
  StatusOr<std::vector<RecordedEvent>> read_stream(std::string_view s, uint64_t from, size_t max) override {
    return inner_.read_stream(s, from, max);
  }
  StatusOr<std::vector<RecordedEvent>> read_global(uint64_t from, size_t max) override {
    return inner_.read_global(from, max);
  }
  StatusOr<std::vector<RecordedEvent>> read_account(std::string_view a, uint64_t from, size_t max) override {
    return inner_.read_account(a, from, max);
  }
  StatusOr<uint64_t> stream_version(std::string_view s) override { return inner_.stream_version(s); }
  StatusOr<std::vector<std::string>> list_streams(std::string_view p, std::string_view after,
                                                  size_t max) override {
    return inner_.list_streams(p, after, max);
  }
  StatusOr<std::optional<AppendOutcome>> find_command(std::string_view scope,
                                                      std::string_view id) override {
    return inner_.find_command(scope, id);
  }
  StatusOr<LogDigest> digest() override { return inner_.digest(); }
  StatusOr<ChainReport> verify_chain(const std::function<void(uint64_t)>& p) override {
    return inner_.verify_chain(p);
  }
  Status scan_envelopes(uint64_t from, const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.scan_envelopes(from, fn);
  }
  Status catch_up() override { return inner_.catch_up(); }
  StatusOr<uint64_t> tree_size() override { return inner_.tree_size(); }
  StatusOr<Hash256> tree_node(unsigned level, uint64_t index) override {
    return inner_.tree_node(level, index);
  }

 protected:
  EventLog& inner_;
};

}  // namespace mledger::testing
