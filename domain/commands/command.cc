#include "domain/commands/command.h"

#include <array>
#include <utility>

namespace mledger {

std::string_view command_type_name(const CommandBody& body) {
  return std::visit([](const auto& c) { return std::decay_t<decltype(c)>::kName; }, body);
}

namespace {
template <size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> names_of(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, CommandBody>::kName...};
}
constexpr auto kCommandTypeNames =
    names_of(std::make_index_sequence<std::variant_size_v<CommandBody>>{});
}  // namespace

std::span<const std::string_view> command_type_names() { return kCommandTypeNames; }

bool targets_account(const CommandBody& body) {
  return !std::holds_alternative<ChangeOfferCatalogue>(body);
}

}  // namespace mledger
