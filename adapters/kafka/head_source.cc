#include "adapters/kafka/head_source.h"

#include "adapters/audit/tree_head.h"
#include "adapters/json/command_json.h"

namespace mledger::kafka {

HeadSource stored_tree_heads(RocksDbEventLog& log) {
  return [&log](uint64_t after_size, uint64_t at_most_size,
                size_t max_count) -> StatusOr<std::vector<PublishedHead>> {
    auto stored = log.tree_heads_after(after_size, at_most_size, max_count);
    if (!stored.ok()) return Err{stored.error()};
    std::vector<PublishedHead> out;
    for (const std::string& bytes : *stored) {
      auto head = decode_tree_head(bytes);
      if (!head.ok()) {
        return fail(StatusCode::corruption, "a stored signed tree head after size " + std::to_string(after_size) +
                                                " does not decode: " + head.error().message());
      }
      out.push_back(PublishedHead{head->tree_size, json::dump_text(tree_head_to_json(*head))});
    }
    return out;
  };
}

}  // namespace mledger::kafka
