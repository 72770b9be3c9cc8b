#include "projections/timeline.h"

#include <type_traits>

namespace mledger::projections {

namespace {

bool names_something(std::string_view field) {
  return field.ends_with("_id") || field == "product" || field == "domain" || field == "reason" ||
         field == "offer" || field == "email";
}

}  // namespace

TimelineEntry timeline_entry(const RecordedEvent& e) {
  TimelineEntry t;
  t.seq = e.seq;
  t.occurred_at = e.metadata.occurred_at;
  t.recorded_at = e.metadata.recorded_at;
  t.type = std::string(event_type_name(e.payload));
  t.stream = e.stream;
  const Actor& a = e.metadata.actor;
  t.actor = std::string(enum_name(a.kind)) + ":" + a.user_id +
            (a.account_id.empty() ? "" : "@" + a.account_id);
  t.command_id = e.metadata.command_id;
  std::visit(
      [&](const auto& payload) {
        using P = std::decay_t<decltype(payload)>;
        P::for_each_field(payload, [&](const char* name, const auto& value) {
          using M = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<M, std::string>) {
            if (names_something(name) && !value.empty()) t.names.push_back(std::string(name) + "=" + value);
          } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
            // Lists of ids ("key_ids", "moved_user_ids"): comma-separated.
            if (std::string_view(name).ends_with("_ids") && !value.empty()) {
              std::string joined;
              for (const auto& v : value) joined += (joined.empty() ? "" : ",") + v;
              t.names.push_back(std::string(name) + "=" + joined);
            }
          }
        });
      },
      e.payload);
  return t;
}

}  // namespace mledger::projections
