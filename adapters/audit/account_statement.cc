#include "adapters/audit/account_statement.h"

namespace mledger {

namespace {

constexpr std::string_view kStatementMagic("mledger-account-events-v1\0", 26);

void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string account_statement_message(const TreeHead& head, std::string_view account, uint64_t events,
                                      const Hash256& events_digest) {
  std::string out(kStatementMagic);
  out += head.ledger_id;
  put_be64(out, head.tree_size);
  out += as_bytes(head.root_hash);
  put_be64(out, account.size());
  out += account;
  put_be64(out, events);
  out += as_bytes(events_digest);
  return out;
}

void AccountEventsDigest::add(uint64_t seq, const Hash256& hash) {
  std::string bytes;
  put_be64(bytes, seq);
  sha_.update(bytes);
  sha_.update(as_bytes(hash));
}

}  // namespace mledger
