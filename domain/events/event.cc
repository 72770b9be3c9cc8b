#include "domain/events/event.h"

#include <utility>

namespace mledger {

std::string_view event_type_name(const EventPayload& payload) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kName; }, payload);
}

namespace {
template <size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> names_of(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, EventPayload>::kName...};
}
constexpr auto kEventTypeNames = names_of(std::make_index_sequence<std::variant_size_v<EventPayload>>{});
}  // namespace

std::span<const std::string_view> event_type_names() { return kEventTypeNames; }

}  // namespace mledger
