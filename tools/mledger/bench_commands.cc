#include "tools/mledger/bench_commands.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace mledger::cli {

std::string bench_account_id(uint64_t account) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-%06llu", static_cast<unsigned long long>(account));
  return buf;
}

std::string bench_admin_id(uint64_t account) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "u-admin-%06llu", static_cast<unsigned long long>(account));
  return buf;
}

std::string bench_enroll_json(uint64_t account) {
  const std::string id = bench_account_id(account);
  nlohmann::json j = {
      {"command_id", "bench-enroll-" + id},
      {"type", "enroll_partner_account"},
      {"account_id", id},
      {"actor", {{"kind", "user"}, {"account_id", id}, {"user_id", bench_admin_id(account)}}},
      {"now", "2026-01-05T09:00:00Z"},
      {"data",
       {{"legal_name", "Bench Company " + id},
        {"address", {{"line1", "1 Main Street"}, {"city", "Berlin"}, {"postal_code", "10117"}, {"country", "DE"}}},
        {"phone", "3020145000"},
        {"primary_contact", {{"first_name", "Ada"}, {"last_name", "Admin"}, {"email", "ada.admin@" + id + ".example"}}}}}};
  return j.dump();
}

std::string bench_add_user_json(uint64_t account, const std::string& run, uint64_t n) {
  const std::string id = bench_account_id(account);
  const std::string user = "u-" + run + "-" + std::to_string(n);
  nlohmann::json j = {
      {"command_id", "bench-" + run + "-" + std::to_string(n)},
      {"type", "add_user"},
      {"account_id", id},
      {"actor", {{"kind", "user"}, {"account_id", id}, {"user_id", bench_admin_id(account)}}},
      {"now", "2026-02-01T09:00:00Z"},
      {"data", {{"user_id", user}, {"email", user + "@" + id + ".example"}, {"display_name", "User " + user}}}};
  return j.dump();
}

double percentile_ms(const std::vector<double>& sorted_seconds, double p) {
  if (sorted_seconds.empty()) return 0;
  const size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_seconds.size()))) - 1;
  return sorted_seconds[std::min(i, sorted_seconds.size() - 1)] * 1000.0;
}

}  // namespace mledger::cli
