// every_event_export DIR: a ledger in DIR/ledger holding one event of every
// event type, each with every field set (tests/support/fill.h), all
// concerning account "every" on its stream; a tree head signed with a new
// key (DIR/ledger/tree-head-key.pem); the account's export (format 2) in
// DIR/every.jsonl and the public key in DIR/ledger.pem. The export verifier
// test (export_verifier_check.py) checks that the reference verifier reads
// every event type's sealed bytes as `audit check` does. Exit 0 after
// writing; 1 naming what failed.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <variant>

#include "adapters/audit/account_export.h"
#include "adapters/audit/tree_head.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/fill.h"

namespace mledger {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "every_event_export: %s\n", what.c_str());
  std::exit(1);
}

AppendRequest every_event_type() {
  AppendRequest r;
  r.command_id = "every-1";
  r.command_digest[0] = 1;
  r.metadata.command_id = "every-1";
  r.metadata.correlation_id = "every-corr";
  r.metadata.causation_id = "every-cause";
  r.metadata.actor = Actor{ActorKind::operator_, "every", "u-op", {Role::global_admin, Role::referrals_admin}};
  r.metadata.recorded_at = Instant{1'767'600'000'123'456};
  r.metadata.occurred_at = Instant{-86'400'000'000};  // before 1970: the time format's other branch
  r.expectations.push_back({"account-every", 0});
  testing::for_each_alternative<EventPayload>([&](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    EventPayload payload{std::in_place_index<decltype(index)::value>, testing::filled<T>()};
    r.events.push_back(NewEvent{"account-every", "every-e" + std::to_string(r.events.size()), {"x", "every"}, payload});
  });
  return r;
}

}  // namespace
}  // namespace mledger

int main(int argc, char** argv) {
  using namespace mledger;
  if (argc != 2) die("usage: every_event_export DIR");
  const std::string dir = argv[1];
  RocksDbOptions o;
  o.path = dir + "/ledger";
  auto log = RocksDbEventLog::open(o);
  if (!log.ok()) die("open: " + log.error().to_string());
  std::vector<AppendRequest> batch;
  batch.push_back(every_event_type());
  auto appended = (*log)->append_batch(batch);
  if (!appended.ok()) die("append: " + appended.error().to_string());
  auto key = Ed25519PrivateKey::create(dir + "/ledger/tree-head-key.pem");
  if (!key.ok()) die("key: " + key.error().to_string());
  auto head = sign_tree_head(**log, *key, Instant{1'767'600'001'000'000});
  if (!head.ok()) die("sign: " + head.error().to_string());
  std::string text;
  ExportSummary summary;
  Status s = export_account(**log, "every", *head, *key, Instant{1'767'600'002'000'000},
                            [&](std::string_view chunk) {
                              text.append(chunk);
                              return Status::Ok();
                            },
                            &summary);
  if (!s.ok()) die("export: " + s.to_string());
  std::ofstream(dir + "/every.jsonl", std::ios::binary) << text;
  std::ofstream(dir + "/ledger.pem", std::ios::binary) << key->public_pem();
  std::printf("%llu events of %zu types exported\n", static_cast<unsigned long long>(summary.events),
              std::variant_size_v<EventPayload>);
  return 0;
}
