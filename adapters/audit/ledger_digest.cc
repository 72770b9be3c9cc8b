#include "adapters/audit/ledger_digest.h"

#include <string>

#include "adapters/capnp/event_codec.h"

namespace mledger {

StatusOr<LogDigest> digest_at(RocksDbEventLog& log, std::optional<uint64_t> seq) {
  auto head = log.digest();
  if (!head.ok() || !seq) return head;
  if (*seq == 0 || *seq > head->seq) {
    return fail(StatusCode::not_found, "the ledger has no event " + std::to_string(*seq) +
                                           " (its last is " + std::to_string(head->seq) + ")");
  }
  auto envelope = log.read_envelope(*seq);
  if (!envelope.ok()) return Err{envelope.error()};
  auto link = codec::open_link(*envelope);
  if (!link.ok() || link->seq != *seq) {
    return fail(StatusCode::corruption,
                "event " + std::to_string(*seq) + " is corrupt: " +
                    (link.ok() ? std::string("it says another seq") : link.error().message()) +
                    " (run mledger verify)");
  }
  return LogDigest{*seq, link->hash};
}

}  // namespace mledger
